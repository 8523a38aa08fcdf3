/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.spark.catalyst;

import java.util.List;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.execution.SparkPlan;

/**
 * Shim, Scala 2.13: plan nodes with two children, written in Java. Spark's {@code BinaryLike}
 * is a trait with a lazy val that Java cannot mix in; these implement {@code children} and
 * {@code withNewChildrenInternal}, whose collection types are {@code immutable} on 2.13 and
 * {@code scala.collection} on 2.12.
 */
public final class TwoChildPlans {
    private TwoChildPlans() {}

    /** A logical plan with a left and a right child. */
    public abstract static class Logical extends LogicalPlan {
        private static final long serialVersionUID = 1L;

        /** The first child. */
        public abstract LogicalPlan left();

        /** The second child. */
        public abstract LogicalPlan right();

        /** This node with other children. */
        protected abstract LogicalPlan withChildren(LogicalPlan left, LogicalPlan right);

        @Override
        public scala.collection.immutable.Seq<LogicalPlan> children() {
            return ScalaCollections.seq(List.of(left(), right()));
        }

        @Override
        public LogicalPlan withNewChildrenInternal(scala.collection.immutable.IndexedSeq<LogicalPlan> children) {
            return withChildren(children.apply(0), children.apply(1));
        }
    }

    /** A physical plan with a left and a right child. */
    public abstract static class Physical extends SparkPlan {
        private static final long serialVersionUID = 1L;

        /** The first child. */
        public abstract SparkPlan left();

        /** The second child. */
        public abstract SparkPlan right();

        /** This node with other children. */
        protected abstract SparkPlan withChildren(SparkPlan left, SparkPlan right);

        @Override
        public scala.collection.immutable.Seq<SparkPlan> children() {
            return ScalaCollections.seq(List.of(left(), right()));
        }

        @Override
        public SparkPlan withNewChildrenInternal(scala.collection.immutable.IndexedSeq<SparkPlan> children) {
            return withChildren(children.apply(0), children.apply(1));
        }
    }
}
