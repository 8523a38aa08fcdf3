/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.spark;

import static org.apache.spark.sql.functions.col;

import dev.softmax.core.SoftmaxException;
import dev.softmax.core.SoftmaxMode;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.Literal;
import org.apache.spark.sql.catalyst.expressions.aggregate.AggregateFunction;
import org.apache.spark.sql.classic.ExpressionUtils;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.internal.SQLConf;
import org.apache.spark.sql.types.DataTypes;

/**
 * Numerically safe softmax, log-softmax and logsumexp for Spark DataFrames, in the style of
 * {@link org.apache.spark.sql.functions}: static methods taking {@link Column}s (or column
 * names) and returning {@link Column}s, with the same names as the SQL functions, plus a
 * DataFrame-level {@link #softmax(Dataset, String, SoftmaxOptions) softmax} that adds
 * {@code prob} and {@code log_prob} columns.
 *
 * <p>Semantics (null, NaN, infinities, empty groups) are the core's, listed once in
 * {@link dev.softmax.core.Normalizer}: a null value gets null outputs and is ignored; a NaN
 * makes its group NaN; a +inf makes it NaN (logsumexp +inf); an all -inf group is NaN
 * (logsumexp -inf); a -inf beside finite values gets prob 0 and log_prob -inf. Aggregates
 * over no non-null value are NULL, as Spark's {@code sum}. Numeric inputs are cast to double
 * (a long above 2^53 rounds); any other type fails at analysis naming the function and the
 * argument.
 *
 * <p>Mode: the column functions without a {@link SoftmaxMode} argument use the active
 * session's {@value SoftmaxFunctionRegistry#MODE_CONF} (default {@code exact}) at the time the
 * column is created; the DataFrame-level methods use {@link SoftmaxOptions#mode()}.
 *
 * <p>Plans. {@code softmax(df, ...)} is lazy and runs one aggregate (partial per partition,
 * then merge; no Window, nothing moves all rows to one partition) and one map stage:
 * <ul>
 *   <li>global: the aggregate's single finished normalizer reaches the executors as a scalar
 *       subquery, the rows are mapped in place;</li>
 *   <li>grouped: one finished normalizer per group is joined back to the rows on the group
 *       columns (null-safe), broadcast when small ({@link SoftmaxOptions#broadcastThreshold}),
 *       shuffle-joined otherwise.</li>
 * </ul>
 * A job that wants a summary first calls {@link #normalizers(Dataset, String, SoftmaxOptions)}
 * (one row per group), looks at it, then {@link #applyNormalizers(Dataset, String, Dataset,
 * SoftmaxOptions)}; cache the normalizers to aggregate once.
 */
public final class SoftmaxFunctions {

    private static final String NORMALIZER = "__softmax_normalizer__";

    /**
     * Why {@code softmax(df, ...)} refuses a streaming Dataset, and what to use instead: it
     * needs every value of a group before it can write any row of it, which a stream never has.
     */
    static final String STREAMING_ADVICE = "softmax(df, ...) cannot run on a streaming Dataset: it needs every"
            + " value of a group before it writes any row of it. On a stream, keep the per-group state with the"
            + " aggregates softmax_state(x) or softmax_normalizer(x) (groupBy(...).agg(...), update or complete"
            + " output mode), or score the stream against stored normalizers with applyNormalizers(stream,"
            + " value, normalizers, options) or softmax(x, n) in a stream-static join on the group key";
    private static final String GROUP_KEY = "__softmax_group_";

    private SoftmaxFunctions() {}

    // ---- DataFrame softmax ------------------------------------------------------------------------

    /** {@link #softmax(Dataset, String, SoftmaxOptions)} with {@link SoftmaxOptions#defaults()}. */
    public static Dataset<Row> softmax(Dataset<Row> df, String valueColumn) {
        return softmax(df, valueColumn, SoftmaxOptions.defaults());
    }

    /**
     * Returns {@code df} with the softmax of {@code valueColumn} (over the whole column or per
     * group) added as {@link SoftmaxOptions#probColumn()} and {@link SoftmaxOptions#logProbColumn()}:
     * every input row and column kept, in order; rows with a null value get null outputs.
     *
     * @throws SoftmaxException if an output column already exists or both are left out
     */
    public static Dataset<Row> softmax(Dataset<Row> df, String valueColumn, SoftmaxOptions options) {
        return softmax(df, df.col(quote(valueColumn)), options);
    }

