/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.spark;

import static org.apache.spark.sql.functions.col;

import dev.softmax.core.SoftmaxException;
import dev.softmax.core.SoftmaxMode;
import dev.softmax.spark.catalyst.SoftmaxFunctionRegistry;
import dev.softmax.spark.catalyst.SoftmaxPlan;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
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
 *
 * @since 0.1.0
 */
public final class SoftmaxFunctions {

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
        return softmax(df, SoftmaxPlan.column(df, valueColumn), options);
    }

    /**
     * As {@link #softmax(Dataset, String, SoftmaxOptions)}, of an expression over {@code df}.
     *
     * @throws SoftmaxException if {@code df} is a streaming Dataset: the two stages need a whole
     *     group; the message says what works on a stream
     */
    public static Dataset<Row> softmax(Dataset<Row> df, Column value, SoftmaxOptions options) {
        return SoftmaxPlan.softmax(df, value, options);
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
        return normalizers(df, SoftmaxPlan.column(df, valueColumn), options);
    }

    /** As {@link #normalizers(Dataset, String, SoftmaxOptions)}, of an expression over {@code df}. */
    public static Dataset<Row> normalizers(Dataset<Row> df, Column value, SoftmaxOptions options) {
        return SoftmaxPlan.normalizers(df, value, options);
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
        return applyNormalizers(df, SoftmaxPlan.column(df, valueColumn), normalizers, options);
    }

    /** As {@link #applyNormalizers(Dataset, String, Dataset, SoftmaxOptions)}, of an expression. */
    public static Dataset<Row> applyNormalizers(Dataset<Row> df, Column value, Dataset<Row> normalizers,
            SoftmaxOptions options) {
        return SoftmaxPlan.applyNormalizers(df, value, normalizers, options);
    }

    // ---- aggregate columns ------------------------------------------------------------------------

    /** {@code logsumexp(x)}: log(sum(exp(x))) over the non-null values; NULL if none. */
    public static Column logsumexp(Column x) {
        return logsumexp(x, SoftmaxFunctionRegistry.sessionMode());
    }

    /** {@code logsumexp(x)} in the given mode. */
    public static Column logsumexp(Column x, SoftmaxMode mode) {
        return SoftmaxFunctionRegistry.column("logsumexp", mode, x);
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
        return SoftmaxFunctionRegistry.column("softmax_state", mode, x);
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
        return SoftmaxFunctionRegistry.column("softmax_state_merge", mode, state);
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
        return SoftmaxFunctionRegistry.column("softmax_normalizer", mode, x);
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
        return SoftmaxFunctionRegistry.column("softmax", mode, x, state);
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
        return SoftmaxFunctionRegistry.column("log_softmax", mode, x, state);
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
        return SoftmaxFunctionRegistry.column("logsumexp_of_state", mode, state);
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
        return SoftmaxFunctionRegistry.arrayColumn("array_softmax", "arraySoftmax",
                DataTypes.createArrayType(DataTypes.DoubleType, true),
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
        return SoftmaxFunctionRegistry.arrayColumn("array_log_softmax", "arrayLogSoftmax",
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
        return SoftmaxFunctionRegistry.arrayColumn("array_logsumexp", "arrayLogSumExp", DataTypes.DoubleType, array,
                temperature, mode);
    }

    /** {@code array_logsumexp} of a column by name. */
    public static Column array_logsumexp(String columnName) {
        return array_logsumexp(col(columnName));
    }

    // ---- weights (scipy's b) ---------------------------------------------------------------------

    /** {@code logsumexp(x, w)}: log(sum(w exp(x))) over the rows where x and w are non-null. */
    public static Column logsumexp(Column x, Column w) {
        return logsumexp(x, w, SoftmaxFunctionRegistry.sessionMode());
    }

    /** {@code logsumexp(x, w)} in the given mode. */
    public static Column logsumexp(Column x, Column w, SoftmaxMode mode) {
        return SoftmaxFunctionRegistry.column("logsumexp", mode, x, w);
    }

    /** {@code signed_logsumexp(x, w)}: STRUCT&lt;value, sign&gt;, log |S| and the sign of S. */
    public static Column signed_logsumexp(Column x, Column w) {
        return signed_logsumexp(x, w, SoftmaxFunctionRegistry.sessionMode());
    }

    /** {@code signed_logsumexp(x, w)} in the given mode. */
    public static Column signed_logsumexp(Column x, Column w, SoftmaxMode mode) {
        return SoftmaxFunctionRegistry.column("signed_logsumexp", mode, x, w);
    }

    /** {@code softmax_state(x, w)}: a weighted state, which merges with unweighted ones. */
    public static Column softmax_state(Column x, Column w) {
        return softmax_state(x, w, SoftmaxFunctionRegistry.sessionMode());
    }

    /** {@code softmax_state(x, w)} in the given mode. */
    public static Column softmax_state(Column x, Column w, SoftmaxMode mode) {
        return SoftmaxFunctionRegistry.column("softmax_state", mode, x, w);
    }

    /**
     * {@code softmax_normalizer(x, w)}: the finished normalizer of sum(w exp(x)), for
     * {@link #softmax(Column, Column, Column)} and {@link #log_softmax(Column, Column, Column)}.
     */
    public static Column softmax_normalizer(Column x, Column w) {
        return softmax_normalizer(x, w, SoftmaxFunctionRegistry.sessionMode());
    }

    /** {@code softmax_normalizer(x, w)} in the given mode. */
    public static Column softmax_normalizer(Column x, Column w, SoftmaxMode mode) {
        return SoftmaxFunctionRegistry.column("softmax_normalizer", mode, x, w);
    }

    /** {@code softmax(x, state, w)}: w exp(x) / S under a weighted state. */
    public static Column softmax(Column x, Column state, Column w) {
        return softmax(x, state, w, SoftmaxFunctionRegistry.sessionMode());
    }

    /** {@code softmax(x, state, w)} in the given mode. */
    public static Column softmax(Column x, Column state, Column w, SoftmaxMode mode) {
        return SoftmaxFunctionRegistry.column("softmax", mode, x, state, w);
    }

    /** {@code log_softmax(x, state, w)}: log(w) + x - log S under a weighted state. */
    public static Column log_softmax(Column x, Column state, Column w) {
        return log_softmax(x, state, w, SoftmaxFunctionRegistry.sessionMode());
    }

    /** {@code log_softmax(x, state, w)} in the given mode. */
    public static Column log_softmax(Column x, Column state, Column w, SoftmaxMode mode) {
        return SoftmaxFunctionRegistry.column("log_softmax", mode, x, state, w);
    }

    /** {@code array_softmax(x, b)}: b_i exp(x_i) / sum(b_j exp(x_j)), arrays of the same length. */
    public static Column array_softmax(Column array, Column b) {
        return array_softmax(array, b, SoftmaxFunctionRegistry.sessionMode());
    }

    /** {@code array_softmax(x, b)} in the given mode. */
    public static Column array_softmax(Column array, Column b, SoftmaxMode mode) {
        return SoftmaxFunctionRegistry.column("array_softmax", mode, array, b);
    }

    /** {@code array_log_softmax(x, b)}. */
    public static Column array_log_softmax(Column array, Column b) {
        return array_log_softmax(array, b, SoftmaxFunctionRegistry.sessionMode());
    }

    /** {@code array_log_softmax(x, b)} in the given mode. */
    public static Column array_log_softmax(Column array, Column b, SoftmaxMode mode) {
        return SoftmaxFunctionRegistry.column("array_log_softmax", mode, array, b);
    }

    /** {@code array_logsumexp(x, b)}: scipy's logsumexp(x, b=b). */
    public static Column array_logsumexp(Column array, Column b) {
        return array_logsumexp(array, b, SoftmaxFunctionRegistry.sessionMode());
    }

    /** {@code array_logsumexp(x, b)} in the given mode. */
    public static Column array_logsumexp(Column array, Column b, SoftmaxMode mode) {
        return SoftmaxFunctionRegistry.column("array_logsumexp", mode, array, b);
    }

    /** {@code array_signed_logsumexp(x, b)}: scipy's logsumexp(x, b=b, return_sign=True) as a struct. */
    public static Column array_signed_logsumexp(Column array, Column b) {
        return array_signed_logsumexp(array, b, SoftmaxFunctionRegistry.sessionMode());
    }

    /** {@code array_signed_logsumexp(x, b)} in the given mode. */
    public static Column array_signed_logsumexp(Column array, Column b, SoftmaxMode mode) {
        return SoftmaxFunctionRegistry.column("array_signed_logsumexp", mode, array, b);
    }
}
