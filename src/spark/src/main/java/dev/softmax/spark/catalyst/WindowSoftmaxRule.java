/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.spark.catalyst;

import dev.softmax.core.SoftmaxMode;
import dev.softmax.spark.LogSumExpAggregator;
import dev.softmax.spark.NormalizerAggregator;
import dev.softmax.spark.NormalizerColumns;
import dev.softmax.spark.SoftmaxOptions;
import dev.softmax.spark.SoftmaxStateAggregator;
import dev.softmax.spark.ValueAggregator;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.catalyst.expressions.Alias;
import org.apache.spark.sql.catalyst.expressions.Attribute;
import org.apache.spark.sql.catalyst.expressions.AttributeReference;
import org.apache.spark.sql.catalyst.expressions.CreateNamedStruct;
import org.apache.spark.sql.catalyst.expressions.EqualTo;
import org.apache.spark.sql.catalyst.expressions.ExprId;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.GetStructField;
import org.apache.spark.sql.catalyst.expressions.If;
import org.apache.spark.sql.catalyst.expressions.Literal;
import org.apache.spark.sql.catalyst.expressions.NamedExpression;
import org.apache.spark.sql.catalyst.expressions.NamedExpression$;
import org.apache.spark.sql.catalyst.expressions.SpecifiedWindowFrame;
import org.apache.spark.sql.catalyst.expressions.UnboundedFollowing$;
import org.apache.spark.sql.catalyst.expressions.UnboundedPreceding$;
import org.apache.spark.sql.catalyst.expressions.UnspecifiedFrame$;
import org.apache.spark.sql.catalyst.expressions.WindowExpression;
import org.apache.spark.sql.catalyst.expressions.WindowSpecDefinition;
import org.apache.spark.sql.catalyst.expressions.aggregate.AggregateExpression;
import org.apache.spark.sql.catalyst.expressions.aggregate.Complete$;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.catalyst.plans.logical.Project;
import org.apache.spark.sql.catalyst.plans.logical.Window;
import org.apache.spark.sql.catalyst.rules.Rule;
import org.apache.spark.sql.types.DataTypes;
import scala.Option;

/**
 * Rewrites SQL's window form of the grouped softmax into {@link GroupedSoftmax}, the plan of
 * the grouped DataFrame softmax (an aggregate of one normalizer per group, broadcast or joined,
 * no sort of the rows): a {@code Project} over a {@code Window} whose every expression is
 * {@code softmax_state(x)} or {@code logsumexp(x)} in exact mode over one non-empty
 * {@code PARTITION BY}, without ORDER BY, over the whole partition, and where each state is
 * only read by {@code softmax(x, state)} or {@code log_softmax(x, state)}.
 *
 * <p>Exact mode only: its bits do not depend on the order of the values, so the grouped
 * aggregate gives the bits of the window (fast mode's last bits follow the order of the rows).
 * Anything else (ORDER BY, another frame, other window functions in the same Window, a state
 * read in any other way, weights, a streaming or nondeterministic input) is left as it is.
 * Registered with {@link SoftmaxStrategy}, which plans the node. Internal.
 */
public final class WindowSoftmaxRule extends Rule<LogicalPlan> {

    private static final String GROUP_KEY = "__softmax_group_";
    private static final String NORMALIZER = "__softmax_normalizer_";

    @Override
    public LogicalPlan apply(LogicalPlan plan) {
        if (plan.isStreaming()) {
            return plan; // GroupedSoftmax needs every row of a group first; StreamingWindowCheck explains
        }
        return rewrite(plan);
    }

    private static LogicalPlan rewrite(LogicalPlan plan) {
        List<LogicalPlan> children = ScalaCollections.list(plan.children());
        List<LogicalPlan> rewritten = new ArrayList<>();
        boolean changed = false;
        for (LogicalPlan child : children) {
            LogicalPlan next = rewrite(child);
            changed |= next != child;
            rewritten.add(next);
        }
        LogicalPlan node = changed ? plan.withNewChildren(ScalaCollections.seq(rewritten)) : plan;
        if (node instanceof Project && ((Project) node).child() instanceof Window) {
            LogicalPlan grouped = grouped((Project) node);
            if (grouped != null) {
                return grouped;
            }
        }
        return node;
    }

