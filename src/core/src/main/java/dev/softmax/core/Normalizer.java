/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.core;

import java.io.Serializable;
import java.util.Objects;

/**
 * The finished normalizer of one group: its maximum m and L = log d, d = sum of exp(x - m),
 * from which {@link #prob}, {@link #logProb} and {@link #logSumExp} follow. Immutable and
 * thread-safe, so one instance may serve every task of a Spark stage.
 *
 * <h2>Special values: the one policy of spark-softmax</h2>
 * Every layer (core, DataFrame API, SQL, batch job) follows this table, in both modes. Null
 * values never reach the core: the layers above skip them and give null outputs on their rows.
 * <ul>
 *   <li>No value at all ({@link Status#EMPTY}): logsumexp -inf (SQL: NULL, like sum).</li>
 *   <li>Any NaN ({@link Status#NAN}), also beside +inf: prob and log_prob NaN on every row,
 *       logsumexp NaN.</li>
 *   <li>Any +inf and no NaN ({@link Status#POSITIVE_INFINITY}): prob and log_prob NaN on every
 *       row (inf - inf, as scipy and torch), logsumexp +inf.</li>
 *   <li>Only -inf values ({@link Status#ALL_NEGATIVE_INFINITY}): prob and log_prob NaN (0/0, as
 *       scipy), logsumexp -inf.</li>
 *   <li>Finite values ({@link Status#FINITE}): a -inf entry gets prob 0 and log_prob -inf and
 *       does not change the others. -0.0 is the same as 0.0. Where x - m overflows (values near
 *       &plusmn;{@link Double#MAX_VALUE}), prob is 0 and log_prob -inf: the correct rounding.</li>
 * </ul>
 * {@link #prob} and {@link #logProb} are meant for members of the group; a NaN argument gives NaN.
 *
 * <h2>Accuracy (exact mode)</h2>
 * prob and log_prob are the exactly rounded values but for a relative error below 2^-70 before
 * the final rounding (so at most 1 ulp off, and in practice 0). logsumexp = m + L is rounded
 * once from the double-double L and has the same accuracy, except where m + L cancels (m &lt; 0
 * and L close to -m, e.g. inputs that are already log-probabilities): there it is only
 * absolutely accurate, to about 2^-76 L. No one-pass method does better; see DESIGN.md
 * section 4.
 */
public final class Normalizer implements Serializable {
    private static final long serialVersionUID = 1L;

    /** What the group held, in the order of precedence of the policy above. */
    public enum Status {
        /** No value. */
        EMPTY,
        /** At least one finite value, no NaN and no +inf. */
        FINITE,
        /** At least one NaN. */
        NAN,
        /** At least one +inf and no NaN. */
        POSITIVE_INFINITY,
        /** Only -inf values. */
        ALL_NEGATIVE_INFINITY
    }

    private final SoftmaxMode mode;
    private final Status status;
    private final long count;
    private final double max;
    private final long maxCount;
    private final double logNormalizerHigh;
    private final double logNormalizerLow;
    private final double logSumExp;

    private Normalizer(SoftmaxMode mode, Status status, long count, double max, long maxCount,
                       double logNormalizerHigh, double logNormalizerLow) {
        this.mode = mode;
        this.status = status;
        this.count = count;
        this.max = max;
        this.maxCount = maxCount;
        this.logNormalizerHigh = logNormalizerHigh;
        this.logNormalizerLow = logNormalizerLow;
        this.logSumExp = computeLogSumExp();
    }

    static Normalizer of(SoftmaxMode mode, int flags, long count, double max, long maxCount,
                         double logNormalizerHigh, double logNormalizerLow) {
        Status status;
        if ((flags & StateReader.FLAG_NAN) != 0) {
            status = Status.NAN;
        } else if ((flags & StateReader.FLAG_POSITIVE_INFINITY) != 0) {
            status = Status.POSITIVE_INFINITY;
        } else if ((flags & StateReader.FLAG_FINITE) != 0) {
            status = Status.FINITE;
        } else if ((flags & StateReader.FLAG_NEGATIVE_INFINITY) != 0) {
            status = Status.ALL_NEGATIVE_INFINITY;
        } else {
            status = Status.EMPTY;
        }
        return restore(mode, status, count, max, maxCount, logNormalizerHigh, logNormalizerLow);
    }

