/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.spark.catalyst;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.expressions.Alias;
import org.apache.spark.sql.catalyst.expressions.Attribute;
import org.apache.spark.sql.catalyst.expressions.AttributeSet;
import org.apache.spark.sql.catalyst.expressions.ExprId;
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
import org.apache.spark.sql.execution.adaptive.LogicalQueryStage;
import org.apache.spark.sql.execution.aggregate.AggUtils$;
import org.apache.spark.sql.execution.aggregate.ObjectHashAggregateExec;
import scala.Option;
import scala.Tuple4;
import scala.collection.immutable.Seq;

/**
 * Plans {@link GroupedSoftmax} as {@link GroupedSoftmaxExec}, and the project's aggregates
 * without grouping. The normalizers' aggregate is planned as Spark plans any aggregate, except
 * that its partial step is {@link SoftmaxPartialAggregateExec} (a larger hash map before
 * sorting; a probe, stopping where it would sort, when the aggregate's inputs are all columns of
 * the rows, so that {@link GroupedSoftmaxExec} can fold the normalizers next to the rows
 * instead). So is an aggregate without grouping whose functions are all the project's
 * ({@code logsumexp(x)}, the global softmax's normalizer): its partial step folds each partition
 * in a plain loop. Every other plan is Spark's. Registered by
 * {@code SoftmaxExtensions} (injectPlannerStrategy), by {@code SparkSoftmax.register} and by
 * the DataFrame softmax itself on first use (the session's extra strategies). Internal.
 */
public final class SoftmaxStrategy extends SparkStrategy {

    /**
     * Adds the strategy to the session's extra strategies, and {@link WindowSoftmaxRule} (which
     * makes SQL's window form a {@link GroupedSoftmax}) to its extra optimizer rules, once.
     */
    public static void register(SparkSession session) {
        Plans.addStrategy(session, new SoftmaxStrategy());
        Plans.addOptimization(session, new WindowSoftmaxRule());
    }

    @Override
    public Seq<SparkPlan> apply(LogicalPlan plan) {
        if (plan instanceof GroupedSoftmax) {
            GroupedSoftmax grouped = (GroupedSoftmax) plan;
            Fold fold = new Fold();
            SparkPlan normalizers = planNormalizers(grouped.right(), grouped.left(), fold);
            return ScalaCollections.seq(List.of(new GroupedSoftmaxExec(planLater(grouped.left()),
                    normalizers != null ? normalizers : planLater(grouped.right()), grouped.leftKeys(),
                    grouped.rightKeys(), grouped.outputs(), grouped.outputAttributes(), grouped.budget(),
                    ScalaCollections.seq(fold.grouping), ScalaCollections.seq(fold.aggregates))));
        }
        if (plan instanceof Aggregate && !plan.isStreaming()) {
            SparkPlan global = planGlobalAggregate((Aggregate) plan);
            if (global != null) {
                return ScalaCollections.seq(List.of(global));
            }
        }
        return ScalaCollections.seq(List.of());
    }

    /**
     * An aggregate without grouping whose functions are all the project's ({@code logsumexp(x)},
     * the global softmax's normalizer) as Spark plans it, but with {@link
     * SoftmaxPartialAggregateExec} as its partial step, which folds each partition in a plain
     * loop (and a columnar scan's batches without turning them into rows); null for any other
     * aggregate, which Spark then plans.
     */
    private SparkPlan planGlobalAggregate(Aggregate plan) {
        Parts parts = Parts.of(plan, SoftmaxAggregate.class);
        if (parts == null || !parts.grouping.isEmpty()) {
            return null;
        }
        SparkPlan finalAggregate = sparksPlan(parts);
        return finalAggregate == null ? null : withOwnPartialStep(finalAggregate, false);
    }

