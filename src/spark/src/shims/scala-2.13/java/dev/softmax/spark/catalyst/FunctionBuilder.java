/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.spark.catalyst;

import java.util.List;
import org.apache.spark.sql.catalyst.expressions.Expression;
import scala.runtime.AbstractFunction1;

/**
 * Shim, Scala 2.13: Spark's FunctionRegistry.FunctionBuilder is
 * {@code scala.collection.immutable.Seq[Expression] => Expression} (the default {@code Seq} of
 * each Scala version): a builder written once, over a Java list.
 */
public abstract class FunctionBuilder
        extends AbstractFunction1<scala.collection.immutable.Seq<Expression>, Expression> {

    /** The expression of a call with these arguments. */
    protected abstract Expression build(List<Expression> arguments);

    @Override
    public final Expression apply(scala.collection.immutable.Seq<Expression> arguments) {
        return build(ScalaCollections.list(arguments));
    }
}
