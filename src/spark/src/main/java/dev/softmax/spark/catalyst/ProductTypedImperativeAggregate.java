/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.spark.catalyst;

import java.io.Serializable;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.aggregate.TypedImperativeAggregate;

/**
 * An aggregate over a buffer object of type {@code T}, with the {@link CatalystProduct} methods of a case class.
 *
 * <p>Serializable, as a case class is: a plan ships its expressions to the executors. Scala 2.12
 * and 2.13 give {@code TreeNode.withNewChildrenInternal} different parameter
 * types ({@code scala.collection.IndexedSeq}, {@code scala.collection.immutable.IndexedSeq}):
 * declaring both overrides the one the running Scala has, from one source.
 */
public abstract class ProductTypedImperativeAggregate<T> extends TypedImperativeAggregate<T>
        implements CatalystProduct, Serializable {
    private static final long serialVersionUID = 1L;

    public final Expression withNewChildrenInternal(scala.collection.IndexedSeq<Expression> newChildren) {
        return withChildren(ScalaCollections.list(newChildren));
    }

    public final Expression withNewChildrenInternal(scala.collection.immutable.IndexedSeq<Expression> newChildren) {
        return withChildren(ScalaCollections.list(newChildren));
    }

    @Override
    public final boolean equals(Object other) {
        return CatalystProduct.equal(this, other);
    }

    @Override
    public final int hashCode() {
        return CatalystProduct.hash(this);
    }
}