    /**
     * The normalizers' plan (projections over one grouped aggregate of object states) with
     * {@link SoftmaxPartialAggregateExec} as its partial step; null for any other shape, which
     * Spark then plans. When the aggregate reads the same rows as {@code rows} (the same plan
     * but for the attribute ids that a self-join gives the right side, and column pruning), its
     * grouping and aggregate expressions over the columns of {@code rows} go into {@code fold}
     * and the partial step is a probe ({@link GroupedSoftmaxExec} may then fold them itself).
     */
    private SparkPlan planNormalizers(LogicalPlan plan, LogicalPlan rows, Fold fold) {
        if (plan instanceof Project) {
            Project project = (Project) plan;
            SparkPlan child = planNormalizers(project.child(), rows, fold);
            return child == null ? null : new ProjectExec(project.projectList(), child);
        }
        Parts parts = plan instanceof Aggregate ? Parts.of(plan, TypedImperativeAggregate.class) : null;
        if (parts == null || parts.grouping.isEmpty()) {
            return null;
        }
        SparkPlan finalAggregate = sparksPlan(parts);
        if (finalAggregate == null) {
            return null;
        }
        return withOwnPartialStep(finalAggregate, fold.fill(parts.grouping, parts.aggregates, parts.child, rows));
    }

    /**
     * Spark's plan of the aggregate (its final step, over its partial step); null when the
     * partial step is not Spark's object hash aggregate
     * ({@code spark.sql.execution.useObjectHashAggregateExec=false}): Spark's plan then.
     */
    private SparkPlan sparksPlan(Parts parts) {
        SparkPlan finalAggregate = AggUtils$.MODULE$.planAggregateWithoutDistinct(
                ScalaCollections.seq(parts.grouping), ScalaCollections.seq(parts.aggregates),
                ScalaCollections.seq(parts.results), planLater(parts.child)).head();
        return finalAggregate.children().head() instanceof ObjectHashAggregateExec ? finalAggregate : null;
    }

    /** The final aggregate over {@link SoftmaxPartialAggregateExec} in place of Spark's partial step. */
    private static SparkPlan withOwnPartialStep(SparkPlan finalAggregate, boolean probe) {
        ObjectHashAggregateExec partial = (ObjectHashAggregateExec) finalAggregate.children().head();
        return finalAggregate.withNewChildren(ScalaCollections.seq(List.<SparkPlan>of(
                SoftmaxPartialAggregateExec.of(partial, probe))));
    }

    /** An aggregate as Spark's {@code PhysicalAggregation} takes it apart, the grouping keys normalized. */
    private static final class Parts {
        final List<NamedExpression> grouping = new ArrayList<>();
        final List<AggregateExpression> aggregates = new ArrayList<>();
        final List<NamedExpression> results = new ArrayList<>();
        LogicalPlan child;

        /**
         * The parts of {@code plan}; null when it is not an aggregate Spark's planner takes apart,
         * has no aggregate function, or one that is DISTINCT, FILTERed or not a {@code functions}.
         */
        static Parts of(LogicalPlan plan, Class<? extends Expression> functions) {
            Option<?> found = PhysicalAggregation$.MODULE$.unapply(plan);
            if (found.isEmpty()) {
                return null;
            }
            Tuple4<?, ?, ?, ?> aggregation = (Tuple4<?, ?, ?, ?>) found.get();
            Parts parts = new Parts();
            for (Object key : ScalaCollections.list((scala.collection.Seq<?>) aggregation._1())) {
                parts.grouping.add(normalized((NamedExpression) key));
            }
            for (Object aggregate : ScalaCollections.list((scala.collection.Seq<?>) aggregation._2())) {
                AggregateExpression expression = (AggregateExpression) aggregate;
                if (expression.isDistinct() || expression.filter().isDefined()
                        || !functions.isInstance(expression.aggregateFunction())) {
                    return null;
                }
                parts.aggregates.add(expression);
            }
            for (Object result : ScalaCollections.list((scala.collection.Seq<?>) aggregation._3())) {
                parts.results.add((NamedExpression) result);
            }
            parts.child = (LogicalPlan) aggregation._4();
            return parts.aggregates.isEmpty() ? null : parts;
        }
    }

    /**
     * The normalizers' aggregate over the columns of the rows, for {@link GroupedSoftmaxExec}
     * to fold next to them: the grouping expressions (each keeping its output attribute's id, so
     * the final aggregate's result expressions still bind) and the aggregate expressions.
     */
    private static final class Fold {
        final List<NamedExpression> grouping = new ArrayList<>();
        final List<AggregateExpression> aggregates = new ArrayList<>();