    /**
     * Rebuilds a normalizer from its fields, for example from columns joined back to the rows
     * of a group; the result computes the same bits as the original. Fields that do not apply
     * to the status (max and L of a group with no finite value) are ignored.
     */
    public static Normalizer restore(SoftmaxMode mode, Status status, long count, double max, long maxCount,
                                     double logNormalizerHigh, double logNormalizerLow) {
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(status, "status");
        if (status != Status.FINITE) { // the max of a NaN or +inf group is kept as information
            boolean hasMax = maxCount > 0 && Math.abs(max) <= Double.MAX_VALUE;
            return new Normalizer(mode, status, count, hasMax ? max : Double.NEGATIVE_INFINITY,
                    hasMax ? maxCount : 0, Double.NaN, Double.NaN);
        }
        if (!(Math.abs(max) <= Double.MAX_VALUE) || maxCount < 1 || !(logNormalizerHigh >= 0)
                || !(Math.abs(logNormalizerLow) <= Math.ulp(logNormalizerHigh))) {
            throw new SoftmaxException("normalizer: expected a finite max, maxCount >= 1 and a log normalizer"
                    + " >= 0, actual max " + max + ", maxCount " + maxCount + ", log normalizer "
                    + logNormalizerHigh + " + " + logNormalizerLow);
        }
        return new Normalizer(mode, status, count, max, maxCount, logNormalizerHigh, logNormalizerLow);
    }

    private double computeLogSumExp() {
        switch (status) {
            case EMPTY:
            case ALL_NEGATIVE_INFINITY:
                return Double.NEGATIVE_INFINITY;
            case NAN:
                return Double.NaN;
            case POSITIVE_INFINITY:
                return Double.POSITIVE_INFINITY;
            default:
                break;
        }
        if (mode == SoftmaxMode.FAST) {
            return max + logNormalizerHigh;
        }
        double s = max + logNormalizerHigh; // TwoSum, then one rounding of the double-double sum
        double bb = s - max;
        double err = (max - (s - bb)) + (logNormalizerHigh - bb);
        return s + (err + logNormalizerLow);
    }

    /**
     * softmax of x within this group: exp(x - m) / d. For a member x of a finite group, see the
     * class comment for accuracy and special values.
     */
    public double prob(double x) {
        if (status != Status.FINITE || x != x) {
            return Double.NaN;
        }
        double h = x - max;
        if (mode == SoftmaxMode.FAST) {
            return Math.exp(h - logNormalizerHigh);
        }
        if (!(h >= -800)) {
            return 0.0; // x = -inf, x - m overflowed, or exp(x - m) < e^-800: rounds to 0
        }
        if (h == Double.POSITIVE_INFINITY) {
            return Double.POSITIVE_INFINITY; // x is not a member: x - m overflowed upwards
        }
        double l = twoSumError(x, -max, h); // x - m = h + l exactly
        double s1 = h - logNormalizerHigh;
        double e1 = twoSumError(h, -logNormalizerHigh, s1);
        double low = e1 + (l - logNormalizerLow);
        double yh = s1 + low;
        double yl = (s1 - yh) + low;
        return ExactMath.expRounded(yh, yl);
    }

    /** log-softmax of x within this group: (x - m) - log d, without cancellation. */
    public double logProb(double x) {
        if (status != Status.FINITE || x != x) {
            return Double.NaN;
        }
        double h = x - max;
        if (mode == SoftmaxMode.FAST) {
            return h - logNormalizerHigh;
        }
        if (Double.isInfinite(h)) {
            return h; // x = -inf, or x - m overflowed: -inf is the correct rounding
        }
        double l = twoSumError(x, -max, h);
        double s1 = h - logNormalizerHigh;
        double e1 = twoSumError(h, -logNormalizerHigh, s1);
        return s1 + (e1 + (l - logNormalizerLow));
    }

    /** The rounding error of a + b = s (Knuth's TwoSum). */
    private static double twoSumError(double a, double b, double s) {
        double bb = s - a;
        return (a - (s - bb)) + (b - bb);
    }

    /** log of the sum of exp over the group: m + log d, or the value the policy gives. */
    public double logSumExp() {
        return logSumExp;
    }

    public SoftmaxMode mode() {
        return mode;
    }

    public Status status() {
        return status;
    }

    /** How many values the group held, NaN and infinities included. */
    public long count() {
        return count;
    }

    /** The largest finite value; -inf when there is none. */
    public double max() {
        return max;
    }

    /** How many values are bit-equal to {@link #max()}. */
    public long maxCount() {
        return maxCount;
    }

    /** High part of L = log d (NaN when the group has no finite value). */
    public double logNormalizerHigh() {
        return logNormalizerHigh;
    }

    /** Low part of L = log d as a double-double (0 in fast mode). */
    public double logNormalizerLow() {
        return logNormalizerLow;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof Normalizer)) {
            return false;
        }
        Normalizer that = (Normalizer) o;
        return mode == that.mode && status == that.status && count == that.count
                && Double.compare(max, that.max) == 0 && maxCount == that.maxCount
                && Double.compare(logNormalizerHigh, that.logNormalizerHigh) == 0
                && Double.compare(logNormalizerLow, that.logNormalizerLow) == 0;
    }

    @Override
    public int hashCode() {
        return Objects.hash(mode, status, count, max, maxCount, logNormalizerHigh, logNormalizerLow);
    }

    @Override
    public String toString() {
        return "Normalizer{" + mode.id() + ", " + status + ", count=" + count + ", max=" + max
                + ", maxCount=" + maxCount + ", log d=" + logNormalizerHigh + " + " + logNormalizerLow
                + ", logSumExp=" + logSumExp + "}";
    }
}
