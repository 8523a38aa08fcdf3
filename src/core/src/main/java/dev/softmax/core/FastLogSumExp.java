/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.core;

/**
 * The online normalizer as Milakov and Gimelshein write it ("Online normalizer calculation for
 * softmax", arXiv 1805.02867): state (m, d), for each x m' = max(m, x),
 * d' = d exp(m - m') + exp(x - m'); merge m = max(m1, m2), d = d1 exp(m1 - m) + d2 exp(m2 - m).
 * Plain doubles and {@link Math#exp}, on the finite values only; NaN and infinities follow
 * {@link Normalizer}'s policy around the recurrence (the bare recurrence would give
 * exp(-inf - -inf) = NaN for an all -inf group).
 *
 * <p>Accuracy, documented rather than hidden: every rescale rounds d, so d drifts with the
 * number of rescales (ascending input rescales at every value; FastModeTest measures the drift
 * on such a run), and x - m is rounded, which costs up to |x - m| 2^-53
 * relative in prob. The last bits depend on the order of the values and the partitioning. Use
 * {@link ExactLogSumExp} where that matters.
 *
 * @since 0.1.0
 */
public final class FastLogSumExp implements LogSumExpAccumulator {
    private long count;
    private int flags;
    private double max = Double.NEGATIVE_INFINITY;
    private long maxCount;
    private double sum;
    /** Whether a row of weight other than 1 (and 0) was accepted: the state is then format 2. */
    private boolean weighted;

    private FastLogSumExp() {
    }

    /** A new, empty accumulator. */
    public static FastLogSumExp create() {
        return new FastLogSumExp();
    }

    /** An accumulator holding the given values. */
    public static FastLogSumExp of(double... values) {
        FastLogSumExp acc = new FastLogSumExp();
        acc.acceptAll(values);
        return acc;
    }

    @Override
    public SoftmaxMode mode() {
        return SoftmaxMode.FAST;
    }

    @Override
    public long count() {
        return count;
    }

    @Override
    public void accept(double x) {
        double m = max;
        count++;
        flags = foldFlags(flags, x);
        sum = foldSum(m, sum, x);
        maxCount = foldMaxCount(m, maxCount, x);
        max = foldMax(m, x);
    }

    /**
     * Folds the row (x, w) in: d = sum of w exp(x - m) in doubles, m the largest finite x of
     * the rows with a finite nonzero weight (signed: d may be negative or zero). w = 1 is
     * {@link #accept(double)}, w = 0 a mask. Accuracy: each term and each rescale rounds, as
     * unweighted; where the terms cancel, d keeps only the absolute accuracy of the largest
     * term (about 2^-53 of it), so log |d| is only as good as that.
     */
    @Override
    public void accept(double x, double w) {
        if (w == 1.0) {
            accept(x);
            return;
        }
        if (w == 0.0) {
            return;
        }
        weighted = true;
        count++;
        if (w < 0) {
            flags |= StateFormat.FLAG_NEGATIVE_WEIGHT;
        }
        if (!(Math.abs(x) <= Double.MAX_VALUE) || !(Math.abs(w) <= Double.MAX_VALUE)) {
            flags |= StateFormat.weightedNonFiniteFlag(x, w);
            return;
        }
        if ((flags & StateFormat.FLAG_FINITE) == 0) {
            flags |= StateFormat.FLAG_FINITE;
            max = x;
            maxCount = 1;
            sum = w;
        } else if (x > max) {
            sum = sum * Math.exp(max - x) + w;
            max = x;
            maxCount = 1;
        } else {
            sum += w * Math.exp(x - max);
            if (x == max) {
                maxCount++;
            }
        }
    }

    @Override
    public FastLogSumExp combine(LogSumExpAccumulator other) {
        if (!(other instanceof FastLogSumExp)) {
            throw new SoftmaxException("cannot combine softmax states: expected mode fast, actual "
                    + other.mode().id());
        }
        FastLogSumExp that = (FastLogSumExp) other;
        weighted |= that.weighted;
        double m = max;
        sum = mergeSum(flags, m, sum, that.flags, that.max, that.sum);
        maxCount = mergeMaxCount(flags, m, maxCount, that.flags, that.max, that.maxCount);
        max = mergeMax(flags, m, that.flags, that.max);
        count += that.count;
        flags |= that.flags;
        return this;
    }

    // ---- the recurrence field by field -------------------------------------------------------------
    //
    // accept and combine are exactly these functions: an engine that keeps the five fields in
    // its own buffer (Spark's code-generated hash aggregate) gets the same bits as this class.
    // Each takes the fields before the step; the count adds one per value (or the counts add)
    // and the flags OR together.

    /** The flags after folding x: {@code FINITE}, or the flag of a NaN or an infinity. */
    public static int foldFlags(int flags, double x) {
        return flags | (Math.abs(x) <= Double.MAX_VALUE ? StateFormat.FLAG_FINITE : StateFormat.nonFiniteFlag(x));
    }

    /** d after folding x into (m, d): rescaled to a new maximum, or plus exp(x - m). */
    public static double foldSum(double max, double sum, double x) {
        if (!(Math.abs(x) <= Double.MAX_VALUE)) {
            return sum;
        }
        return x > max
                ? sum * Math.exp(max - x) + 1.0 // exp(-inf) = 0 for the first value
                : sum + Math.exp(x - max);
    }

    /** The count of the maximum after folding x into (m, count). */
    public static long foldMaxCount(double max, long maxCount, double x) {
        if (!(Math.abs(x) <= Double.MAX_VALUE)) {
            return maxCount;
        }
        return x > max ? 1 : x == max ? maxCount + 1 : maxCount;
    }

