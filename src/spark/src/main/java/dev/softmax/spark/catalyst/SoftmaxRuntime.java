/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.spark.catalyst;

import dev.softmax.core.FastLogSumExp;
import dev.softmax.core.LogSumExpAccumulator;
import dev.softmax.core.Normalizer;
import dev.softmax.core.Softmax;
import dev.softmax.core.SoftmaxException;
import dev.softmax.core.SoftmaxMode;
import dev.softmax.spark.NormalizerAggregator;
import dev.softmax.spark.NormalizerColumns;
import java.util.Arrays;
import java.util.Locale;
import org.apache.spark.sql.catalyst.CatalystTypeConverters;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.catalyst.util.GenericArrayData;
import org.apache.spark.unsafe.types.UTF8String;

/**
 * The row-wise side of the SQL functions: static methods that Spark's generated code calls
 * ({@code StaticInvoke}) with Catalyst's internal types. Not an API: use
 * {@link SoftmaxFunctions} or SQL.
 *
 * <p>Nulls never reach these methods: the calling expressions return NULL when an argument
 * is NULL. A state is decoded and finished once and then reused while the rows carry the same
 * one (the common case: rows of one group come together); the cache is per thread, and a
 * Spark task runs on one thread. The DataFrame softmax carries finished fields instead.
 */
public final class SoftmaxRuntime {

    private static final SoftmaxMode[] MODES = SoftmaxMode.values();
    private static final ThreadLocal<StateCache> STATE_CACHE = ThreadLocal.withInitial(StateCache::new);
    private static final Normalizer.Status[] STATUSES = Normalizer.Status.values();
    private static final int EXACT = SoftmaxMode.EXACT.ordinal();
    private static final int FINITE = Normalizer.Status.FINITE.ordinal();
    private static final UTF8String[] MODE_NAMES =
            Arrays.stream(MODES).map(mode -> UTF8String.fromString(mode.id())).toArray(UTF8String[]::new);
    private static final UTF8String[] STATUS_NAMES =
            Arrays.stream(STATUSES).map(status -> UTF8String.fromString(status.name())).toArray(UTF8String[]::new);

    /** The STRUCT of {@code signed_logsumexp} and {@code array_signed_logsumexp}: log |S| and its sign. */
    public static final org.apache.spark.sql.types.StructType SIGNED_SCHEMA =
            new org.apache.spark.sql.types.StructType(new org.apache.spark.sql.types.StructField[] {
                org.apache.spark.sql.types.DataTypes.createStructField("value",
                        org.apache.spark.sql.types.DataTypes.DoubleType, false),
                org.apache.spark.sql.types.DataTypes.createStructField("sign",
                        org.apache.spark.sql.types.DataTypes.DoubleType, false)});

    private SoftmaxRuntime() {}

    // ---- weighted (x, state, w) and (x, w, normalizer fields) ------------------------------------

    /** {@code softmax(x, state, w)}. */
    public static double weightedSoftmax(double x, byte[] state, double w, int mode) {
        return normalizerOfState(state, MODES[mode]).prob(x, w);
    }

    /** {@code log_softmax(x, state, w)}. */
    public static double weightedLogSoftmax(double x, byte[] state, double w, int mode) {
        return normalizerOfState(state, MODES[mode]).logProb(x, w);
    }

    /** prob of the row (x / temperature, w) under a finished normalizer given by its fields. */
    public static double weightedProb(double x, double w, int mode, int status, double temperature, long count,
            double max, long maxCount, double logNormalizerHigh, double logNormalizerLow) {
        return Normalizer.restore(MODES[mode], STATUSES[status], count, max, maxCount, logNormalizerHigh,
                logNormalizerLow).prob(temperature == 1.0 ? x : x / temperature, w);
    }

