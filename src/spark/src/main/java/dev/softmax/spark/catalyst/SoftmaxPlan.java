/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.spark.catalyst;

import static org.apache.spark.sql.functions.col;

import dev.softmax.core.SoftmaxException;
import dev.softmax.spark.NormalizerAggregator;
import dev.softmax.spark.NormalizerColumns;
import dev.softmax.spark.SoftmaxOptions;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.aggregate.AggregateFunction;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.internal.SQLConf;
import org.apache.spark.sql.types.DataTypes;

/**
 * The plans behind the DataFrame-level methods of {@link dev.softmax.spark.SoftmaxFunctions}:
 * one aggregate of finished normalizers (partial per partition, then merged), then either a
 * scalar subquery that carries the single normalizer into the map stage (global) or a null-safe
 * join of the rows with their group's normalizer, broadcast when small (grouped). Internal.
 */
public final class SoftmaxPlan {

    /**
     * Why {@code softmax(df, ...)} refuses a streaming Dataset, and what to use instead: it
     * needs every value of a group before it can write any row of it, which a stream never has.
     */
    public static final String STREAMING_ADVICE = "softmax(df, ...) cannot run on a streaming Dataset: it needs every"
            + " value of a group before it writes any row of it. On a stream, keep the per-group state with the"
            + " aggregates softmax_state(x) or softmax_normalizer(x) (groupBy(...).agg(...), update or complete"
            + " output mode), or score the stream against stored normalizers with applyNormalizers(stream,"
            + " value, normalizers, options) or softmax(x, n) in a stream-static join on the group key";

    private static final String NORMALIZER = "__softmax_normalizer__";
    private static final String GROUP_KEY = "__softmax_group_";

    private SoftmaxPlan() {}

    /** The DataFrame softmax: one aggregate, then the map stage (global) or the join (grouped). */
    public static Dataset<Row> softmax(Dataset<Row> df, Column value, SoftmaxOptions options) {
        if (df.isStreaming()) {
            throw new SoftmaxException(STREAMING_ADVICE);
        }
        checkOutputs(df, options);
        return applyStructs(df, value, normalizerStructs(df, value, options), options, true);
    }

    /** The finished normalizer of each group, as {@code SoftmaxFunctions.normalizers} documents it. */
    public static Dataset<Row> normalizers(Dataset<Row> df, Column value, SoftmaxOptions options) {
        List<Column> output = groupColumns(options);
        output.add(col(quote(NORMALIZER) + ".*"));
        return normalizerStructs(df, value, options).select(output.toArray(new Column[0]));
    }

    /** The output columns from stored normalizers, as {@code SoftmaxFunctions.applyNormalizers} documents it. */
    public static Dataset<Row> applyNormalizers(Dataset<Row> df, Column value, Dataset<Row> normalizers,
            SoftmaxOptions options) {
        checkOutputs(df, options);
        List<String> required = new ArrayList<>(options.groupBy());
        required.addAll(List.of(NormalizerColumns.SCHEMA.fieldNames()));
        Set<String> present = names(normalizers.columns());
        List<String> missing = new ArrayList<>();
        for (String name : required) {
            if (!present.contains(normalize(name))) {
                missing.add(name);
            }
        }
        if (!missing.isEmpty()) {
            throw new SoftmaxException("normalizers must have the columns " + required + ", missing " + missing);
        }
        List<Column> fields = new ArrayList<>();
        for (String field : NormalizerColumns.SCHEMA.fieldNames()) {
            // Cast: a table the user stored may hold, say, an int count; the runtime reads the schema's types.
            fields.add(col(quote(field)).cast(NormalizerColumns.SCHEMA.apply(field).dataType()).as(field));
        }
        List<Column> structs = groupColumns(options);
        structs.add(functions.struct(fields.toArray(new Column[0])).as(NORMALIZER));
        return applyStructs(df, value, normalizers.select(structs.toArray(new Column[0])), options, false);
    }

    /** The group columns, then the normalizer of each group as one struct column. */
    private static Dataset<Row> normalizerStructs(Dataset<Row> df, Column value, SoftmaxOptions options) {
        Expression aggregate = options.weighted()
                ? new SoftmaxAggregate("softmax_normalizer",
                        new WeightedAggregator(options.mode(), options.temperature(),
                                WeightedAggregator.Output.NORMALIZER),
                        SoftmaxFunctionRegistry.pair("softmax", ColumnExpressions.expression(value),
                                ColumnExpressions.expression(weight(df, options))))
                : SoftmaxFunctionRegistry.aggregate("softmax_normalizer",
                        new NormalizerAggregator(options.mode(), options.temperature()),
                        SoftmaxFunctionRegistry.numeric(ColumnExpressions.expression(value), "softmax", 1, "value"));
        Column normalizer = ColumnExpressions.column(((AggregateFunction) aggregate).toAggregateExpression())
                .as(NORMALIZER);
        if (options.groupBy().isEmpty()) {
            return df.agg(normalizer);
        }
        return df.groupBy(groupColumns(options).toArray(new Column[0])).agg(normalizer);
    }

