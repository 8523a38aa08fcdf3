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
 * {@link #prob} and {@link #logProb} are meant for members of the group; a NaN argument gives NaN,
 * and another value x still gets exp(x - m - L) and x - m - L, exactly rounded in exact mode
 * (prob +inf above {@link Double#MAX_VALUE}: x far above the group's maximum).
 *
 * <h2>Weights (scipy's b): the weighted policy</h2>
 * A weighted group sums S = sum of w exp(x) over its rows ({@link LogSumExpAccumulator#accept(double,
 * double)}); rows with a null x or a null w are skipped by the layers above.
 * <ul>
 *   <li>w = 0 removes the row whatever x is (NaN and +inf included): a mask. w = 1 is the
 *       unweighted row: the same outputs (in exact mode its term is deposited with the third
 *       part of the weighted terms, so the state is a weighted one; see below).</li>
 *   <li>A NaN w, or a NaN x with w != 0, makes the group {@link Status#NAN}.</li>
 *   <li>Non-finite terms follow IEEE for w exp(x): x = +inf with w &gt; 0, or w = +inf, is a
 *       term +inf ({@link Status#POSITIVE_INFINITY}); x = +inf with w &lt; 0, or w = -inf, a term
 *       -inf; w = +-inf beside x = -inf is NaN (inf times 0); x = -inf with a finite w is a term
 *       0. Terms +inf and -inf together: NaN.</li>
 *   <li>logsumexp = log S: NaN for S &lt; 0 (scipy gh-22903), -inf for S = 0, +inf for S =
 *       +inf. {@link #signedLogSumExp} gives (log |S|, sign S), sign in {-1, 0, 1}: S = 0
 *       exactly gives (-inf, 0), S = -inf (+inf, -1) (scipy gh-23548), NaN (NaN, NaN).</li>
 *   <li>Softmax for weights &gt;= 0: prob = w exp(x) / S ({@link #prob(double, double)}),
 *       log_prob = log(w) + x - log S ({@link #logProb(double, double)}); a row of weight 0 gets
 *       prob 0 and log_prob -inf and keeps its place. Any negative weight makes the group
 *       {@link Status#NEGATIVE_WEIGHT}: prob and log_prob NaN on every row.</li>
 *   <li>A temperature divides x only.</li>
 * </ul>
 * Here m is the largest finite x among the rows with a finite nonzero weight, and L = log |S /
 * e^m|, of either sign.
 *
 * <p><b>Weighted accuracy (exact mode).</b> Each term is deposited exactly as w (th + tl + t3)
 * (see {@code ExactWeights}): th + tl is the unweighted term (kernel error 2^-80), t3 its third
 * part from a kernel accurate to 2^-138, rounded once; a deposited term is within 2^-130.5 of
 * w exp(x) (measured 2^-133.6). The state is the exact sum of the deposited terms and the same
 * bits for any partitioning.
 * <ul>
 *   <li>Weights &gt;= 0: L is computed from the th + tl parts as before, and every output is
 *       exactly rounded from L as the unweighted ones (0 ulps against the BigDecimal oracle on
 *       the tests' cases), with two documented exceptions: log_prob where log(w) + (x - m) - L
 *       cancels (below about 2^-20 of |log w| + |L|: a row holding nearly all of the mass) is
 *       exactly rounded from L but, L being accurate to about 2^-80 L, only accurate to 2^-78
 *       max(1, |L|) absolutely; and since L is a double-double, where log(w) - L is below
 *       2^-100 of x - m and x - m is a tie between two doubles (equal weights beside a dominant
 *       maximum), log_prob may be the other neighbour of the tie (1 ulp; WeightedPropertiesTest
 *       counts them).</li>
 *   <li>Signed weights: log |S| (and logsumexp for S &gt; 0) is the exactly rounded value of
 *       log |S'|, S' the exact sum the state holds (Ziv: double-double with an error bound, else
 *       BigDecimal at a precision raised by the digits that cancel), and its sign is the sign
 *       of S'; S' = 0 gives (-inf, 0). L is carried as R - m exactly, R that rounded value. Equal
 *       x cancel exactly (any weights within 2^-184 to 2^185 in magnitude): log(e^a - e^a) is
 *       -inf with sign 0, and [0, 0, -575.6] with [1, -1, 1] gives -575.6 exactly rounded.
 *       Between different x, |S' - S| &lt;= 2^-130.5 T, T = sum of |w exp(x)|, so log |S| is
 *       off the exact log |S| by at most about 2^-130.5 T / |S| absolutely. <b>The bound:</b>
 *       log |S| is within 1 ulp of the exactly rounded value, and is that value unless the
 *       exact one lies within 2^-130.5 T / |S| of a midpoint, whenever 2^-130.5 T / |S| is
 *       below half an ulp of log |S|: for |log |S|| &gt;= 1 whenever |S| &gt;= 2^-77 T
 *       (2^-80 T for |log |S|| &gt;= 8, 2^-86 T for &gt;= 512; below 1 the condition shrinks
 *       with |log |S||). The sign is right while |S| &gt;
 *       2^-130.5 T; below that the result is finite unless the deposited terms cancel exactly
 *       (distinct x less than about 2^-150 apart in relative terms, or anchors dropped 2^-1100
 *       below the largest term). Tests (WeightedTest, WeightedPropertiesTest): [a, a + 2^-40]
 *       with [1, -1] for 426 a (anchor centres and boundaries, |a| up to 1e300), [a, a + 2^-d]
 *       for d = 1 to 80, sums cut to 2^-K of their terms for K up to 78 (|log |S|| mostly 10
 *       to 600 there), long alternating sums, a jqwik property: 0 ulps from the oracle. The
 *       2^-900 asked for would need terms accurate to about 2^-960: not reached.</li>
 *   <li>A state holding rows without a third part (an unweighted state merged in, or rows
 *       accepted with {@link LogSumExpAccumulator#accept(double)} into a weighted state) leaves
 *       every third part out, so that equal x still cancel exactly: there, as before them,
 *       log |S| errs by at most 2^-79 T / |S| (within 2 ulps while |S| &gt;= 2^-25 T).</li>
 * </ul>
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
 *       state, which marks that it did (format 3), so the sign is right beside a -inf too
 *       ({@code [1000, -1000, -inf]}). A format 1 state written before format 3 existed
 *       cannot tell such a value from a second -inf: log_prob of its maximum is then +0.0.</li>
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
        ALL_NEGATIVE_INFINITY,
        /**
         * Weighted groups only: a negative weight (or a term of -inf), no NaN and no term of
         * +inf. prob and log_prob are NaN on every row; logsumexp is log S for S &gt; 0, -inf for
         * S = 0 and NaN for S &lt; 0; {@link #signedLogSumExp} gives log |S| and the sign.
         */
        NEGATIVE_WEIGHT
    }

    private final SoftmaxMode mode;
    private final Status status;
    private final long count;
    private final double max;
    private final long maxCount;
    private final double logNormalizerHigh;
    private final double logNormalizerLow;
    /** The sign of the group's sum S: 1, -1, 0 (S = 0 or no term), NaN for a NaN group. */
    private final double sign;

    private Normalizer(SoftmaxMode mode, Status status, long count, double max, long maxCount,
                       double logNormalizerHigh, double logNormalizerLow) {
        this(mode, status, count, max, maxCount, logNormalizerHigh, logNormalizerLow, defaultSign(status));
    }

    private Normalizer(SoftmaxMode mode, Status status, long count, double max, long maxCount,
                       double logNormalizerHigh, double logNormalizerLow, double sign) {
        this.sign = sign;
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

    private static double defaultSign(Status status) {
        switch (status) {
            case FINITE:
            case POSITIVE_INFINITY:
                return 1.0;
            case NAN:
                return Double.NaN;
            default:
                return 0.0;
        }
    }

    /**
     * The normalizer of a weighted state: flags as the state keeps them (with the weighted
     * flags of {@link StateFormat}), L = log |S / e^m| and the sign of S (for a group with
     * finite terms only; the flags decide the rest).
     */
    static Normalizer weighted(SoftmaxMode mode, int flags, long count, double max, long maxCount,
                               double logNormalizerHigh, double logNormalizerLow, double sign) {
        boolean positive = (flags & StateFormat.FLAG_POSITIVE_INFINITY) != 0;
        boolean negative = (flags & StateFormat.FLAG_NEGATIVE_INFINITE_TERM) != 0;
        boolean finite = (flags & StateFormat.FLAG_FINITE) != 0;
        double m = finite ? max : Double.NEGATIVE_INFINITY;
        long c = finite ? maxCount : 0;
        if ((flags & StateFormat.FLAG_NAN) != 0 || (positive && negative)) {
            return new Normalizer(mode, Status.NAN, count, m, c, Double.NaN, Double.NaN, Double.NaN);
        }
        if (positive) {
            return new Normalizer(mode, Status.POSITIVE_INFINITY, count, m, c, Double.NaN, Double.NaN, 1.0);
        }
        if (negative) {
            return new Normalizer(mode, Status.NEGATIVE_WEIGHT, count, m, c, Double.POSITIVE_INFINITY, 0.0, -1.0);
        }
        if ((flags & StateFormat.FLAG_NEGATIVE_WEIGHT) != 0) {
            return finite
                    ? new Normalizer(mode, Status.NEGATIVE_WEIGHT, count, m, c, logNormalizerHigh, logNormalizerLow,
                            sign)
                    : new Normalizer(mode, Status.NEGATIVE_WEIGHT, count, m, c, Double.NEGATIVE_INFINITY, 0.0, 0.0);
        }
        if (finite) {
            return new Normalizer(mode, Status.FINITE, count, m, c, logNormalizerHigh, logNormalizerLow, 1.0);
        }
        Status status = (flags & StateFormat.FLAG_NEGATIVE_INFINITY) != 0 ? Status.ALL_NEGATIVE_INFINITY : Status.EMPTY;
        return new Normalizer(mode, status, count, m, c, Double.NaN, Double.NaN, 0.0);
    }

    /**
     * Rebuilds a normalizer from its fields and the sign of its sum (see {@link #sign()}): the
     * form that also keeps a {@link Status#NEGATIVE_WEIGHT} group's logsumexp. For the other
     * statuses the sign follows from the status, and this is {@link #restore(SoftmaxMode,
     * Status, long, double, long, double, double)}.
     */
    public static Normalizer restore(SoftmaxMode mode, Status status, long count, double max, long maxCount,
                                     double logNormalizerHigh, double logNormalizerLow, double sign) {
        if (status != Status.NEGATIVE_WEIGHT) {
            return restore(mode, status, count, max, maxCount, logNormalizerHigh, logNormalizerLow);
        }
        boolean hasMax = maxCount > 0 && Math.abs(max) <= Double.MAX_VALUE;
        if (!(sign == 1.0 || sign == -1.0 || sign == 0.0) || logNormalizerHigh != logNormalizerHigh) {
            throw new SoftmaxException("normalizer: expected a sign -1, 0 or 1 and a log normalizer, actual sign "
                    + sign + ", log normalizer " + logNormalizerHigh);
        }
        return new Normalizer(mode, status, count, hasMax ? max : Double.NEGATIVE_INFINITY, hasMax ? maxCount : 0,
                logNormalizerHigh, logNormalizerLow, sign);
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
        // L >= 0 unweighted; a weighted group's L has either sign
        if (!(Math.abs(max) <= Double.MAX_VALUE) || maxCount < 1 || !(Math.abs(logNormalizerHigh) <= Double.MAX_VALUE)
                || !(Math.abs(logNormalizerLow) <= Math.ulp(logNormalizerHigh))) {
            throw new SoftmaxException("normalizer: expected a finite max, maxCount >= 1 and a finite log normalizer"
                    + ", actual max " + max + ", maxCount " + maxCount + ", log normalizer "
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
            case NEGATIVE_WEIGHT:
                if (!(sign > 0)) {
                    return sign == 0 ? Double.NEGATIVE_INFINITY : Double.NaN; // log of S = 0, of S < 0
                }
                break;
            default:
                break;
        }
        return maxPlusLogNormalizer();
    }

    /** m + L exactly rounded (fast mode: m + L_hi). */
    private double maxPlusLogNormalizer() {
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
        return isTinyPositive(logNormalizerHigh, logNormalizerLow);
    }

    private static boolean isTinyPositive(double logNormalizerHigh, double logNormalizerLow) {
        return logNormalizerHigh == 0 && logNormalizerLow == Double.MIN_VALUE;
    }

    /**
     * {@link #prob(double)} of a group in exact mode and of status {@link Status#FINITE}, from the
     * three fields it reads: the bits of {@code restore(EXACT, FINITE, count, max, maxCount,
     * logNormalizerHigh, logNormalizerLow).prob(x)}, and no normalizer made. For an engine that
     * keeps a group's fields in columns and reads them per row (the Spark layer's map): it checks
     * them once per group with {@link #restore}, then calls this per row. The fields are not
     * checked here.
     */
    public static double exactProb(double x, double max, double logNormalizerHigh, double logNormalizerLow) {
        return x != x ? Double.NaN : finiteExactProb(x, max, logNormalizerHigh, logNormalizerLow);
    }

    /** {@link #logProb(double)} from the fields it reads; see {@link #exactProb(double, double, double, double)}. */
    public static double exactLogProb(double x, double max, double logNormalizerHigh, double logNormalizerLow) {
        return x != x ? Double.NaN : finiteExactLogProb(x, max, logNormalizerHigh, logNormalizerLow);
    }

    /**
     * softmax of x within this group: exp(x - m) / d. For a member x of a finite group, see the
     * class comment for accuracy and special values.
     */
    public double prob(double x) {
        if (status != Status.FINITE || x != x) {
            return Double.NaN;
        }
        if (mode == SoftmaxMode.FAST) {
            return Math.exp((x - max) - logNormalizerHigh);
        }
        return finiteExactProb(x, max, logNormalizerHigh, logNormalizerLow);
    }

    /**
     * {@link #prob(double)} of a finite group in exact mode, from the fields it reads. Static, so
     * that nothing on the per-row path (its rare branches included) takes the normalizer itself:
     * where a normalizer is rebuilt per row from a row's fields ({@link #restore}, as the Spark
     * layer does), the JIT can then leave it out, and no object is made per row. With instance
     * methods on the rare branches, the global softmax's map stage took 1.16 to 1.31 s of task
     * time for 20M rows; static, 0.88 to 0.99 s (three runs each, alternating).
     */
    private static double finiteExactProb(double x, double max, double logNormalizerHigh, double logNormalizerLow) {
        double h = x - max;
        if (!(h - logNormalizerHigh >= -800)) {
            return 0.0; // x = -inf, x - m overflowed, or exp(x - m - L) < e^-800: rounds to 0
        }
        if (h - logNormalizerHigh > 710) {
            // x is not a member: exp(x - m - L) > e^710 > Double.MAX_VALUE, or x - m overflowed (the
            // kernel takes no such argument: the slow path threw ArithmeticException for x = 1e308)
            return Double.POSITIVE_INFINITY;
        }
        double l = DoubleDouble.twoSumError(x, -max, h); // x - m = h + l exactly
        double s1 = h - logNormalizerHigh;
        double e1 = DoubleDouble.twoSumError(h, -logNormalizerHigh, s1);
        double low = e1 + (l - logNormalizerLow);
        double yh = s1 + low;
        double yl = DoubleDouble.fastTwoSumError(s1, low, yh);
        if (yh < -708) { // exp(-708) > 2^-1022: above, the result is normal
            return probNearUnderflow(x, max, logNormalizerHigh, logNormalizerLow, yh, yl);
        }
        double[] term = new double[2];
        int n = ExactMath.expScaled(yh, 0.0, term);
        // exp(yh + yl) = exp(yh) (1 + yl + yl^2/2 + ...), |yl| <= 2^-43: yl^2/2 < 2^-87 is left out
        double lo = term[1] + term[0] * yl;
        // exp(yh) = (term[0] + term[1]) 2^n within 2^-80 (the kernel; measured 2^-82), yh + yl is
        // (x - m) - L within 2^-102 |y| <= 2^-92, and yl^2/2 < 2^-87: 2^-78 of term[0] + lo bounds
        // their sum with a factor 3 to spare. The two-sided test (see PROB_MARGIN): both ends of
        // the bound round to the same double, so the exact value does too
        double margin = term[0] * CorrectRounding.PROB_MARGIN;
        double up = term[0] + (lo + margin);
        if (up == term[0] + (lo - margin)) {
            // up 2^n, exact: 2^n is a normal double here (n >= -1022 since yh >= -708), and one
            // product by it costs less than Math.scalb, which was a fifth of the per-row map
            return n <= Double.MAX_EXPONENT ? up * powerOfTwo(n) : Math.scalb(up, n);
        }
        return probUndecided(x, max, logNormalizerHigh, logNormalizerLow);
    }

    /** 2^n for a normal exponent n (-1022 to 1023), from its bits. */
    private static double powerOfTwo(int n) {
        return Double.longBitsToDouble((long) (n + Double.MAX_EXPONENT) << 52);
    }

    private static double probUndecided(double x, double max, double logNormalizerHigh, double logNormalizerLow) {
        return CorrectRounding.prob(x, max, logNormalizerHigh, logNormalizerLow,
                isTinyPositive(logNormalizerHigh, logNormalizerLow));
    }

    /**
     * prob where exp(yh + yl) may be subnormal: rounded to the grid 2^(-1074 - n) from the
     * double-double, with the same bound as the normal case. Out of line, as every rare branch
     * of prob and logProb: the JIT then inlines the short common path into the caller's loop
     * (with these branches inline, logProb's compiled code grew past the inlining limit and the
     * per-row cost doubled).
     */
    private static double probNearUnderflow(double x, double max, double logNormalizerHigh,
            double logNormalizerLow, double yh, double yl) {
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
            double rounded = CorrectRounding.roundSubnormal(rh, rl, n, bound);
            if (rounded == rounded) {
                return rounded;
            }
        }
        return probUndecided(x, max, logNormalizerHigh, logNormalizerLow);
    }

    /** log-softmax of x within this group: (x - m) - log d, without cancellation. */
    public double logProb(double x) {
        if (status != Status.FINITE || x != x) {
            return Double.NaN;
        }
        if (mode == SoftmaxMode.FAST) {
            return (x - max) - logNormalizerHigh;
        }
        return finiteExactLogProb(x, max, logNormalizerHigh, logNormalizerLow);
    }

    /** {@link #logProb(double)} of a finite group in exact mode, from its fields: see {@link #finiteExactProb}. */
    private static double finiteExactLogProb(double x, double max, double logNormalizerHigh,
            double logNormalizerLow) {
        double h = x - max;
        if (Double.isInfinite(h)) {
            return h; // x = -inf, or x - m overflowed: -inf is the correct rounding
        }
        double l = DoubleDouble.twoSumError(x, -max, h);
        if (logNormalizerHigh == 0) {
            return logProbOfTinyL(x, max, logNormalizerHigh, logNormalizerLow, h, l);
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
        return logProbUndecided(x, max, logNormalizerHigh, logNormalizerLow, h, l, false);
    }

    /** log_prob when L_hi = 0: L = 0 (a single value, or beside -inf) or marked tiny. */
    private static double logProbOfTinyL(double x, double max, double logNormalizerHigh, double logNormalizerLow,
            double h, double l) {
        boolean tiny = isTinyPositive(logNormalizerHigh, logNormalizerLow);
        if (h == 0) {
            return tiny ? -0.0 : 0.0; // log(1 + tiny) < 0, log(1) = +0
        }
        // h: x - m rounded once
        return tiny ? logProbUndecided(x, max, logNormalizerHigh, logNormalizerLow, h, l, true) : h;
    }

    /** log_prob where the fast path's bound does not decide: the exact steps. */
    private static double logProbUndecided(double x, double max, double logNormalizerHigh, double logNormalizerLow,
            double h, double l, boolean tiny) {
        double r = CorrectRounding.logProbOfExpansion(h, l, logNormalizerHigh, logNormalizerLow, tiny);
        return r == r ? r : CorrectRounding.logProb(x, max, logNormalizerHigh, logNormalizerLow, tiny);
    }

    /**
     * softmax of the row (x, w) within this weighted group: w exp(x - m) / d, exactly rounded
     * as {@link #prob(double)} is (exp in double-double times w exactly, the same rounding test,
     * a BigDecimal slow path). A weight of 0 gives 0 (a masked row), of 1 {@link #prob(double)};
     * a negative or NaN weight, or a group that is not {@link Status#FINITE}, NaN.
     */
    public double prob(double x, double w) {
        if (w == 1.0) {
            return prob(x);
        }
        if (status != Status.FINITE || !(w >= 0) || w == Double.POSITIVE_INFINITY) {
            return Double.NaN;
        }
        if (w == 0) {
            return 0.0; // a mask, whatever x is
        }
        double h = x - max;
        if (!(Math.abs(h) <= Double.MAX_VALUE)) {
            return h != h ? Double.NaN : h > 0 ? Double.POSITIVE_INFINITY : 0.0;
        }
        if (mode == SoftmaxMode.FAST) {
            return w * Math.exp(h - logNormalizerHigh);
        }
        return WeightedOutputs.prob(x, w, max, logNormalizerHigh, logNormalizerLow);
    }

    /**
     * log-softmax of the row (x, w) within this weighted group: log(w) + (x - m) - log d,
     * exactly rounded (log w in double-double with an error bound, a BigDecimal slow path). A
     * weight of 0 gives -inf (a masked row), of 1 {@link #logProb(double)}; a negative or NaN
     * weight, or a group that is not {@link Status#FINITE}, NaN.
     */
    public double logProb(double x, double w) {
        if (w == 1.0) {
            return logProb(x);
        }
        if (status != Status.FINITE || !(w >= 0) || w == Double.POSITIVE_INFINITY) {
            return Double.NaN;
        }
        if (w == 0) {
            return Double.NEGATIVE_INFINITY; // a mask, whatever x is
        }
        if (x != x) {
            return Double.NaN;
        }
        double h = x - max;
        if (mode == SoftmaxMode.FAST) {
            return Math.log(w) + (h - logNormalizerHigh);
        }
        if (Double.isInfinite(h)) {
            return h;
        }
        return WeightedOutputs.logProb(x, w, max, logNormalizerHigh, logNormalizerLow);
    }

    /**
     * log |S| and the sign of S, S = the group's (weighted) sum of exp: scipy's
     * {@code logsumexp(..., return_sign=True)}. S = 0 (or no term) gives (-inf, 0); a NaN group
     * (NaN, NaN); a term of +inf (+inf, 1), of -inf (+inf, -1).
     */
    public SignedLogSumExp signedLogSumExp() {
        switch (status) {
            case NAN:
                return new SignedLogSumExp(Double.NaN, Double.NaN);
            case POSITIVE_INFINITY:
                return new SignedLogSumExp(Double.POSITIVE_INFINITY, 1.0);
            case EMPTY:
            case ALL_NEGATIVE_INFINITY:
                return new SignedLogSumExp(Double.NEGATIVE_INFINITY, 0.0);
            default:
                break;
        }
        if (sign == 0) {
            return new SignedLogSumExp(Double.NEGATIVE_INFINITY, 0.0);
        }
        if (logNormalizerHigh == Double.POSITIVE_INFINITY) {
            return new SignedLogSumExp(Double.POSITIVE_INFINITY, sign);
        }
        return new SignedLogSumExp(maxPlusLogNormalizer(), sign);
    }

    /** The sign of the group's sum S: 1, -1, 0 (S = 0, or no term), NaN for a NaN group. */
    public double sign() {
        return sign;
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
                && Double.compare(logNormalizerLow, that.logNormalizerLow) == 0
                && Double.compare(sign, that.sign) == 0;
    }

    @Override
    public int hashCode() {
        return Objects.hash(mode, status, count, max, maxCount, logNormalizerHigh, logNormalizerLow, sign);
    }

    @Override
    public String toString() {
        return "Normalizer{" + mode.id() + ", " + status + ", count=" + count + ", max=" + max
                + ", maxCount=" + maxCount + ", log d=" + logNormalizerHigh + " + " + logNormalizerLow
                + (sign == 1.0 ? "" : ", sign=" + sign) + ", logSumExp=" + logSumExp() + "}";
    }
}