    /** The Project over a GroupedSoftmax, or null when the window does not qualify. */
    private static LogicalPlan grouped(Project project) {
        Window window = (Window) project.child();
        List<Expression> keys = ScalaCollections.list(window.partitionSpec());
        // A Window right under it is the same SELECT's other PARTITION BY: left as it is, whole.
        if (keys.isEmpty() || !window.orderSpec().isEmpty() || window.child() instanceof Window
                || !deterministic(window.child())) {
            return null;
        }
        for (Expression key : keys) {
            if (!key.deterministic()) {
                return null;
            }
        }
        // The aggregate's output: the keys, then one column per window expression.
        List<NamedExpression> aggregates = new ArrayList<>();
        List<Expression> rightKeys = new ArrayList<>();
        for (int i = 0; i < keys.size(); i++) {
            Alias key = alias(keys.get(i), GROUP_KEY + i + "__");
            aggregates.add(key);
            rightKeys.add(key.toAttribute());
        }
        Map<ExprId, Attribute> normalizers = new HashMap<>();
        List<Expression> outputs = new ArrayList<>();
        List<Attribute> outputAttributes = new ArrayList<>();
        for (NamedExpression named : ScalaCollections.list(window.windowExpressions())) {
            SoftmaxAggregate aggregate = aggregateOf(named, window);
            if (aggregate == null) {
                return null;
            }
            Attribute windowColumn = named.toAttribute();
            if (aggregate.aggregator() instanceof LogSumExpAggregator) {
                // The same aggregate over the group: the window's column, from the normalizers' side.
                Alias column = alias(aggregate.toAggregateExpression(), windowColumn.name());
                aggregates.add(column);
                outputs.add(column.toAttribute());
                outputAttributes.add(windowColumn);
            } else {
                Alias column = alias(compact(new SoftmaxAggregate("softmax_normalizer",
                        new NormalizerAggregator(SoftmaxMode.EXACT, 1.0), aggregate.child()).toAggregateExpression()),
                        NORMALIZER + normalizers.size() + "__");
                aggregates.add(column);
                normalizers.put(windowColumn.exprId(), column.toAttribute());
            }
        }
        // Each softmax(x, state) of the projection becomes an output computed from the normalizer.
        List<NamedExpression> projectList = new ArrayList<>();
        for (NamedExpression named : ScalaCollections.list(project.projectList())) {
            Expression replaced = replaceCalls((Expression) named, normalizers, window, outputs, outputAttributes);
            if (replaced == null || readsAny(replaced, normalizers)) {
                return null; // a state read in another way: it must stay the window's bytes
            }
            projectList.add((NamedExpression) replaced);
        }
        LogicalPlan right = Plans.aggregate(keys, aggregates, window.child());
        GroupedSoftmax node = new GroupedSoftmax(window.child(), right, ScalaCollections.seq(keys),
                ScalaCollections.seq(rightKeys), ScalaCollections.seq(outputs), ScalaCollections.seq(outputAttributes),
                SoftmaxOptions.DEFAULT_BROADCAST_THRESHOLD);
        return new Project(ScalaCollections.seq(projectList), node);
    }

    /**
     * The exact-mode softmax_state or logsumexp of one window column, over the window's keys,
     * without ORDER BY and over the whole partition; null for anything else.
     */
    private static SoftmaxAggregate aggregateOf(NamedExpression named, Window window) {
        if (!(named instanceof Alias) || !(((Alias) named).child() instanceof WindowExpression)) {
            return null;
        }
        WindowExpression expression = (WindowExpression) ((Alias) named).child();
        WindowSpecDefinition spec = expression.windowSpec();
        if (!spec.orderSpec().isEmpty() || !spec.partitionSpec().equals(window.partitionSpec())
                || !wholePartition(spec)) {
            return null;
        }
        if (!(expression.windowFunction() instanceof AggregateExpression)) {
            return null;
        }
        AggregateExpression call = (AggregateExpression) expression.windowFunction();
        if (call.mode() != Complete$.MODULE$ || call.isDistinct() || call.filter().isDefined()
                || !(call.aggregateFunction() instanceof SoftmaxAggregate)) {
            return null;
        }
        SoftmaxAggregate aggregate = (SoftmaxAggregate) call.aggregateFunction();
        boolean supported = aggregate.aggregator() instanceof SoftmaxStateAggregator
                || aggregate.aggregator() instanceof LogSumExpAggregator;
        if (!supported || aggregate.aggregator().mode() != SoftmaxMode.EXACT
                || ((ValueAggregator<?>) aggregate.aggregator()).temperature() != 1.0
                || !aggregate.child().deterministic()) {
            return null;
        }
        return aggregate;
    }

    private static boolean wholePartition(WindowSpecDefinition spec) {
        if (spec.frameSpecification() == UnspecifiedFrame$.MODULE$) {
            return true;
        }
        if (!(spec.frameSpecification() instanceof SpecifiedWindowFrame)) {
            return false;
        }
        SpecifiedWindowFrame frame = (SpecifiedWindowFrame) spec.frameSpecification();
        return frame.lower() == UnboundedPreceding$.MODULE$ && frame.upper() == UnboundedFollowing$.MODULE$;
    }