    /**
     * As {@link #softmax(Dataset, String, SoftmaxOptions)}, of an expression over {@code df}.
     *
     * @throws SoftmaxException if {@code df} is a streaming Dataset (see {@link #STREAMING_ADVICE})
     */
    public static Dataset<Row> softmax(Dataset<Row> df, Column value, SoftmaxOptions options) {
        if (df.isStreaming()) {
            throw new SoftmaxException(STREAMING_ADVICE);
        }
        checkOutputs(df, options);
        return applyStructs(df, value, normalizerStructs(df, value, options), options);
    }

    /**
     * The finished normalizer of each group (one row when there is no group-by column): the
     * group columns, then the columns of {@link NormalizerColumns} ({@code mode},
     * {@code temperature}, {@code status}, {@code count}, {@code max}, {@code max_count},
     * {@code logsumexp}, {@code log_normalizer_high}, {@code log_normalizer_low}). A group whose
     * values are all null has status {@code EMPTY} and a NULL logsumexp; {@code NAN},
     * {@code POSITIVE_INFINITY} and {@code ALL_NEGATIVE_INFINITY} say why a group's outputs are
     * NaN. One aggregate, partial then merged; lazy.
     *
     * <pre>{@code
     * Dataset<Row> normalizers = SoftmaxFunctions.normalizers(df, "score", options).cache();
     * normalizers.groupBy("status").count().show();       // summary: groups per status
     * Dataset<Row> out = SoftmaxFunctions.applyNormalizers(df, "score", normalizers, options);
     * }</pre>
     */
    public static Dataset<Row> normalizers(Dataset<Row> df, String valueColumn, SoftmaxOptions options) {
        return normalizers(df, df.col(quote(valueColumn)), options);
    }

    /** As {@link #normalizers(Dataset, String, SoftmaxOptions)}, of an expression over {@code df}. */
    public static Dataset<Row> normalizers(Dataset<Row> df, Column value, SoftmaxOptions options) {
        List<Column> output = groupColumns(options);
        output.add(col(quote(NORMALIZER) + ".*"));
        return normalizerStructs(df, value, options).select(output.toArray(new Column[0]));
    }

    /** The group columns, then the normalizer of each group as one struct column. */
    private static Dataset<Row> normalizerStructs(Dataset<Row> df, Column value, SoftmaxOptions options) {
        Expression aggregate = SoftmaxFunctionRegistry.aggregate("softmax_normalizer",
                new NormalizerAggregator(options.mode(), options.temperature()),
                SoftmaxFunctionRegistry.numeric(ExpressionUtils.expression(value), "softmax", 1, "value"));
        Column normalizer = ExpressionUtils.column(((AggregateFunction) aggregate).toAggregateExpression())
                .as(NORMALIZER);
        if (options.groupBy().isEmpty()) {
            return df.agg(normalizer);
        }
        return df.groupBy(groupColumns(options).toArray(new Column[0])).agg(normalizer);
    }

    private static List<Column> groupColumns(SoftmaxOptions options) {
        List<Column> groups = new ArrayList<>();
        for (String group : options.groupBy()) {
            groups.add(col(quote(group)));
        }
        return groups;
    }

    /**
     * Adds the output columns to {@code df} using normalizers already computed by
     * {@link #normalizers(Dataset, String, SoftmaxOptions)} (for the same value column and
     * group columns), without aggregating again. Mode and temperature come from the
     * normalizers; {@code options} gives the group columns, the output names and the broadcast
     * threshold. A row whose group has no normalizer gets null outputs.
     *
     * @throws SoftmaxException if {@code normalizers} lacks a group or normalizer column, or an
     *     output column already exists
     */
    public static Dataset<Row> applyNormalizers(Dataset<Row> df, String valueColumn,
            Dataset<Row> normalizers, SoftmaxOptions options) {
        return applyNormalizers(df, df.col(quote(valueColumn)), normalizers, options);
    }