    /** The weight of {@code options} as a column of {@code df}. */
    private static Column weight(Dataset<Row> df, SoftmaxOptions options) {
        return options.weight() != null ? options.weight() : column(df, options.weightColumn());
    }

    private static List<Column> groupColumns(SoftmaxOptions options) {
        List<Column> groups = new ArrayList<>();
        for (String group : options.groupBy()) {
            groups.add(col(quote(group)));
        }
        return groups;
    }

    /**
     * Joins (grouped) or attaches as a scalar subquery (global) the normalizer structs, then maps.
     * Grouped, with {@code decideAtRunTime} (the normalizers are the aggregate of {@code df}
     * itself, one per key) and a threshold of 0 or more: the plan is {@link GroupedSoftmax},
     * which broadcasts the normalizers or joins them once it knows their real size.
     */
    private static Dataset<Row> applyStructs(Dataset<Row> df, Column value, Dataset<Row> structs,
            SoftmaxOptions options, boolean decideAtRunTime) {
        if (options.groupBy().isEmpty()) {
            // One scalar subquery, referenced once: the aggregate runs once, before the map stage,
            // and its single row travels to the executors inside the task.
            Dataset<Row> attached = df.select(col("*"),
                    ColumnExpressions.scalar(structs.select(compact(col(quote(NORMALIZER))))).as(NORMALIZER));
            return attached.select(outputs(df, col("*"), value, col(quote(NORMALIZER)), options)).drop(NORMALIZER);
        }
        List<Column> right = new ArrayList<>();
        List<String> temporary = new ArrayList<>();
        for (int i = 0; i < options.groupBy().size(); i++) {
            right.add(col(quote(options.groupBy().get(i))).as(GROUP_KEY + i + "__"));
            temporary.add(GROUP_KEY + i + "__");
        }
        right.add(compact(col(quote(NORMALIZER))).as(NORMALIZER));
        temporary.add(NORMALIZER);
        boolean runtime = decideAtRunTime && options.broadcastThreshold() >= 0;
        Dataset<Row> perGroup = structs.select(right.toArray(new Column[0]));
        if (!runtime) {
            perGroup = withJoinStrategy(perGroup, options);
        }
        Column condition = null;
        for (int i = 0; i < options.groupBy().size(); i++) {
            Column equal = df.col(quote(options.groupBy().get(i)))
                    .eqNullSafe(perGroup.col(quote(GROUP_KEY + i + "__")));
            condition = condition == null ? equal : condition.and(equal);
        }
        Dataset<Row> joined = df.join(perGroup, condition, "left_outer");
        Column[] outputs = outputs(df, col("*"), value, perGroup.col(quote(NORMALIZER)), options);
        Dataset<Row> selected = joined.select(outputs);
        if (runtime) {
            SoftmaxStrategy.register(df.sparkSession());
            Dataset<Row> planned = GroupedSoftmax.of(selected, outputs.length - 1, options.broadcastThreshold());
            if (planned != null) {
                return planned;
            }
        }
        return selected.drop(temporary.toArray(new String[0]));
    }

    /**
     * Broadcast the per-group normalizers when Spark's estimate of their size is within the
     * threshold; with a negative threshold, ask for a sort-merge join so that adaptive
     * execution does not broadcast either.
     */
    private static Dataset<Row> withJoinStrategy(Dataset<Row> perGroup, SoftmaxOptions options) {
        long threshold = options.broadcastThreshold();
        if (threshold < 0) {
            return perGroup.hint("merge");
        }
        BigInteger estimate = perGroup.queryExecution().optimizedPlan().stats().sizeInBytes().bigInteger();
        return estimate.compareTo(BigInteger.valueOf(threshold)) <= 0 ? functions.broadcast(perGroup) : perGroup;
    }

    private static Column[] outputs(Dataset<Row> df, Column all, Column value, Column normalizer,
            SoftmaxOptions options) {
        List<Column> columns = new ArrayList<>();
        columns.add(all);
        Expression x = SoftmaxFunctionRegistry.numeric(ColumnExpressions.expression(value), "softmax", 1, "value");
        Expression w = options.weighted()
                ? SoftmaxFunctionRegistry.numeric(ColumnExpressions.expression(weight(df, options)), "softmax", 2,
                        "weight")
                : null;
        if (options.probColumn() != null) {
            columns.add(perRow("softmax", w == null ? "compactProb" : "compactWeightedProb", x, w, normalizer)
                    .as(options.probColumn()));
        }
        if (options.logProbColumn() != null) {
            String method = w == null ? "compactLogProb" : "compactWeightedLogProb";
            columns.add(perRow("log_softmax", method, x, w, normalizer).as(options.logProbColumn()));
        }
        return columns.toArray(new Column[0]);
    }