    /**
     * The expression with each {@code softmax(x, state)} and {@code log_softmax(x, state)} of a
     * rewritten state replaced by a new output of the node (x over the window's input); null
     * when a call reads a state with a weight or in another mode.
     */
    private static Expression replaceCalls(Expression expression, Map<ExprId, Attribute> normalizers,
            Window window, List<Expression> outputs, List<Attribute> outputAttributes) {
        if (expression instanceof RowWiseSoftmax) {
            RowWiseSoftmax call = (RowWiseSoftmax) expression;
            Expression state = unwrap(call.s());
            if (state instanceof AttributeReference
                    && normalizers.containsKey(((AttributeReference) state).exprId())) {
                ExprId id = ((AttributeReference) state).exprId();
                if (call.w() != null || call.mode() != SoftmaxMode.EXACT
                        || !call.x().references().subsetOf(window.child().outputSet())) {
                    return null;
                }
                Expression prob = new SoftmaxCall(SoftmaxFunctionRegistry.invoke(SoftmaxRuntime.class,
                        call.log() ? "compactLogProb" : "compactProb", DataTypes.DoubleType, false,
                        List.of(call.x(), normalizers.get(id))), call.prettyName(), 1);
                Alias output = alias(prob, call.prettyName());
                outputs.add(prob);
                outputAttributes.add(output.toAttribute());
                return output.toAttribute();
            }
        }
        List<Expression> children = ScalaCollections.list(expression.children());
        List<Expression> replaced = new ArrayList<>();
        boolean changed = false;
        for (Expression child : children) {
            Expression next = replaceCalls(child, normalizers, window, outputs, outputAttributes);
            if (next == null) {
                return null;
            }
            changed |= next != child;
            replaced.add(next);
        }
        return changed ? expression.withNewChildren(ScalaCollections.seq(replaced)) : expression;
    }

    /** Whether the expression still reads one of the states. */
    private static boolean readsAny(Expression expression, Map<ExprId, Attribute> states) {
        for (Attribute attribute : ScalaCollections.list(expression.references().toSeq())) {
            if (states.containsKey(attribute.exprId())) {
                return true;
            }
        }
        return false;
    }

    private static Expression unwrap(Expression expression) {
        return expression instanceof SoftmaxArgument ? ((SoftmaxArgument) expression).child() : expression;
    }

    /**
     * The compact normalizer struct that {@link SoftmaxRuntime#compactProb} reads, from the
     * public one: mode and status as ordinals, the temperature checked (as the DataFrame softmax).
     */
    private static Expression compact(Expression normalizer) {
        List<Expression> fields = new ArrayList<>();
        for (String field : NormalizerColumns.ROW_WISE_FIELDS) {
            Expression value = field(normalizer, field);
            switch (field) {
                case NormalizerColumns.MODE:
                    value = invoke("modeOrdinal", DataTypes.IntegerType, value);
                    break;
                case NormalizerColumns.STATUS:
                    value = invoke("statusOrdinal", DataTypes.IntegerType, value);
                    break;
                case NormalizerColumns.TEMPERATURE:
                    value = invoke("checkedTemperature", DataTypes.DoubleType, value);
                    break;
                case NormalizerColumns.LOG_NORMALIZER_HIGH: // the fields checked here, not per output
                    value = SoftmaxPlan.checkedLogNormalizerHigh(name -> field(normalizer, name));
                    break;
                default:
                    break;
            }
            fields.add(Literal.create(field, DataTypes.StringType));
            fields.add(value);
        }
        // A group without a non-null value has no state (NULL): softmax(x, NULL) is NULL for any x.
        Expression count = field(normalizer, NormalizerColumns.COUNT);
        Expression struct = new CreateNamedStruct(ScalaCollections.seq(fields));
        return new If(new EqualTo(count, Literal.create(0L, DataTypes.LongType)),
                Literal.create(null, struct.dataType()), struct);
    }

    private static Expression field(Expression normalizer, String name) {
        return new GetStructField(normalizer, NormalizerColumns.SCHEMA.fieldIndex(name), Option.apply(name));
    }

    private static Expression invoke(String method, org.apache.spark.sql.types.DataType type, Expression argument) {
        return SoftmaxFunctionRegistry.invoke(SoftmaxRuntime.class, method, type, false, List.of(argument));
    }

    private static Alias alias(Expression child, String name) {
        return new Alias(child, name, NamedExpression$.MODULE$.newExprId(), ScalaCollections.seq(List.<String>of()),
                Option.empty(), ScalaCollections.seq(List.<String>of()));
    }

    private static boolean deterministic(LogicalPlan plan) {
        for (Expression expression : ScalaCollections.list(plan.expressions())) {
            if (!expression.deterministic()) {
                return false;
            }
        }
        for (LogicalPlan child : ScalaCollections.list(plan.children())) {
            if (!deterministic(child)) {
                return false;
            }
        }
        return true;
    }
}