    /** log_prob of the row (x / temperature, w) under a finished normalizer given by its fields. */
    public static double weightedLogProb(double x, double w, int mode, int status, double temperature, long count,
            double max, long maxCount, double logNormalizerHigh, double logNormalizerLow) {
        return Normalizer.restore(MODES[mode], STATUSES[status], count, max, maxCount, logNormalizerHigh,
                logNormalizerLow).logProb(temperature == 1.0 ? x : x / temperature, w);
    }

    /** {@code array_softmax(x, b)}: pairs with a null element give null and are left out. */
    public static ArrayData weightedArraySoftmax(ArrayData values, ArrayData weights, double temperature, int mode) {
        return weightedRowWise(values, weights, temperature, MODES[mode], false);
    }

    /** {@code array_log_softmax(x, b)}. */
    public static ArrayData weightedArrayLogSoftmax(ArrayData values, ArrayData weights, double temperature,
            int mode) {
        return weightedRowWise(values, weights, temperature, MODES[mode], true);
    }

    /** {@code array_logsumexp(x, b)}: NaN for a negative sum, -inf for a zero one. */
    public static double weightedArrayLogSumExp(ArrayData values, ArrayData weights, double temperature, int mode) {
        double[][] pairs = nonNullPairs(values, weights);
        return Softmax.logSumExp(pairs[0], pairs[1], temperature, MODES[mode]);
    }

    /** {@code array_signed_logsumexp(x, b)}: STRUCT&lt;value, sign&gt;. */
    public static InternalRow weightedArraySignedLogSumExp(ArrayData values, ArrayData weights, double temperature,
            int mode) {
        double[][] pairs = nonNullPairs(values, weights);
        dev.softmax.core.SignedLogSumExp r = Softmax.signedLogSumExp(pairs[0], pairs[1], temperature, MODES[mode]);
        return new org.apache.spark.sql.catalyst.expressions.GenericInternalRow(new Object[] {r.value(), r.sign()});
    }

    private static ArrayData weightedRowWise(ArrayData values, ArrayData weights, double temperature,
            SoftmaxMode mode, boolean log) {
        int n = values.numElements();
        double[][] pairs = nonNullPairs(values, weights);
        double[] result = log
                ? Softmax.logSoftmax(pairs[0], pairs[1], temperature, mode)
                : Softmax.softmax(pairs[0], pairs[1], temperature, mode);
        if (pairs[0].length == n) {
            return UnsafeArrayData.fromPrimitiveArray(result);
        }
        Object[] withNulls = new Object[n];
        for (int i = 0, j = 0; i < n; i++) {
            withNulls[i] = values.isNullAt(i) || weights.isNullAt(i) ? null : (Object) result[j++];
        }
        return new GenericArrayData(withNulls);
    }

    /** The pairs (x_i, b_i) with neither null; the arrays must have the same length. */
    private static double[][] nonNullPairs(ArrayData values, ArrayData weights) {
        int n = values.numElements();
        if (weights.numElements() != n) {
            throw new SoftmaxException("x and b must have the same length: operands could not be broadcast"
                    + " together with shapes (" + n + ",) (" + weights.numElements() + ",)");
        }
        int present = 0;
        for (int i = 0; i < n; i++) {
            if (!values.isNullAt(i) && !weights.isNullAt(i)) {
                present++;
            }
        }
        double[] x = new double[present];
        double[] b = new double[present];
        for (int i = 0, j = 0; i < n; i++) {
            if (!values.isNullAt(i) && !weights.isNullAt(i)) {
                x[j] = values.getDouble(i);
                b[j++] = weights.getDouble(i);
            }
        }
        return new double[][] {x, b};
    }

    // ---- (x, state) ---------------------------------------------------------------------------

    /** {@code softmax(x, state)}. */
    public static double softmax(double x, byte[] state, int mode) {
        return normalizerOfState(state, MODES[mode]).prob(x);
    }

    /** {@code log_softmax(x, state)}. */
    public static double logSoftmax(double x, byte[] state, int mode) {
        return normalizerOfState(state, MODES[mode]).logProb(x);
    }