    /** As {@link #applyNormalizers(Dataset, String, Dataset, SoftmaxOptions)}, of an expression. */
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
        return applyStructs(df, value, normalizers.select(structs.toArray(new Column[0])), options);
    }

    /** Joins (grouped) or attaches as a scalar subquery (global) the normalizer structs, then maps. */
    private static Dataset<Row> applyStructs(Dataset<Row> df, Column value, Dataset<Row> structs,
            SoftmaxOptions options) {
        if (options.groupBy().isEmpty()) {
            // One scalar subquery, referenced once: the aggregate runs once, before the map stage,
            // and its single row travels to the executors inside the task.
            Dataset<Row> attached = df.select(col("*"),
                    structs.select(compact(col(quote(NORMALIZER)))).scalar().as(NORMALIZER));
            return attached.select(outputs(col("*"), value, col(quote(NORMALIZER)), options)).drop(NORMALIZER);
        }
        List<Column> right = new ArrayList<>();
        List<String> temporary = new ArrayList<>();
        for (int i = 0; i < options.groupBy().size(); i++) {
            right.add(col(quote(options.groupBy().get(i))).as(GROUP_KEY + i + "__"));
            temporary.add(GROUP_KEY + i + "__");
        }
        right.add(compact(col(quote(NORMALIZER))).as(NORMALIZER));
        temporary.add(NORMALIZER);
        Dataset<Row> perGroup = withJoinStrategy(structs.select(right.toArray(new Column[0])), options);
        Column condition = null;
        for (int i = 0; i < options.groupBy().size(); i++) {
            Column equal = df.col(quote(options.groupBy().get(i))).eqNullSafe(perGroup.col(quote(GROUP_KEY + i + "__")));
            condition = condition == null ? equal : condition.and(equal);
        }
        Dataset<Row> joined = df.join(perGroup, condition, "left_outer");
        return joined.select(outputs(col("*"), value, perGroup.col(quote(NORMALIZER)), options))
                .drop(temporary.toArray(new String[0]));
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

    private static Column[] outputs(Column all, Column value, Column normalizer, SoftmaxOptions options) {
        List<Column> columns = new ArrayList<>();
        columns.add(all);
        Expression x = SoftmaxFunctionRegistry.numeric(ExpressionUtils.expression(value), "softmax", 1, "value");
        if (options.probColumn() != null) {
            columns.add(perRow("softmax", "prob", x, normalizer).as(options.probColumn()));
        }
        if (options.logProbColumn() != null) {
            columns.add(perRow("log_softmax", "logProb", x, normalizer).as(options.logProbColumn()));
        }
        return columns.toArray(new Column[0]);
    }

    /** {@code SoftmaxRuntime.method(x, the fields of the compact normalizer)}; NULL if any is NULL. */
    private static Column perRow(String name, String method, Expression x, Column normalizer) {
        List<Expression> arguments = new ArrayList<>();
        arguments.add(x);
        for (String field : NormalizerColumns.ROW_WISE_FIELDS) {
            arguments.add(ExpressionUtils.expression(normalizer.getField(field)));
        }
        return ExpressionUtils.column(new SoftmaxCall(
                SoftmaxFunctionRegistry.invoke(SoftmaxRuntime.class, method, DataTypes.DoubleType, false, arguments),
                name, 1));
    }

    /**
     * The normalizer struct the rows see: mode and status as ordinals and the temperature
     * checked, converted once per group (not once per row) from the public columns.
     */
    private static Column compact(Column normalizer) {
        return functions.struct(
                invoke("modeOrdinal", DataTypes.IntegerType, normalizer.getField(NormalizerColumns.MODE)).as("mode"),
                invoke("statusOrdinal", DataTypes.IntegerType, normalizer.getField(NormalizerColumns.STATUS)).as("status"),
                invoke("checkedTemperature", DataTypes.DoubleType, normalizer.getField(NormalizerColumns.TEMPERATURE))
                        .as("temperature"),
                normalizer.getField(NormalizerColumns.COUNT).as("count"),
                normalizer.getField(NormalizerColumns.MAX).as("max"),
                normalizer.getField(NormalizerColumns.MAX_COUNT).as("max_count"),
                normalizer.getField(NormalizerColumns.LOG_NORMALIZER_HIGH).as("log_normalizer_high"),
                normalizer.getField(NormalizerColumns.LOG_NORMALIZER_LOW).as("log_normalizer_low"));
    }

    private static Column invoke(String method, org.apache.spark.sql.types.DataType type, Column argument) {
        return ExpressionUtils.column(SoftmaxFunctionRegistry.invoke(SoftmaxRuntime.class, method, type, false,
                List.of(ExpressionUtils.expression(argument))));
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
        if (options.probColumn() != null && normalize(options.probColumn()).equals(normalize(String.valueOf(options.logProbColumn())))) {
            throw new SoftmaxException("probColumn and logProbColumn must differ, got " + options.probColumn() + " twice");
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

    // ---- aggregate columns ------------------------------------------------------------------------

    /** {@code logsumexp(x)}: log(sum(exp(x))) over the non-null values; NULL if none. */
    public static Column logsumexp(Column x) {
        return logsumexp(x, SoftmaxFunctionRegistry.sessionMode());
    }

    /** {@code logsumexp(x)} in the given mode. */
    public static Column logsumexp(Column x, SoftmaxMode mode) {
        return call("logsumexp", mode, x);
    }

    /** {@code logsumexp(x)} of a column by name. */
    public static Column logsumexp(String columnName) {
        return logsumexp(col(columnName));
    }

    /** {@code softmax_state(x)}: the core's versioned binary state of the non-null values; NULL if none. */
    public static Column softmax_state(Column x) {
        return softmax_state(x, SoftmaxFunctionRegistry.sessionMode());
    }

    /** {@code softmax_state(x)} in the given mode. */
    public static Column softmax_state(Column x, SoftmaxMode mode) {
        return call("softmax_state", mode, x);
    }

    /** {@code softmax_state(x)} of a column by name. */
    public static Column softmax_state(String columnName) {
        return softmax_state(col(columnName));
    }

    /** {@code softmax_state_merge(state)}: merges stored states; same bits as one pass (exact mode). */
    public static Column softmax_state_merge(Column state) {
        return softmax_state_merge(state, SoftmaxFunctionRegistry.sessionMode());
    }

    /** {@code softmax_state_merge(state)} expecting states of the given mode. */
    public static Column softmax_state_merge(Column state, SoftmaxMode mode) {
        return call("softmax_state_merge", mode, state);
    }

    /** {@code softmax_state_merge(state)} of a column by name. */
    public static Column softmax_state_merge(String columnName) {
        return softmax_state_merge(col(columnName));
    }

    /**
     * {@code softmax_normalizer(x)}: the finished normalizer of the non-null values, a struct of
     * {@link NormalizerColumns#SCHEMA}. {@link #softmax(Column, Column)} reads it without a
     * decode per row: the form to join to the rows.
     */
    public static Column softmax_normalizer(Column x) {
        return softmax_normalizer(x, SoftmaxFunctionRegistry.sessionMode());
    }

    /** {@code softmax_normalizer(x)} in the given mode. */
    public static Column softmax_normalizer(Column x, SoftmaxMode mode) {
        return call("softmax_normalizer", mode, x);
    }

    /** {@code softmax_normalizer(x)} of a column by name. */
    public static Column softmax_normalizer(String columnName) {
        return softmax_normalizer(col(columnName));
    }

    // ---- (x, state) columns -----------------------------------------------------------------------

    /**
     * {@code softmax(x, state)}: exp(x) / sum(exp(v)) over the values the state was built from.
     * {@code state} is a stored state ({@link #softmax_state(Column)}) or a finished normalizer
     * ({@link #softmax_normalizer(Column)}); the same bits either way.
     */
    public static Column softmax(Column x, Column state) {
        return softmax(x, state, SoftmaxFunctionRegistry.sessionMode());
    }

    /** {@code softmax(x, state)} expecting a state of the given mode. */
    public static Column softmax(Column x, Column state, SoftmaxMode mode) {
        return call("softmax", mode, x, state);
    }

    /** {@code softmax(x, state)} of columns by name. */
    public static Column softmax(String xColumn, String stateColumn) {
        return softmax(col(xColumn), col(stateColumn));
    }

    /** {@code log_softmax(x, state)}: log of {@link #softmax(Column, Column)}, without cancellation. */
    public static Column log_softmax(Column x, Column state) {
        return log_softmax(x, state, SoftmaxFunctionRegistry.sessionMode());
    }

    /** {@code log_softmax(x, state)} expecting a state of the given mode. */
    public static Column log_softmax(Column x, Column state, SoftmaxMode mode) {
        return call("log_softmax", mode, x, state);
    }

    /** {@code log_softmax(x, state)} of columns by name. */
    public static Column log_softmax(String xColumn, String stateColumn) {
        return log_softmax(col(xColumn), col(stateColumn));
    }

    /** {@code logsumexp_of_state(state)}: the logsumexp of the values the state was built from. */
    public static Column logsumexp_of_state(Column state) {
        return logsumexp_of_state(state, SoftmaxFunctionRegistry.sessionMode());
    }

    /** {@code logsumexp_of_state(state)} expecting a state of the given mode. */
    public static Column logsumexp_of_state(Column state, SoftmaxMode mode) {
        return call("logsumexp_of_state", mode, state);
    }

    /** {@code logsumexp_of_state(state)} of a column by name. */
    public static Column logsumexp_of_state(String stateColumn) {
        return logsumexp_of_state(col(stateColumn));
    }

    // ---- array columns ----------------------------------------------------------------------------

    /** {@code array_softmax(array)}: row-wise softmax of a numeric array; null elements stay null. */
    public static Column array_softmax(Column array) {
        return array_softmax(array, 1.0, SoftmaxFunctionRegistry.sessionMode());
    }

    /** {@code array_softmax} of {@code array / temperature}, in the given mode. */
    public static Column array_softmax(Column array, double temperature, SoftmaxMode mode) {
        return arrayCall("array_softmax", "arraySoftmax", DataTypes.createArrayType(DataTypes.DoubleType, true),
                array, temperature, mode);
    }

    /** {@code array_softmax} of a column by name. */
    public static Column array_softmax(String columnName) {
        return array_softmax(col(columnName));
    }

    /** {@code array_log_softmax(array)}: row-wise log-softmax; null elements stay null. */
    public static Column array_log_softmax(Column array) {
        return array_log_softmax(array, 1.0, SoftmaxFunctionRegistry.sessionMode());
    }

    /** {@code array_log_softmax} of {@code array / temperature}, in the given mode. */
    public static Column array_log_softmax(Column array, double temperature, SoftmaxMode mode) {
        return arrayCall("array_log_softmax", "arrayLogSoftmax",
                DataTypes.createArrayType(DataTypes.DoubleType, true), array, temperature, mode);
    }

    /** {@code array_log_softmax} of a column by name. */
    public static Column array_log_softmax(String columnName) {
        return array_log_softmax(col(columnName));
    }

    /** {@code array_logsumexp(array)}: -inf for an empty array, NULL for a NULL one. */
    public static Column array_logsumexp(Column array) {
        return array_logsumexp(array, 1.0, SoftmaxFunctionRegistry.sessionMode());
    }

    /** {@code array_logsumexp} of {@code array / temperature}, in the given mode. */
    public static Column array_logsumexp(Column array, double temperature, SoftmaxMode mode) {
        return arrayCall("array_logsumexp", "arrayLogSumExp", DataTypes.DoubleType, array, temperature, mode);
    }

    /** {@code array_logsumexp} of a column by name. */
    public static Column array_logsumexp(String columnName) {
        return array_logsumexp(col(columnName));
    }

    private static Column arrayCall(String name, String method, org.apache.spark.sql.types.DataType type,
            Column array, double temperature, SoftmaxMode mode) {
        dev.softmax.core.Softmax.checkTemperature(temperature);
        return ExpressionUtils.column(SoftmaxFunctionRegistry.rowWise(name, method, type, false, mode,
                SoftmaxFunctionRegistry.numericArray(ExpressionUtils.expression(array), name, 1, "array"),
                Literal.create(temperature, DataTypes.DoubleType)));
    }

    private static Column call(String name, SoftmaxMode mode, Column... arguments) {
        List<Expression> expressions = new ArrayList<>();
        for (Column argument : arguments) {
            expressions.add(ExpressionUtils.expression(argument));
        }
        Expression built = SoftmaxFunctionRegistry.definition(name).build(expressions, mode);
        if (built instanceof AggregateFunction) {
            built = ((AggregateFunction) built).toAggregateExpression();
        }
        return ExpressionUtils.column(built);
    }
}