        /**
         * Fills the lists when {@code input}, the aggregate's child, reads the rows of {@code
         * rows}: both are projections over the same plan (a self-join renumbers the right side's
         * attributes: the plan's are mapped by position), and each column the aggregate reads is
         * computed as a column of the rows is. Returns whether it did.
         */
        boolean fill(List<NamedExpression> keys, List<AggregateExpression> functions, LogicalPlan input,
                LogicalPlan rows) {
            Map<ExprId, Expression> rowsColumns = new HashMap<>();
            Map<ExprId, Expression> inputColumns = new HashMap<>();
            LogicalPlan rowsBase = definitions(rows, rowsColumns);
            LogicalPlan inputBase = definitions(input, inputColumns);
            if (!rowsBase.sameResult(inputBase)) {
                return false;
            }
            Map<ExprId, Attribute> baseToRows = new HashMap<>();
            List<Attribute> from = ScalaCollections.list(inputBase.output());
            List<Attribute> to = ScalaCollections.list(rowsBase.output());
            for (int i = 0; i < from.size(); i++) {
                baseToRows.put(from.get(i).exprId(), to.get(i));
            }
            Map<ExprId, Attribute> toRows = new HashMap<>();
            for (Attribute column : ScalaCollections.list(input.output())) {
                Expression definition = substituted(inputColumns.get(column.exprId()), baseToRows);
                for (Attribute candidate : ScalaCollections.list(rows.output())) {
                    if (rowsColumns.get(candidate.exprId()).semanticEquals(definition)) {
                        toRows.put(column.exprId(), candidate);
                        break;
                    }
                }
            }
            AttributeSet available = rows.outputSet();
            List<NamedExpression> mappedKeys = new ArrayList<>();
            for (NamedExpression key : keys) {
                Expression mapped = substituted((Expression) key, toRows);
                if (!mapped.references().subsetOf(available)) {
                    return false;
                }
                mappedKeys.add(new Alias(mapped instanceof Alias ? ((Alias) mapped).child() : mapped, key.name(),
                        key.exprId(), key.qualifier(), Option.empty(), ScalaCollections.seq(List.<String>of())));
            }
            List<AggregateExpression> mappedFunctions = new ArrayList<>();
            for (AggregateExpression function : functions) {
                Expression mapped = substituted(function, toRows);
                if (!mapped.references().subsetOf(available)) {
                    return false;
                }
                mappedFunctions.add((AggregateExpression) mapped);
            }
            grouping.addAll(mappedKeys);
            aggregates.addAll(mappedFunctions);
            return true;
        }

        /**
         * The plan under its deterministic projections (and adaptive execution's stages), and into
         * {@code columns} each output column of {@code plan} as an expression over that plan's output.
         */
        private static LogicalPlan definitions(LogicalPlan plan, Map<ExprId, Expression> columns) {
            if (plan instanceof LogicalQueryStage) { // adaptive execution re-plans over its stages: compare their plans
                return definitions(((LogicalQueryStage) plan).logicalPlan(), columns);
            }
            if (plan instanceof Project && ScalaCollections.list(((Project) plan).projectList()).stream()
                    .allMatch(e -> ((Expression) e).deterministic())) {
                Map<ExprId, Expression> inner = new HashMap<>();
                LogicalPlan base = definitions(((Project) plan).child(), inner);
                for (NamedExpression column : ScalaCollections.list(((Project) plan).projectList())) {
                    Expression e = column instanceof Alias ? ((Alias) column).child() : (Expression) column;
                    columns.put(column.exprId(), substituted(e, inner));
                }
                return base;
            }
            for (Attribute column : ScalaCollections.list(plan.output())) {
                columns.put(column.exprId(), column);
            }
            return plan;
        }

        /** The expression with each attribute of the mapping replaced by its expression. */
        private static Expression substituted(Expression expression, Map<ExprId, ? extends Expression> mapping) {
            return GroupedSoftmaxExec.substituted(expression, a -> mapping.get(a.exprId()));
        }
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