    /** {@code logsumexp_of_state(state)}: NULL for a state that holds no value. */
    public static Double logSumExpOfState(byte[] state, int mode) {
        Normalizer normalizer = normalizerOfState(state, MODES[mode]);
        return normalizer.status() == Normalizer.Status.EMPTY ? null : normalizer.logSumExp();
    }

    /**
     * The finished normalizer of {@code state}, checked against {@code mode}. Equal bytes give
     * the same normalizer (the core's bytes are canonical), so a hit by reference or by content
     * skips the decode and the finish.
     */
    static Normalizer normalizerOfState(byte[] state, SoftmaxMode mode) {
        StateCache cache = STATE_CACHE.get();
        if (cache.mode == mode
                && (state == cache.reference || Arrays.equals(state, cache.content))) {
            cache.reference = state;
            return cache.normalizer;
        }
        Normalizer normalizer = LogSumExpAccumulator.fromBytes(state, mode).finish();
        cache.mode = mode;
        cache.reference = state;
        cache.content = state.clone();
        cache.normalizer = normalizer;
        return normalizer;
    }

    private static final class StateCache {
        SoftmaxMode mode;
        byte[] reference;
        byte[] content;
        Normalizer normalizer;
    }

    // ---- (x, finished normalizer fields) -------------------------------------------------------------

    /**
     * prob of {@code x / temperature} under a finished normalizer given by its fields (the
     * DataFrame softmax joins them to the rows). Rebuilding the immutable normalizer from seven
     * fields is a few compares and flops, no decode and no finish, and needs no cache: the JIT
     * keeps it in registers.
     */
    public static double prob(double x, int mode, int status, double temperature, long count, double max,
            long maxCount, double logNormalizerHigh, double logNormalizerLow) {
        return Normalizer.restore(MODES[mode], STATUSES[status], count, max, maxCount, logNormalizerHigh,
                logNormalizerLow).prob(temperature == 1.0 ? x : x / temperature);
    }

    /**
     * log_prob of {@code x / temperature}; see
     * {@link #prob(double, int, int, double, long, double, long, double, double)}.
     */
    public static double logProb(double x, int mode, int status, double temperature, long count, double max,
            long maxCount, double logNormalizerHigh, double logNormalizerLow) {
        return Normalizer.restore(MODES[mode], STATUSES[status], count, max, maxCount, logNormalizerHigh,
                logNormalizerLow).logProb(temperature == 1.0 ? x : x / temperature);
    }

    // ---- (x, the compact normalizer struct of the DataFrame softmax) ----------------------------------

    /**
     * prob of {@code x / temperature} under the compact normalizer struct that the DataFrame
     * softmax joins to its rows (fields in the order of {@link NormalizerColumns#ROW_WISE_FIELDS},
     * mode and status as ordinals, none null). One argument instead of eight: the generated code
     * then extracts the struct once per row, not once per field. The struct's fields were checked
     * when it was made ({@link #checkedLogNormalizerHigh}); an exact, finite group's rows then read
     * three of them and call {@link Normalizer#exactProb(double, double, double, double)}, with no
     * normalizer rebuilt and no check per row: 17.2 ns per row against 20.0 ns through
     * {@link Normalizer#restore}, in a plain Java loop (docs/performance.md).
     */
    public static double compactProb(double x, InternalRow n) {
        if (n.getInt(0) == EXACT && n.getInt(1) == FINITE) { // the fields checked once per struct, not here
            double temperature = n.getDouble(2);
            return Normalizer.exactProb(temperature == 1.0 ? x : x / temperature, n.getDouble(4), n.getDouble(6),
                    n.getDouble(7));
        }
        return prob(x, n.getInt(0), n.getInt(1), n.getDouble(2), n.getLong(3), n.getDouble(4), n.getLong(5),
                n.getDouble(6), n.getDouble(7));
    }

