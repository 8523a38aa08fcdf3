/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.spark.catalyst;

import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.execution.SparkPlan;
import org.apache.spark.sql.execution.SparkStrategy;
import scala.collection.immutable.Seq;

/**
 * Plans {@link GroupedSoftmax} as {@link GroupedSoftmaxExec}; nothing else. Registered by
 * {@code SoftmaxExtensions} (injectPlannerStrategy), by {@code SparkSoftmax.register} and by
 * the DataFrame softmax itself on first use (the session's extra strategies). Internal.
 */
public final class GroupedSoftmaxStrategy extends SparkStrategy {

    /** Adds the strategy to the session's extra strategies, once. */
    public static void register(SparkSession session) {
        Plans.addStrategy(session, new GroupedSoftmaxStrategy());
    }

    @Override
    public Seq<SparkPlan> apply(LogicalPlan plan) {
        if (plan instanceof GroupedSoftmax) {
            GroupedSoftmax grouped = (GroupedSoftmax) plan;
            return ScalaCollections.seq(List.of(new GroupedSoftmaxExec(planLater(grouped.left()),
                    planLater(grouped.right()), grouped.leftKeys(), grouped.rightKeys(), grouped.outputs(),
                    grouped.outputAttributes(), grouped.budget())));
        }
        return ScalaCollections.seq(List.of());
    }
}
