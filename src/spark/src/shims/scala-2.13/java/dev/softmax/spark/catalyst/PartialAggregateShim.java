/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.spark.catalyst;

import java.util.List;
import org.apache.spark.sql.catalyst.expressions.Attribute;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.MutableProjection;
import org.apache.spark.sql.catalyst.expressions.MutableProjection$;
import org.apache.spark.sql.execution.SparkPlan;
import scala.Function2;
import scala.collection.immutable.Seq;
import scala.runtime.AbstractFunction2;

/**
 * Shim, Scala 2.13: the parts of {@link SoftmaxPartialAggregateExec} whose Scala collection types
 * are {@code scala.collection.immutable.Seq} here (immutable on 2.13, {@code scala.collection} on 2.12).
 */
public final class PartialAggregateShim {
    private PartialAggregateShim() {}

    /** A physical plan with one child (Spark's {@code UnaryLike} is a trait Java cannot mix in). */
    public abstract static class OneChild extends SparkPlan {
        private static final long serialVersionUID = 1L;

        /** The child. */
        public abstract SparkPlan child();

        /** This node with another child. */
        protected abstract SparkPlan withChild(SparkPlan child);

        @Override
        public Seq<SparkPlan> children() {
            return ScalaCollections.seq(List.of(child()));
        }

        @Override
        public SparkPlan withNewChildrenInternal(scala.collection.immutable.IndexedSeq<SparkPlan> children) {
            return withChild(children.apply(0));
        }
    }

    /** Spark's factory of mutable projections, as the aggregation iterators take it. */
    public static Function2<Seq<Expression>, Seq<Attribute>, MutableProjection> mutableProjections() {
        return new MutableProjections();
    }

    private static final class MutableProjections
            extends AbstractFunction2<Seq<Expression>, Seq<Attribute>, MutableProjection>
            implements java.io.Serializable {
        private static final long serialVersionUID = 1L;

        @Override
        public MutableProjection apply(Seq<Expression> expressions, Seq<Attribute> schema) {
            return MutableProjection$.MODULE$.create(expressions, schema);
        }
    }
}