    /** log_prob of {@code x / temperature}; see {@link #compactProb}. */
    public static double compactLogProb(double x, InternalRow n) {
        if (n.getInt(0) == EXACT && n.getInt(1) == FINITE) {
            double temperature = n.getDouble(2);
            return Normalizer.exactLogProb(temperature == 1.0 ? x : x / temperature, n.getDouble(4),
                    n.getDouble(6), n.getDouble(7));
        }
        return logProb(x, n.getInt(0), n.getInt(1), n.getDouble(2), n.getLong(3), n.getDouble(4), n.getLong(5),
                n.getDouble(6), n.getDouble(7));
    }

    /** prob of the row (x / temperature, w); see {@link #compactProb}. */
    public static double compactWeightedProb(double x, double w, InternalRow n) {
        return weightedProb(x, w, n.getInt(0), n.getInt(1), n.getDouble(2), n.getLong(3), n.getDouble(4),
                n.getLong(5), n.getDouble(6), n.getDouble(7));
    }

    /** log_prob of the row (x / temperature, w); see {@link #compactProb}. */
    public static double compactWeightedLogProb(double x, double w, InternalRow n) {
        return weightedLogProb(x, w, n.getInt(0), n.getInt(1), n.getDouble(2), n.getLong(3), n.getDouble(4),
                n.getLong(5), n.getDouble(6), n.getDouble(7));
    }

    /**
     * The ordinal of a mode name ({@code exact}, {@code fast}): once per group in the DataFrame
     * softmax, once per row in SQL's {@code softmax(x, normalizer)}, so the names as the
     * aggregate writes them are matched by their bytes first.
     */
    public static int modeOrdinal(UTF8String mode) {
        for (int i = 0; i < MODE_NAMES.length; i++) {
            if (MODE_NAMES[i].equals(mode)) {
                return i;
            }
        }
        return SoftmaxMode.parse(mode.toString()).ordinal();
    }

    /** The ordinal of a {@link Normalizer.Status} name; see {@link #modeOrdinal}. */
    public static int statusOrdinal(UTF8String status) {
        for (int i = 0; i < STATUS_NAMES.length; i++) {
            if (STATUS_NAMES[i].equals(status)) {
                return i;
            }
        }
        return parseStatus(status.toString()).ordinal();
    }

    /** A temperature read from a normalizers table, checked once per group. */
    public static double checkedTemperature(double temperature) {
        return Softmax.checkTemperature(temperature);
    }

    /**
     * The log normalizer's high part of a compact struct, once the struct's fields are checked as
     * {@link Normalizer#restore} checks them: a normalizer read back from storage or made by hand
     * gets a clear error here, once per struct, and {@link #compactProb} reads the fields unchecked.
     */
    public static double checkedLogNormalizerHigh(int status, long count, double max, long maxCount,
            double logNormalizerHigh, double logNormalizerLow) {
        Normalizer.restore(SoftmaxMode.EXACT, STATUSES[status], count, max, maxCount, logNormalizerHigh,
                logNormalizerLow);
        return logNormalizerHigh;
    }

