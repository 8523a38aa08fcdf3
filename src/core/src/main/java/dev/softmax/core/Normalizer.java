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
 * <h2>Accuracy (exact mode): exact mode returns the exactly rounded result</h2>
 * Every output of an exact normalizer, prob, log_prob and logsumexp (and so the array
 * functions and the SQL functions built on them), is the double nearest to its exact value
 * (ties to even), and a zero carries the sign of that value: log_softmax of the maximum of
 * [1000, 1] is -e^-999, which rounds to -0.0. The exact values are exp((x - m) - L),
 * (x - m) - L and m + L, with L = {@link #logNormalizerHigh()} + {@link #logNormalizerLow()}
 * exactly, the double-double this normalizer carries (and the SQL struct and the join columns
 * with it: nothing else is needed per row).
 *
 * <p>Two steps, as in Ziv's correctly rounded libraries: each output is computed in
 * double-double as before, with a bound on that computation's error (prob: 2^-78 relative,
 * mostly the exp kernel's 2^-80; log_prob: 2^-98; logsumexp: none where m + L_hi cancels, a
 * rounding of its error term otherwise). Only when a midpoint between two doubles lies within
 * the bound does a slow path decide, in BigDecimal ({@code CorrectRounding}): exact sums for
 * log_prob and logsumexp, exp at 40 digits (more if needed, four rounds at most) for prob.
 * The fast path's bound makes the slow path rare: on the test suite's oracle cases and
 * properties it ran only on the inputs built to need it (see docs/semantics.md, Accuracy).
 *
 * <p>L and the truth: the state's sum d is that of the true exp(x - m) within 2^-80 per term
 * (the kernel, measured 2^-82; terms at the bottom of an anchor, x = 512 q - 256, also lose up
 * to 2^-77.7 to the grid), and L is log d within 2^-80 L (measured 2^-82.3). So each output
 * is also the exactly rounded true value unless that lies within about 2^-76 max(1, L)
 * (relative) of a midpoint, a chance below 2^-22 per output even at these worst-case bounds;
 * there it is one of the two neighbours. No one-pass state of fixed size can do better in
 * general: it cannot hold the exact sum of transcendental terms. Two consequences:
 * <ul>
 *   <li>logsumexp where m + L cancels (m &lt; 0 and L close to -m, e.g. inputs that are
 *       already log-probabilities) is m + L exactly rounded, which is the true value only to
 *       about 2^-76 L absolutely; the closest a one-pass state can reach.</li>
 *   <li>Below 2^-969 (a single maximum, every other value more than 670 below it) L is
 *       carried as its high part alone, rounded once from a sum formed without subnormal
 *       steps: a low part would be subnormal and rounded. Outputs are then exactly rounded
 *       from L_hi, which is what log_prob of the maximum (-L) and logsumexp of a maximum 0 (L)
 *       need; the others do not depend on bits of L this small.</li>
 *   <li>When the group's single maximum has only values below it so small that L rounds to 0
 *       (all below e^-745), L is carried as the marked pair L_hi = 0, L_lo =
 *       {@link Double#MIN_VALUE} (positive, below 2^-1075), which rounds every output as the
 *       true tiny L does. A value more than about 1024 below the maximum is dropped from the
 *       state; if the group also held -inf, the state cannot tell whether any value was
 *       dropped, and log_prob of the maximum is +0.0 where the true value may round to -0.0:
 *       the one sign a format 1 state cannot give.</li>
 * </ul>
 *
 * @since 0.1.0
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

    private Normalizer(SoftmaxMode mode, Status status, long count, double max, long maxCount,
                       double logNormalizerHigh, double logNormalizerLow) {
        this.mode = mode;
        this.status = status;
        this.count = count;
        this.max = max;
        this.maxCount = maxCount;
        this.logNormalizerHigh = logNormalizerHigh;
        this.logNormalizerLow = logNormalizerLow;
    }

    static Normalizer of(SoftmaxMode mode, int flags, long count, double max, long maxCount,
                         double logNormalizerHigh, double logNormalizerLow) {
        Status status;
        if ((flags & StateFormat.FLAG_NAN) != 0) {
            status = Status.NAN;
        } else if ((flags & StateFormat.FLAG_POSITIVE_INFINITY) != 0) {
            status = Status.POSITIVE_INFINITY;
        } else if ((flags & StateFormat.FLAG_FINITE) != 0) {
            status = Status.FINITE;
        } else if ((flags & StateFormat.FLAG_NEGATIVE_INFINITY) != 0) {
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
        if (isTinyPositive()) {
            return max + 0.0; // m + L, 0 < L < 2^-1075: m, or +0.0 for m = 0 (the value is positive)
        }
        // m + L_hi + L_lo: TwoSum, then one rounding of s + t. Only t = err + L_lo is rounded,
        // and only when err != 0 (where m + L_hi cancels, err = 0: the one rounding is exact)
        double s = max + logNormalizerHigh;
        double err = DoubleDouble.twoSumError(max, logNormalizerHigh, s);
        double t = err + logNormalizerLow;
        double r = s + t;
        double bound = err == 0 ? 0 : 0x1p-52 * (Math.abs(err) + Math.abs(logNormalizerLow));
        if (CorrectRounding.isSafe(r, DoubleDouble.twoSumError(s, t, r), bound)) {
            return r;
        }
        return CorrectRounding.logSumExp(max, logNormalizerHigh, logNormalizerLow);
    }

    /**
     * Whether L is marked as positive but below half the smallest subnormal (L_hi = 0 and
     * L_lo = {@link Double#MIN_VALUE}, a pair no normalized double-double takes): the group has
     * values below its single maximum, all of them more than 744 below it. The exact result
     * then rounds as for any L in (0, 2^-1075); the sign of log_prob's zero depends on it
     * (log_softmax of the maximum of [1000, 1] is -e^-999, which rounds to -0.0).
     */
    boolean isTinyPositive() {
        return logNormalizerHigh == 0 && logNormalizerLow == Double.MIN_VALUE;
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
        double l = DoubleDouble.twoSumError(x, -max, h); // x - m = h + l exactly
        double s1 = h - logNormalizerHigh;
        double e1 = DoubleDouble.twoSumError(h, -logNormalizerHigh, s1);
        double low = e1 + (l - logNormalizerLow);
        double yh = s1 + low;
        double yl = DoubleDouble.fastTwoSumError(s1, low, yh);
        if (yh < -708) { // exp(-708) > 2^-1022: above, the result is normal
            return probNearUnderflow(x, yh, yl);
        }
        double[] term = new double[2];
        int n = ExactMath.expScaled(yh, 0.0, term);
        // exp(yh + yl) = exp(yh) (1 + yl + yl^2/2 + ...), |yl| <= 2^-43: yl^2/2 < 2^-87 is left out
        double lo = term[1] + term[0] * yl;
        double rh = term[0] + lo;
        double rl = DoubleDouble.fastTwoSumError(term[0], lo, rh);
        // exp(yh) = (term[0] + term[1]) 2^n within 2^-80 (the kernel; measured 2^-82), yh + yl is
        // (x - m) - L within 2^-102 |y| <= 2^-92, and yl^2/2 < 2^-87: 2^-78 rh bounds their sum
        // with a factor 3 to spare
        if (rh == rh + rl * CorrectRounding.PROB_TEST) {
            return Math.scalb(rh, n); // exact
        }
        return probUndecided(x);
    }

    private double probUndecided(double x) {
        return CorrectRounding.prob(x, max, logNormalizerHigh, logNormalizerLow, isTinyPositive());
    }

    /**
     * prob where exp(yh + yl) may be subnormal: rounded to the grid 2^(-1074 - n) from the
     * double-double, with the same bound as the normal case. Out of line, as every rare branch
     * of prob and logProb: the JIT then inlines the short common path into the caller's loop
     * (with these branches inline, logProb's compiled code grew past the inlining limit and the
     * per-row cost doubled).
     */
    private double probNearUnderflow(double x, double yh, double yl) {
        if (yh < -760) {
            return 0.0; // exp(-760) < 2^-1096: below half the smallest subnormal
        }
        double[] term = new double[2];
        int n = ExactMath.expScaled(yh, 0.0, term);
        double lo = term[1] + term[0] * yl;
        double rh = term[0] + lo;
        double rl = DoubleDouble.fastTwoSumError(term[0], lo, rh);
        double bound = 0x1p-78 * rh;
        if (Math.getExponent(rh) + n >= Double.MIN_EXPONENT) {
            if (CorrectRounding.isSafe(rh, rl, bound)) {
                return Math.scalb(rh, n);
            }
        } else {
            double rounded = Math.scalb(rh, n); // rounds rh alone
            double residual = (rh - Math.scalb(rounded, -n)) + rl;
            double halfUlp = Math.scalb(Double.MIN_VALUE, -n - 1);
            if (residual > halfUlp) {
                rounded = Math.nextUp(rounded);
                residual -= 2 * halfUlp;
            } else if (residual < -halfUlp) {
                rounded = Math.nextDown(rounded);
                residual += 2 * halfUlp;
            }
            if (Math.abs(residual) + bound < halfUlp) {
                return rounded;
            }
        }
        return probUndecided(x);
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
        double l = DoubleDouble.twoSumError(x, -max, h);
        if (logNormalizerHigh == 0) {
            return logProbOfTinyL(x, h, l);
        }
        double s1 = h - logNormalizerHigh;
        double e1 = DoubleDouble.twoSumError(h, -logNormalizerHigh, s1);
        double low = e1 + (l - logNormalizerLow);
        double r = s1 + low;
        // |low| <= 1.5 ulp(s1): s1 - r is exact, and low errs by at most 3 2^-53 ulp(s1):
        // within 2^-98 |r| in all
        if (r == r + DoubleDouble.fastTwoSumError(s1, low, r) * CorrectRounding.LOG_PROB_TEST) {
            return r;
        }
        return logProbUndecided(x, h, l, false);
    }

    /** log_prob when L_hi = 0: L = 0 (a single value, or beside -inf) or marked tiny. */
    private double logProbOfTinyL(double x, double h, double l) {
        boolean tiny = isTinyPositive();
        if (h == 0) {
            return tiny ? -0.0 : 0.0; // log(1 + tiny) < 0, log(1) = +0
        }
        return tiny ? logProbUndecided(x, h, l, true) : h; // h: x - m rounded once
    }

    /** log_prob where the fast path's bound does not decide: the exact steps. */
    private double logProbUndecided(double x, double h, double l, boolean tiny) {
        double r = CorrectRounding.logProbOfExpansion(h, l, logNormalizerHigh, logNormalizerLow, tiny);
        return r == r ? r : CorrectRounding.logProb(x, max, logNormalizerHigh, logNormalizerLow, tiny);
    }

    /**
     * log of the sum of exp over the group: m + log d, or the value the policy gives. Computed
     * per call, not in the constructor: the row-wise SQL functions restore a normalizer per
     * row and never ask for it.
     */
    public double logSumExp() {
        return computeLogSumExp();
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
                + ", logSumExp=" + logSumExp() + "}";
    }
}
