/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.spark.catalyst;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.expressions.Alias;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.NamedExpression;
import org.apache.spark.sql.catalyst.expressions.aggregate.AggregateExpression;
import org.apache.spark.sql.catalyst.expressions.aggregate.TypedImperativeAggregate;
import org.apache.spark.sql.catalyst.optimizer.NormalizeFloatingNumbers$;
import org.apache.spark.sql.catalyst.planning.PhysicalAggregation$;
import org.apache.spark.sql.catalyst.plans.logical.Aggregate;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.catalyst.plans.logical.Project;
import org.apache.spark.sql.execution.ProjectExec;
import org.apache.spark.sql.execution.SparkPlan;
import org.apache.spark.sql.execution.SparkStrategy;
import org.apache.spark.sql.execution.aggregate.AggUtils$;
import org.apache.spark.sql.execution.aggregate.ObjectHashAggregateExec;
import scala.Option;
import scala.Tuple4;
import scala.collection.immutable.Seq;

/**
 * Plans {@link GroupedSoftmax} as {@link GroupedSoftmaxExec}; nothing else. The normalizers'
 * aggregate is planned as Spark plans any aggregate, except that its partial step is
 * {@link SoftmaxPartialAggregateExec} (a larger hash map before sorting). Registered by
 * {@code SoftmaxExtensions} (injectPlannerStrategy), by {@code SparkSoftmax.register} and by
 * the DataFrame softmax itself on first use (the session's extra strategies). Internal.
 */
public final class GroupedSoftmaxStrategy extends SparkStrategy {

    /**
     * Adds the strategy to the session's extra strategies, and {@link WindowSoftmaxRule} (which
     * makes SQL's window form a {@link GroupedSoftmax}) to its extra optimizer rules, once.
     */
    public static void register(SparkSession session) {
        Plans.addStrategy(session, new GroupedSoftmaxStrategy());
        Plans.addOptimization(session, new WindowSoftmaxRule());
    }

    @Override
    public Seq<SparkPlan> apply(LogicalPlan plan) {
        if (plan instanceof GroupedSoftmax) {
            GroupedSoftmax grouped = (GroupedSoftmax) plan;
            SparkPlan normalizers = planNormalizers(grouped.right());
            return ScalaCollections.seq(List.of(new GroupedSoftmaxExec(planLater(grouped.left()),
                    normalizers != null ? normalizers : planLater(grouped.right()), grouped.leftKeys(),
                    grouped.rightKeys(), grouped.outputs(), grouped.outputAttributes(), grouped.budget())));
        }
        return ScalaCollections.seq(List.of());
    }

    /**
     * The normalizers' plan (projections over one grouped aggregate of object states) with
     * {@link SoftmaxPartialAggregateExec} as its partial step; null for any other shape, which
     * Spark then plans.
     */
    private SparkPlan planNormalizers(LogicalPlan plan) {
        if (plan instanceof Project) {
            Project project = (Project) plan;
            SparkPlan child = planNormalizers(project.child());
            return child == null ? null : new ProjectExec(project.projectList(), child);
        }
        if (!(plan instanceof Aggregate)) {
            return null;
        }
        Option<?> parts = PhysicalAggregation$.MODULE$.unapply(plan);
        if (parts.isEmpty()) {
            return null;
        }
        Tuple4<?, ?, ?, ?> aggregation = (Tuple4<?, ?, ?, ?>) parts.get();
        List<NamedExpression> grouping = new ArrayList<>();
        for (Object key : ScalaCollections.list((scala.collection.Seq<?>) aggregation._1())) {
            grouping.add(normalized((NamedExpression) key));
        }
        List<AggregateExpression> aggregates = new ArrayList<>();
        for (Object aggregate : ScalaCollections.list((scala.collection.Seq<?>) aggregation._2())) {
            AggregateExpression expression = (AggregateExpression) aggregate;
            if (expression.isDistinct() || expression.filter().isDefined()
                    || !(expression.aggregateFunction() instanceof TypedImperativeAggregate)) {
                return null;
            }
            aggregates.add(expression);
        }
        List<NamedExpression> results = new ArrayList<>();
        for (Object result : ScalaCollections.list((scala.collection.Seq<?>) aggregation._3())) {
            results.add((NamedExpression) result);
        }
        if (grouping.isEmpty() || aggregates.isEmpty()) {
            return null;
        }
        SparkPlan finalAggregate = AggUtils$.MODULE$.planAggregateWithoutDistinct(ScalaCollections.seq(grouping),
                ScalaCollections.seq(aggregates), ScalaCollections.seq(results),
                planLater((LogicalPlan) aggregation._4())).head();
        SparkPlan partial = finalAggregate.children().head();
        if (!(partial instanceof ObjectHashAggregateExec)) {
            return null; // spark.sql.execution.useObjectHashAggregateExec=false: Spark's plan
        }
        return finalAggregate.withNewChildren(ScalaCollections.seq(List.<SparkPlan>of(
                SoftmaxPartialAggregateExec.of((ObjectHashAggregateExec) partial))));
    }

    /** A grouping key with -0.0 and NaNs normalized, as Spark's aggregate planning groups them. */
    private static NamedExpression normalized(NamedExpression key) {
        Expression normalized = NormalizeFloatingNumbers$.MODULE$.normalize((Expression) key);
        if (normalized instanceof NamedExpression) {
            return (NamedExpression) normalized;
        }
        return new Alias(normalized, key.name(), key.exprId(), key.qualifier(), Option.empty(),
                ScalaCollections.seq(List.<String>of()));
    }
}