    /** m after folding x: the larger of the finite values. */
    public static double foldMax(double max, double x) {
        return Math.abs(x) <= Double.MAX_VALUE && x > max ? x : max;
    }

    /** d after merging (flags2, m2, d2) into (flags1, m1, d1). */
    public static double mergeSum(int flags1, double max1, double sum1, int flags2, double max2, double sum2) {
        if ((flags2 & StateFormat.FLAG_FINITE) == 0) {
            return sum1;
        }
        if ((flags1 & StateFormat.FLAG_FINITE) == 0) {
            return sum2;
        }
        double m = Math.max(max1, max2);
        return sum1 * Math.exp(max1 - m) + sum2 * Math.exp(max2 - m);
    }

    /** The count of the maximum after merging (flags2, m2, c2) into (flags1, m1, c1). */
    public static long mergeMaxCount(int flags1, double max1, long maxCount1, int flags2, double max2,
            long maxCount2) {
        if ((flags2 & StateFormat.FLAG_FINITE) == 0) {
            return maxCount1;
        }
        if ((flags1 & StateFormat.FLAG_FINITE) == 0) {
            return maxCount2;
        }
        double m = Math.max(max1, max2);
        return (max1 == m ? maxCount1 : 0) + (max2 == m ? maxCount2 : 0);
    }

    /** m after merging (flags2, m2) into (flags1, m1). */
    public static double mergeMax(int flags1, double max1, int flags2, double max2) {
        if ((flags2 & StateFormat.FLAG_FINITE) == 0) {
            return max1;
        }
        if ((flags1 & StateFormat.FLAG_FINITE) == 0) {
            return max2;
        }
        return Math.max(max1, max2);
    }

    /**
     * The accumulator with the given fields, as an engine kept them with the functions above;
     * checked as {@link LogSumExpAccumulator#fromBytes} checks a stored state.
     *
     * @throws SoftmaxException if the fields are not those of any sequence of values
     */
    public static FastLogSumExp restore(long count, int flags, double max, long maxCount, double sum) {
        FastLogSumExp acc = new FastLogSumExp();
        acc.flags = StateFormat.checkFlags(flags);
        acc.count = StateFormat.checkCount(count, flags);
        if ((flags & StateFormat.FLAG_FINITE) != 0) {
            acc.max = max;
            acc.maxCount = maxCount;
            acc.sum = sum;
        }
        acc.checkFinite();
        return acc;
    }

    /** The maximum, its count and the sum, checked against the count (when there is a finite value). */
    private void checkFinite() {
        if ((flags & StateFormat.FLAG_FINITE) != 0
                && (!(Math.abs(max) <= Double.MAX_VALUE) || maxCount < 1 || maxCount > count
                        || !(sum >= 1.0) || sum > count)) {
            throw StateFormat.corrupt("expected a finite maximum counted 1 to " + count
                    + " times and a sum in [1, count], actual " + max + ", " + maxCount + ", " + sum);
        }
    }

    @Override
    public Normalizer finish() {
        if (weighted) {
            double sign = Math.signum(sum);
            double log = sum == 0 ? Double.NEGATIVE_INFINITY : Math.log(Math.abs(sum));
            return Normalizer.weighted(SoftmaxMode.FAST, flags, count, max, maxCount, log, 0.0, sign);
        }
        return Normalizer.of(SoftmaxMode.FAST, flags, count, max, maxCount, Math.log(sum), 0.0);
    }

    @Override
    public byte[] toBytes() {
        StateFormat.Writer out = new StateFormat.Writer();
        out.writeByte(weighted ? StateFormat.FORMAT_VERSION_WEIGHTED : StateFormat.FORMAT_VERSION);
        out.writeByte(SoftmaxMode.FAST.code());
        out.writeByte(weighted ? flags | StateFormat.FLAG_WEIGHTED : flags);
        out.writeVarLong(count);
        if ((flags & StateFormat.FLAG_FINITE) != 0) {
            out.writeLong(Double.doubleToRawLongBits(max));
            out.writeVarLong(maxCount);
            out.writeLong(Double.doubleToRawLongBits(sum));
        }
        return out.toByteArray();
    }

    static FastLogSumExp read(StateFormat.Reader in) {
        FastLogSumExp acc = new FastLogSumExp();
        acc.weighted = in.weighted();
        acc.flags = in.readFlags();
        acc.count = in.readCount(acc.flags);
        if ((acc.flags & StateFormat.FLAG_FINITE) != 0) {
            acc.max = Double.longBitsToDouble(in.readLong("maximum"));
            acc.maxCount = in.readVarLong("count of the maximum");
            acc.sum = Double.longBitsToDouble(in.readLong("sum"));
            if (acc.weighted) {
                if (!(Math.abs(acc.max) <= Double.MAX_VALUE) || acc.maxCount < 1 || acc.maxCount > acc.count
                        || Double.isNaN(acc.sum)) {
                    throw StateFormat.corrupt("expected a finite maximum counted 1 to " + acc.count
                            + " times and a sum, actual " + acc.max + ", " + acc.maxCount + ", " + acc.sum);
                }
                in.expectEnd();
                return acc;
            }
            acc.checkFinite();
        }
        in.expectEnd();
        return acc;
    }

    @Override
    public String toString() {
        return "FastLogSumExp{count=" + count + ", max=" + max + ", sum=" + sum + ", flags=" + flags + "}";
    }
}