    static Normalizer.Status parseStatus(String name) {
        try {
            return Normalizer.Status.valueOf(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new SoftmaxException("normalizer status must be one of "
                    + Arrays.toString(Normalizer.Status.values()) + ", got " + name);
        }
    }

    // ---- fast-mode aggregate buffers ({@link FastSoftmaxAggregate}) -----------------------------------

    /** x / temperature, rounded once, as the aggregators fold it. */
    public static double divide(double x, double temperature) {
        return x / temperature;
    }

    /** count + 1. */
    public static long increment(long count) {
        return count + 1;
    }

    /** The sum of two counts. */
    public static long add(long a, long b) {
        return a + b;
    }

    /** The union of two sets of flags. */
    public static int or(int a, int b) {
        return a | b;
    }

    /** The logsumexp of the values folded, or NULL when there is none (an aggregate over no value). */
    public static Double logSumExpOrNull(LogSumExpAccumulator accumulator) {
        return accumulator.isEmpty() ? null : accumulator.finish().logSumExp();
    }

    /** log |S| and the sign of S as a row of {@link #SIGNED_SCHEMA}; NULL when no row was folded. */
    public static org.apache.spark.sql.Row signedOrNull(LogSumExpAccumulator accumulator) {
        if (accumulator.isEmpty()) {
            return null;
        }
        dev.softmax.core.SignedLogSumExp signed = accumulator.finish().signedLogSumExp();
        return org.apache.spark.sql.RowFactory.create(signed.value(), signed.sign());
    }

    /** The state's bytes, or NULL when no value was folded (an aggregate over no value). */
    public static byte[] stateOrNull(LogSumExpAccumulator accumulator) {
        return accumulator.isEmpty() ? null : accumulator.toBytes();
    }

    /** {@code logsumexp(x)} from the fields; NULL when no value was folded. */
    public static Double fastLogSumExp(long count, int flags, double max, long maxCount, double sum) {
        return logSumExpOrNull(FastLogSumExp.restore(count, flags, max, maxCount, sum));
    }

    /** {@code softmax_state(x)} from the fields; NULL when no value was folded. */
    public static byte[] fastState(long count, int flags, double max, long maxCount, double sum) {
        return stateOrNull(FastLogSumExp.restore(count, flags, max, maxCount, sum));
    }

    /** The finished normalizer struct from the fields, as {@link NormalizerAggregator} returns it. */
    public static InternalRow fastNormalizer(long count, int flags, double max, long maxCount, double sum,
            double temperature) {
        Normalizer normalizer = FastLogSumExp.restore(count, flags, max, maxCount, sum).finish();
        return (InternalRow) NORMALIZER_TO_CATALYST.apply(NormalizerColumns.row(normalizer, temperature));
    }

    private static final scala.Function1<Object, Object> NORMALIZER_TO_CATALYST =
            CatalystTypeConverters.createToCatalystConverter(NormalizerColumns.SCHEMA);

    // ---- arrays ---------------------------------------------------------------------------------

    /** {@code array_softmax(values)}: null elements stay null and are ignored. */
    public static ArrayData arraySoftmax(ArrayData values, double temperature, int mode) {
        return rowWise(values, temperature, MODES[mode], false);
    }

    /** {@code array_log_softmax(values)}: null elements stay null and are ignored. */
    public static ArrayData arrayLogSoftmax(ArrayData values, double temperature, int mode) {
        return rowWise(values, temperature, MODES[mode], true);
    }

    /** {@code array_logsumexp(values)}: -inf for an empty array or one of nulls only. */
    public static double arrayLogSumExp(ArrayData values, double temperature, int mode) {
        return Softmax.logSumExp(nonNullValues(values), temperature, MODES[mode]);
    }

    private static ArrayData rowWise(ArrayData values, double temperature, SoftmaxMode mode, boolean log) {
        int n = values.numElements();
        double[] present = nonNullValues(values);
        double[] result = log
                ? Softmax.logSoftmax(present, temperature, mode)
                : Softmax.softmax(present, temperature, mode);
        if (present.length == n) {
            return UnsafeArrayData.fromPrimitiveArray(result);
        }
        Object[] withNulls = new Object[n];
        for (int i = 0, j = 0; i < n; i++) {
            withNulls[i] = values.isNullAt(i) ? null : (Object) result[j++];
        }
        return new GenericArrayData(withNulls);
    }

    private static double[] nonNullValues(ArrayData values) {
        int n = values.numElements();
        int nulls = 0;
        for (int i = 0; i < n; i++) {
            if (values.isNullAt(i)) {
                nulls++;
            }
        }
        if (nulls == 0) {
            return values.toDoubleArray();
        }
        double[] present = new double[n - nulls];
        for (int i = 0, j = 0; i < n; i++) {
            if (!values.isNullAt(i)) {
                present[j++] = values.getDouble(i);
            }
        }
        return present;
    }
}