    /** {@code SoftmaxRuntime.method(x[, w], the compact normalizer struct)}; NULL if any is NULL. */
    private static Column perRow(String name, String method, Expression x, Expression w, Column normalizer) {
        List<Expression> arguments = new ArrayList<>();
        arguments.add(x);
        if (w != null) {
            arguments.add(w);
        }
        arguments.add(ColumnExpressions.expression(normalizer)); // the compact struct, whole
        return ColumnExpressions.column(new SoftmaxCall(
                SoftmaxFunctionRegistry.invoke(SoftmaxRuntime.class, method, DataTypes.DoubleType, false, arguments),
                name, w == null ? 1 : 2));
    }

    /**
     * The normalizer struct the rows see: mode and status as ordinals and the temperature
     * checked, converted once per group (not once per row) from the public columns.
     */
    private static Column compact(Column normalizer) {
        return functions.struct(
                invoke("modeOrdinal", DataTypes.IntegerType, normalizer.getField(NormalizerColumns.MODE)).as("mode"),
                invoke("statusOrdinal", DataTypes.IntegerType, normalizer.getField(NormalizerColumns.STATUS))
                        .as("status"),
                invoke("checkedTemperature", DataTypes.DoubleType, normalizer.getField(NormalizerColumns.TEMPERATURE))
                        .as("temperature"),
                normalizer.getField(NormalizerColumns.COUNT).as("count"),
                normalizer.getField(NormalizerColumns.MAX).as("max"),
                normalizer.getField(NormalizerColumns.MAX_COUNT).as("max_count"),
                ColumnExpressions.column(checkedLogNormalizerHigh(
                        field -> ColumnExpressions.expression(normalizer.getField(field)))).as("log_normalizer_high"),
                normalizer.getField(NormalizerColumns.LOG_NORMALIZER_LOW).as("log_normalizer_low"));
    }

    /**
     * L_hi of a normalizer struct, once its fields are checked
     * ({@link SoftmaxRuntime#checkedLogNormalizerHigh}), for the compact struct of the DataFrame
     * softmax and of the SQL window form; {@code field} reads a field of the public struct by name.
     */
    static Expression checkedLogNormalizerHigh(Function<String, Expression> field) {
        List<Expression> arguments = new ArrayList<>();
        arguments.add(SoftmaxFunctionRegistry.invoke(SoftmaxRuntime.class, "statusOrdinal", DataTypes.IntegerType,
                false, List.of(field.apply(NormalizerColumns.STATUS))));
        for (String name : List.of(NormalizerColumns.COUNT, NormalizerColumns.MAX, NormalizerColumns.MAX_COUNT,
                NormalizerColumns.LOG_NORMALIZER_HIGH, NormalizerColumns.LOG_NORMALIZER_LOW)) {
            arguments.add(field.apply(name));
        }
        return SoftmaxFunctionRegistry.invoke(SoftmaxRuntime.class, "checkedLogNormalizerHigh", DataTypes.DoubleType,
                false, arguments);
    }

    private static Column invoke(String method, org.apache.spark.sql.types.DataType type, Column argument) {
        return ColumnExpressions.column(SoftmaxFunctionRegistry.invoke(SoftmaxRuntime.class, method, type, false,
                List.of(ColumnExpressions.expression(argument))));
    }

    private static void checkOutputs(Dataset<Row> df, SoftmaxOptions options) {
        if (options.probColumn() == null && options.logProbColumn() == null) {
            throw new SoftmaxException("at least one of probColumn and logProbColumn must be set, got both null");
        }
        Set<String> existing = names(df.columns());
        for (String output : new String[] {options.probColumn(), options.logProbColumn()}) {
            if (output != null && existing.contains(normalize(output))) {
                throw new SoftmaxException("output column " + output + " already exists in the input; "
                        + "choose another name with probColumn(...) or logProbColumn(...)");
            }
        }
        if (options.probColumn() != null && normalize(options.probColumn())
                .equals(normalize(String.valueOf(options.logProbColumn())))) {
            throw new SoftmaxException("probColumn and logProbColumn must differ, got " + options.probColumn()
                    + " twice");
        }
    }

    private static Set<String> names(String[] columns) {
        Set<String> names = new TreeSet<>();
        for (String column : columns) {
            names.add(normalize(column));
        }
        return names;
    }

    private static String normalize(String name) {
        return SQLConf.get().caseSensitiveAnalysis() ? name : name.toLowerCase(Locale.ROOT);
    }

    private static String quote(String name) {
        return "`" + name.replace("`", "``") + "`";
    }

    /** The column of {@code df} named {@code name}, quoted: a name with a dot is one column. */
    public static Column column(Dataset<Row> df, String name) {
        return df.col(quote(name));
    }
}
