/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.core;

import java.util.Arrays;

/**
 * The exact, reproducible normalizer: the sum of exp(x - m) is kept as an exact integer on a
 * fixed grid, so the finished result is a function of the multiset of values alone, whatever
 * their order, their split into partial states and the serialization round trips between.
 * The idea is that of reproducible summation (ReproBLAS; Demmel and Nguyen), done here with
 * exact integer bins. ExactModePropertiesTest checks the same bits for any partitioning,
 * order and serialization round trip, and 0 ulps against the BigDecimal oracle.
 *
 * <ul>
 *   <li><b>Anchor</b>: each finite x is written x = 512 q + r with q = rint(x / 512) (an
 *       integer-valued double: a long would overflow past 2^72) and r = x - 512 q, exact, with
 *       |r| &lt;= 256.</li>
 *   <li><b>Term</b>: exp(r) as a double-double from {@link ExactMath#expScaled}, pure Java with
 *       IEEE-exact operations only (relative error below 2^-80), so every JVM and CPU agrees.</li>
 *   <li><b>Deposit</b>: both parts of the term are added, as signed 32-bit chunks on the grid
 *       2^-448 (what falls below it is truncated, the same way for the same x), into 28 long
 *       bins per anchor; carries are normalized every 2^28 values. Only the anchors qTop,
 *       qTop - 1 and qTop - 2 are kept: a value further down has x - m &lt;= -1024 and cannot
 *       change an output bit, and since qTop only rises, dropping it is order-free.</li>
 *   <li><b>Finish</b>, once per group in a fixed order: subtract the c terms of the maximum m
 *       exactly, scale the rest by exp(-r_m) and e^-512 per anchor to get s = sum over the
 *       smaller values of exp(x - m), then L = log d = log(c) + log1p(s / c) in double-double
 *       (never 1 + s in doubles: s can be e^-738). A tiny s (below 2^-960 beside a single
 *       maximum) is formed again without subnormal steps and L = s rounded once.</li>
 * </ul>
 * The bits of every term are part of serialized format 1: a stored state merges exactly with
 * new data only if both were deposited by the same kernel, so any change to the kernel's bits
 * needs a new format version (StateFormatTest's golden states guard this).
 *
 * <p>Special values and accuracy: see {@link Normalizer}. Serialized layout: see
 * {@link LogSumExpAccumulator}. The fold costs about 3x the plain online normalizer
 * ({@link FastLogSumExp}); see docs/performance.md for measurements.
 *
 * @since 0.1.0
 */
public final class ExactLogSumExp implements LogSumExpAccumulator {
    static final int BINS = 28;
    static final int ANCHORS = 3;
    /** Bin 0 holds the bits of weight 2^-448 to 2^-417 of an anchor's sum. */
    private static final int GRID_OFFSET = 448;
    private static final long MASK32 = 0xffffffffL;
    /** Each value adds below 2^33 to a bin; normalizing every 2^28 values keeps bins below 2^62. */
    private static final long NORMALIZE_EVERY = 1L << 28;

    private long count;
    private int flags;
    private double max = Double.NEGATIVE_INFINITY;
    private long maxCount;
    /** rint(max / 512): the anchor of the maximum is always the top anchor. */
    private double top;
    /**
     * Anchor a (0 = top, 1 = top - 1, 2 = top - 2) in bins[a * BINS, (a + 1) * BINS); in a
     * weighted state bins[a * STRIDE, (a + 1) * STRIDE) on the finer, wider grids (see ExactWeights).
     */
    private long[] bins = new long[ANCHORS * BINS];
    /** Whether a row of weight other than 1 (and 0) was accepted: the state is then format 2. */
    private boolean weighted;
    /**
     * Unweighted states: a finite value's term is not in the bins (it lay below the kept
     * anchors when it came, or its anchor was shifted out). Such a value lies more than 1024
     * below the maximum whatever the order of the values, so the mark does not depend on the
     * partitioning. Serialized as format 3 ({@link StateFormat#FORMAT_VERSION_DROPPED}).
     */
    private boolean dropped;
    /** Values (or merged states) added since the bins were last normalized. */
    private long pending;
    /** Scratch of the term kernels (the weighted one uses six). */
    private final double[] term = new double[6];

    private ExactLogSumExp() {
    }

    /** A new, empty accumulator. */
    public static ExactLogSumExp create() {
        return new ExactLogSumExp();
    }

    /** An accumulator holding the given values. */
    public static ExactLogSumExp of(double... values) {
        ExactLogSumExp acc = new ExactLogSumExp();
        acc.acceptAll(values);
        return acc;
    }

    @Override
    public SoftmaxMode mode() {
        return SoftmaxMode.EXACT;
    }

    @Override
    public long count() {
        return count;
    }

    @Override
    public void accept(double x) {
        if (weighted) {
            if (Math.abs(x) <= Double.MAX_VALUE) { // a row without its third part: see makeWeighted
                flags |= StateFormat.FLAG_UNCORRECTED;
            }
            acceptWeighted(x, 1.0);
            return;
        }
        count++;
        if (Math.abs(x) <= Double.MAX_VALUE) {
            acceptFinite(x);
        } else {
            flags |= StateFormat.nonFiniteFlag(x);
        }
    }

    /**
     * Folds the row (x, w) in: the term w exp(x). A weight of 0 (or -0.0) leaves the state
     * unchanged whatever x is: a mask. Any other weight, 1 included, makes the state weighted
     * (format 2), where each term is deposited with its third part (see {@link ExactWeights}):
     * a row of weight 1 must carry it too, or it could not cancel precisely against a row of
     * weight -1 and a nearby x. Special values: see {@link Normalizer}.
     */
    @Override
    public void accept(double x, double w) {
        if (w != 0.0) {
            acceptWeighted(x, w);
        }
    }

    private void acceptWeighted(double x, double w) {
        makeWeighted();
        count++;
        if (w < 0) {
            flags |= StateFormat.FLAG_NEGATIVE_WEIGHT;
        }
        if (Math.abs(x) <= Double.MAX_VALUE && Math.abs(w) <= Double.MAX_VALUE) {
            acceptWeightedFinite(x, w);
        } else {
            flags |= StateFormat.weightedNonFiniteFlag(x, w);
        }
    }

    /**
     * Moves an unweighted state onto the weighted grid: the same value, finer bins. Its rows
     * have no third parts: if it holds any, the state is marked {@link StateFormat#FLAG_UNCORRECTED}
     * and its finish leaves every third part out (else equal x from either side would no longer
     * cancel exactly). So does {@link #accept(double)} on a weighted state, whatever the order.
     */
    private void makeWeighted() {
        if (weighted) {
            return;
        }
        long[] wide = new long[ANCHORS * ExactWeights.STRIDE];
        for (int a = 0; a < ANCHORS; a++) {
            System.arraycopy(bins, a * BINS, wide, a * ExactWeights.STRIDE + ExactWeights.SHIFT_BINS, BINS);
        }
        bins = wide;
        weighted = true;
        dropped = false; // signed terms may cancel: a weighted state cannot tell, see the field
        if ((flags & StateFormat.FLAG_FINITE) != 0) {
            flags |= StateFormat.FLAG_UNCORRECTED;
        }
    }

    private void acceptWeightedFinite(double x, double w) {
        double q0 = Math.rint(x * 0x1p-9);
        double r0 = x - 512 * q0;
        int k = ExactWeights.exponent(w);
        double f = ExactWeights.significand(w, k); // exact: |f| in [1, 2)
        int j = ExactWeights.anchorShift(r0, k);
        double q = q0 + j;
        if (j != 0 && Math.abs(q0) >= 0x1p52) {
            throw new SoftmaxException("weight " + w + " beside x = " + x + " is out of range: with |x| >= 2^61"
                    + " the weight must be within 2^-184 to 2^184");
        }
        int offset = anchorOffset(x, q, ExactWeights.STRIDE);
        if (offset < 0) {
            return;
        }
        if ((flags & StateFormat.FLAG_UNCORRECTED) != 0) { // third parts are left out: none needed
            int n = ExactWeights.term(r0, j, term);
            ExactWeights.depositProduct(bins, offset, f, term[0], term[1], n + k);
        } else {
            int n = ExactWeights.termWithCorrection(r0, j, term);
            ExactWeights.depositProduct(bins, offset, f, term[0], term[1], n + k);
            if (term[2] != 0) {
                ExactWeights.depositCorrection(bins, offset + ExactWeights.BINS_W, f, term[2], n + k);
            }
        }
        pending += 2; // up to 2^34 per bin and value: normalizing every 2^27 values keeps bins below 2^62
        if (pending >= NORMALIZE_EVERY) {
            normalize(bins);
        }
    }

    private void acceptFinite(double x) {
        double q = Math.rint(x * 0x1p-9);
        int offset = anchorOffset(x, q, BINS);
        if (offset < 0) {
            dropped = true;
            return;
        }
        depositTerm(bins, offset, x - 512 * q);
        if (++pending >= NORMALIZE_EVERY) {
            normalize(bins);
        }
    }

    /**
     * Counts the finite value x of anchor q into the maximum and the top anchor (shifting the
     * anchors up when q is above it): the offset of anchor q's bins, binsPerAnchor apart, or -1
     * when q lies below the kept anchors and the term is dropped.
     */
    private int anchorOffset(double x, double q, int binsPerAnchor) {
        if ((flags & StateFormat.FLAG_FINITE) == 0) {
            flags |= StateFormat.FLAG_FINITE;
            max = x;
            maxCount = 1;
            top = q;
            return 0;
        }
        mergeMax(x, 1);
        if (q > top) {
            shiftAnchors(q - top);
            top = q;
            return 0;
        }
        double gap = top - q; // exact when below ANCHORS (Sterbenz), else >= ANCHORS
        if (gap >= ANCHORS) {
            return -1;
        }
        return (int) gap * binsPerAnchor;
    }

    /** Max in Double.compare order (+0.0 above -0.0), with the count of bit-equal values. */
    private void mergeMax(double x, long xCount) {
        if (x > max) {
            max = x;
            maxCount = xCount;
        } else if (x == max) {
            long xBits = Double.doubleToRawLongBits(x);
            if (xBits == Double.doubleToRawLongBits(max)) {
                maxCount += xCount;
            } else if (xBits == 0L) { // +0.0 beats -0.0
                max = 0.0;
                maxCount = xCount;
            }
        }
    }

    private void shiftAnchors(double gap) {
        if (gap >= ANCHORS) {
            dropped |= !weighted && anyBin(bins, 0, bins.length);
            Arrays.fill(bins, 0L);
            return;
        }
        int g = (int) gap * (weighted ? ExactWeights.STRIDE : BINS);
        dropped |= !weighted && anyBin(bins, bins.length - g, bins.length);
        System.arraycopy(bins, 0, bins, g, bins.length - g);
        Arrays.fill(bins, 0, g, 0L);
    }

    /** Whether any of bins[from] to bins[to - 1] holds something. */
    private static boolean anyBin(long[] bins, int from, int to) {
        for (int i = from; i < to; i++) {
            if (bins[i] != 0) {
                return true;
            }
        }
        return false;
    }

    /**
     * Deposits exp(r) = (term[0] + term[1]) 2^n. The low part is dropped when it is below 2^-80
     * of the high part (only when |r| &lt; 2^-80, e.g. x = 1e-30): that changes the term by less
     * than its own error, the same way for the same x, and keeps the state of one value within
     * six bins instead of sixteen.
     */
    private void depositTerm(long[] target, int offset, double r) {
        depositComputedTerm(target, offset, ExactMath.expScaled(r, 0.0, term));
    }

    /** Deposits the term already in {@link #term}, times 2^n, as {@link #depositTerm} does. */
    private void depositComputedTerm(long[] target, int offset, int n) {
        deposit(target, offset, term[0], n);
        if (Math.abs(term[1]) >= 0x1p-80 * term[0]) {
            depositLow(target, offset, term[1], n);
        }
    }

    /**
     * Adds the top 32 of the 53 significant bits of v * 2^n (the low part of a term, below
     * 2^-52 of the high part): two chunks instead of three, and the term stays exact to 2^-85,
     * beyond the kernel's own error. Truncated towards zero, the same way for the same x. v is
     * never zero or subnormal here (depositTerm skips a low part below 2^-80 of the high part).
     */
    private static void depositLow(long[] bins, int offset, double v, int n) {
        long bits = Double.doubleToRawLongBits(v);
        int biased = (int) (bits >>> 52) & 0x7ff;
        long significand = ((bits & 0xfffffffffffffL) | 0x10000000000000L) >>> 21;
        int shift = biased - 1075 + 21 + n + GRID_OFFSET;
        if (shift < 0) { // terms near e^-256: the grid still keeps them to 2^-78
            if (shift <= -32) {
                return;
            }
            significand >>>= -shift;
            shift = 0;
        }
        long sign = bits >> 63;
        int i = offset + (shift >>> 5);
        long shifted = significand << (shift & 31); // below 2^63
        bins[i] += ((shifted & MASK32) ^ sign) - sign;
        bins[i + 1] += ((shifted >>> 32) ^ sign) - sign;
    }

    /**
     * Adds v * 2^n, truncated towards zero to the grid, to the bins of one anchor: the 53-bit
     * significand straddles at most three 32-bit chunks. The sign is applied without a branch
     * (a branch on the sign of the low part cost 16 ns per value in the prototype).
     */
    private static void deposit(long[] bins, int offset, double v, int n) {
        long bits = Double.doubleToRawLongBits(v);
        int biased = (int) (bits >>> 52) & 0x7ff;
        if (biased == 0) {
            return; // zero, or a subnormal far below the grid
        }
        long significand = (bits & 0xfffffffffffffL) | 0x10000000000000L;
        int shift = biased - 1075 + n + GRID_OFFSET; // grid position of the lowest bit
        if (shift < 0) {
            if (shift <= -53) {
                return;
            }
            significand >>>= -shift;
            shift = 0;
        }
        long sign = bits >> 63;
        int i = offset + (shift >>> 5);
        int o = shift & 31;
        long c0 = (significand << o) & MASK32;
        long c1 = (significand >>> (32 - o)) & MASK32;
        long c2 = (significand >>> 32) >>> (32 - o);
        bins[i] += (c0 ^ sign) - sign;
        bins[i + 1] += (c1 ^ sign) - sign;
        bins[i + 2] += (c2 ^ sign) - sign;
    }

    private void normalize(long[] target) {
        if (weighted) {
            for (int b = 0; b < 2 * ANCHORS; b++) { // main parts and third parts alike
                ExactWeights.normalizeAnchor(target, b * ExactWeights.BINS_W);
            }
        } else {
            for (int a = 0; a < ANCHORS; a++) {
                normalizeAnchor(target, a * BINS);
            }
        }
        if (target == bins) {
            pending = 0;
        }
    }

    /** Carries so that bins 0..26 are in [0, 2^32); the value is unchanged. */
    private static void normalizeAnchor(long[] target, int offset) {
        for (int i = offset; i < offset + BINS - 1; i++) {
            long carry = target[i] >> 32;
            target[i] -= carry << 32;
            target[i + 1] += carry;
        }
    }

    @Override
    public ExactLogSumExp combine(LogSumExpAccumulator other) {
        if (!(other instanceof ExactLogSumExp)) {
            throw new SoftmaxException("cannot combine softmax states: expected mode exact, actual "
                    + other.mode().id());
        }
        ExactLogSumExp that = other == this ? copy() : (ExactLogSumExp) other;
        if (that.weighted && !weighted) {
            makeWeighted();
        } else if (weighted && !that.weighted) {
            that = that.copy();
            that.makeWeighted();
        }
        int binsPerAnchor = weighted ? ExactWeights.STRIDE : BINS;
        count += that.count;
        if ((that.flags & StateFormat.FLAG_FINITE) != 0) {
            if ((flags & StateFormat.FLAG_FINITE) == 0) {
                max = that.max;
                maxCount = that.maxCount;
                top = that.top;
                System.arraycopy(that.bins, 0, bins, 0, bins.length);
                pending = that.pending;
            } else {
                mergeMax(that.max, that.maxCount);
                if (that.top > top) {
                    shiftAnchors(that.top - top);
                    top = that.top;
                }
                double gap = top - that.top;
                if (!weighted) { // that's anchors below the kept ones
                    int from = gap < ANCHORS ? (ANCHORS - (int) gap) * BINS : 0;
                    dropped |= anyBin(that.bins, from, that.bins.length);
                }
                if (gap < ANCHORS) {
                    int g = (int) gap;
                    for (int a = 0; a + g < ANCHORS; a++) {
                        int to = (a + g) * binsPerAnchor;
                        int from = a * binsPerAnchor;
                        for (int i = 0; i < binsPerAnchor; i++) {
                            bins[to + i] += that.bins[from + i];
                        }
                    }
                }
                // + 1: a normalized state still holds up to 2^32 per bin
                pending += that.pending + 1;
                if (pending >= NORMALIZE_EVERY) {
                    normalize(bins);
                }
            }
        }
        flags |= that.flags;
        dropped |= that.dropped && !weighted;
        return this;
    }

    /** An independent copy of this state. */
    public ExactLogSumExp copy() {
        ExactLogSumExp c = new ExactLogSumExp();
        c.weighted = weighted;
        c.bins = new long[bins.length];
        c.count = count;
        c.flags = flags;
        c.max = max;
        c.maxCount = maxCount;
        c.top = top;
        c.pending = pending;
        c.dropped = dropped;
        System.arraycopy(bins, 0, c.bins, 0, bins.length);
        return c;
    }

    @Override
    public Normalizer finish() {
        if (weighted) {
            long[] work = Arrays.copyOf(bins, bins.length);
            normalize(work);
            return ExactWeights.finish(flags, count, max, maxCount, top, work);
        }
        if ((flags & StateFormat.FLAG_FINITE) == 0
                || (flags & (StateFormat.FLAG_NAN | StateFormat.FLAG_POSITIVE_INFINITY)) != 0) {
            return Normalizer.of(SoftmaxMode.EXACT, flags, count, max, maxCount, Double.NaN, Double.NaN);
        }
        // T = the term of m, exp(r_m) = (p + pe) 2^n; s = sum over anchors a of S_a / T * e^(-512 a)
        int n = maxTerm();
        long[] smaller = sumBelowMax(n);
        double th = term[0] + term[1];
        double tl = DoubleDouble.fastTwoSumError(term[0], term[1], th);
        th = Math.scalb(th, n);
        tl = Math.scalb(tl, n);
        double[] sum = new double[2];
        sumOfSmaller(smaller, th, tl, false, sum);
        double[] log;
        if (maxCount == 1 && sum[0] < 0x1p-960) {
            // L = log1p(s) = s within 2^-960 s. Formed unscaled, s loses bits (and L whole
            // subnormal ulps: 1.3755e-320 for 1.376e-320) where a step goes subnormal; formed
            // again scaled, no step does, and L_hi is rounded once
            sumOfSmaller(smaller, th, tl, true, sum);
            log = unscale(sum[0], sum[1], TINY_SCALE);
        } else {
            log = logNormalizer(maxCount, sum[0], sum[1]);
        }
        if (log[0] == 0 && hasValuesBelowMax(smaller)) {
            log[1] = Double.MIN_VALUE; // L > 0 but below 2^-1075: see Normalizer#isTinyPositive
        }
        return Normalizer.of(SoftmaxMode.EXACT, flags, count, max, maxCount, log[0], log[1]);
    }

    /** The scale 2^1100 of {@link #sumOfSmaller} when s is tiny. */
    private static final int TINY_SCALE = 1100;

    /**
     * s = sum over anchors a of S_a / T * e^(-512 a) into sum; scaled, times 2^1100, for a tiny
     * s. Scaled, each part is brought to [1, 2) by a power of two (counted apart) before each
     * factor e^-512, so no step goes subnormal nor overflows (a part is e^-512 to 2^63 e^512
     * before the factors; a fixed 2^550 per factor overflowed for [-355.08, 336.83]); the plain
     * sum is computed as it always was.
     */
    private static void sumOfSmaller(long[] smaller, double th, double tl, boolean scaled, double[] sum) {
        sum[0] = 0;
        sum[1] = 0;
        double[] part = new double[2];
        for (int a = ANCHORS - 1; a >= 0; a--) { // smallest first
            if (!anchorToDoubleDouble(smaller, a, part)) {
                continue;
            }
            DoubleDouble.divide(part[0], part[1], th, tl, part);
            int exponent = 0; // part * 2^exponent is the value
            for (int k = 0; k < a; k++) {
                if (scaled) {
                    int e = Math.getExponent(part[0]);
                    part[0] = Math.scalb(part[0], -e);
                    part[1] = Math.scalb(part[1], -e);
                    exponent += e;
                }
                DoubleDouble.multiply(part[0], part[1], ExactMath.EXP_M512_HI, ExactMath.EXP_M512_LO, part);
            }
            if (scaled) { // below 2^140: the caller scales only a sum below 2^-960
                exponent += TINY_SCALE;
                part[0] = Math.scalb(part[0], exponent);
                part[1] = Math.scalb(part[1], exponent);
            }
            DoubleDouble.add(sum[0], sum[1], part[0], part[1], sum);
        }
    }

    /**
     * (hi + lo) 2^-k as a double-double whose high part is rounded once, subnormals included.
     * The low part is 0 below 2^-969, where it would be subnormal and keep only some of its
     * bits: a rounded low part can make a tie of L_hi + L_lo that the true L does not have
     * (log_prob of the maximum came out 1 ulp off that way), while the exact L_hi alone gives
     * the outputs that depend on L at this size their exact rounding (log_prob of the maximum
     * is -L, logsumexp of a maximum 0 is L).
     */
    static double[] unscale(double hi, double lo, int k) {
        double rounded = Math.scalb(hi, -k);
        if (Math.getExponent(rounded) >= Double.MIN_EXPONENT + 53) {
            return new double[] {rounded, Math.scalb(lo, -k)};
        }
        if (Math.getExponent(rounded) >= Double.MIN_EXPONENT) {
            return new double[] {rounded, 0.0}; // exact: hi is hi + lo rounded
        }
        double residual = (hi - Math.scalb(rounded, k)) + lo;
        double halfUlp = Math.scalb(Double.MIN_VALUE, k - 1);
        if (residual > halfUlp) {
            rounded = Math.nextUp(rounded);
        } else if (residual < -halfUlp) {
            rounded = Math.nextDown(rounded);
        }
        return new double[] {rounded, 0.0};
    }

    /**
     * Whether a finite value below the maximum was seen: its term is in the bins, or it was
     * dropped (more than 1024 below the maximum) and marked ({@link #dropped}). A state read
     * from format 1 has no mark: there a dropped value is told by the count, which cannot tell
     * it from a -inf once -inf was seen too; then this answers false, and log_prob of the maximum
     * is +0.0 where the exact result (-e^(x - m), x - m &lt; -1024) rounds to -0.0.
     */
    private boolean hasValuesBelowMax(long[] smaller) {
        if (anyBin(smaller, 0, smaller.length)) {
            return true;
        }
        // a value below the maximum whose term was dropped: marked (format 3), or, in a format 1
        // state, told by the count when no -inf could account for the values besides the maximum
        return dropped || count > maxCount && (flags & StateFormat.FLAG_NEGATIVE_INFINITY) == 0;
    }

    /**
     * L = log(c + s) as a double-double: log(c) + log1p(s / c) while s / c is small (full
     * relative precision when L is tiny), log(c + s) in double-double otherwise.
     */
    static double[] logNormalizer(long c, double sh, double sl) {
        double ch = (double) c;
        double cl = (double) (c - (long) ch);
        double[] out = new double[2];
        double[] z = new double[2];
        DoubleDouble.divide(sh, sl, ch, cl, z);
        if (z[0] < 0x1p-7) {
            ExactMath.log1p(z[0], z[1], out);
            if (c > 1) {
                double[] logC = new double[2];
                ExactMath.log(ch, cl, logC);
                DoubleDouble.add(logC[0], logC[1], out[0], out[1], out);
            }
        } else {
            DoubleDouble.add(ch, cl, sh, sl, z);
            ExactMath.log(z[0], z[1], out);
        }
        return out;
    }

    /** Computes the term of the maximum into {@link #term}; returns its power of two n. */
    private int maxTerm() {
        return ExactMath.expScaled(max - 512 * top, 0.0, term);
    }

    /**
     * The exact integer sums of the anchors less maxCount times the deposited term of the
     * maximum, normalized: the sum over the values smaller than m. {@link #term} must hold the
     * term of the maximum and n its power of two ({@link #maxTerm}); it is left unchanged.
     */
    private long[] sumBelowMax(int n) {
        long[] work = Arrays.copyOf(bins, bins.length);
        normalize(work);
        long[] own = new long[BINS];
        depositComputedTerm(own, 0, n);
        normalizeAnchor(own, 0);
        for (int i = 0; i < BINS; i++) { // work -= maxCount * own, with 96-bit products
            long lowProduct = own[i] * maxCount;
            long highProduct = Math.multiplyHigh(own[i], maxCount);
            work[i] -= lowProduct & MASK32;
            if (i + 1 < BINS) {
                work[i + 1] -= lowProduct >>> 32;
            }
            if (i + 2 < BINS) {
                work[i + 2] -= highProduct;
            } else if (highProduct != 0) {
                throw StateFormat.corrupt("the sum of the maximum's terms exceeds the grid");
            }
            if (i + 1 >= BINS && (lowProduct >>> 32) != 0) {
                throw StateFormat.corrupt("the sum of the maximum's terms exceeds the grid");
            }
        }
        normalizeAnchor(work, 0);
        if (work[BINS - 1] < 0) {
            throw StateFormat.corrupt("the sum is smaller than " + maxCount + " times the term of the maximum "
                    + max);
        }
        return work;
    }

    /** The value of one normalized anchor, relative to e^(512 anchor), as a double-double. */
    private static boolean anchorToDoubleDouble(long[] work, int anchor, double[] out) {
        int offset = anchor * BINS;
        int highest = BINS - 1;
        while (highest >= 0 && work[offset + highest] == 0) {
            highest--;
        }
        if (highest < 0) {
            return false;
        }
        double hi = 0;
        double lo = 0;
        for (int i = Math.max(0, highest - 4); i <= highest; i++) { // 160 bits > 106, smallest first
            double v = Math.scalb((double) work[offset + i], 32 * i - GRID_OFFSET);
            double s = hi + v;
            lo += DoubleDouble.twoSumError(hi, v, s);
            hi = s;
        }
        double s = hi + lo;
        out[0] = s;
        out[1] = DoubleDouble.fastTwoSumError(hi, lo, s);
        return true;
    }

    @Override
    public byte[] toBytes() {
        if (weighted) {
            normalize(bins); // canonical bytes; the value is unchanged
            return ExactWeights.toBytes(flags, count, max, maxCount, top, bins);
        }
        StateFormat.Writer out = new StateFormat.Writer();
        out.writeByte(dropped ? StateFormat.FORMAT_VERSION_DROPPED : StateFormat.FORMAT_VERSION);
        out.writeByte(SoftmaxMode.EXACT.code());
        out.writeByte(flags);
        out.writeVarLong(count);
        if ((flags & StateFormat.FLAG_FINITE) != 0) {
            out.writeLong(Double.doubleToRawLongBits(max));
            out.writeVarLong(maxCount);
            normalize(bins); // canonical bytes; the value is unchanged
            for (int a = 0; a < ANCHORS; a++) {
                int first = 0;
                int last = BINS - 1;
                while (last >= 0 && bins[a * BINS + last] == 0) {
                    last--;
                }
                while (first < last && bins[a * BINS + first] == 0) {
                    first++;
                }
                int length = last < 0 ? 0 : last - first + 1;
                out.writeByte(length == 0 ? 0 : first);
                out.writeByte(length);
                for (int i = 0; i < length; i++) {
                    out.writeUnsignedInt(bins[a * BINS + first + i]);
                }
            }
        }
        return out.toByteArray();
    }

    static ExactLogSumExp read(StateFormat.Reader in) {
        ExactLogSumExp acc = new ExactLogSumExp();
        if (in.weighted()) {
            acc.weighted = true;
            acc.bins = new long[ANCHORS * ExactWeights.STRIDE];
            acc.flags = in.readFlags();
            acc.count = in.readCount(acc.flags);
            if ((acc.flags & StateFormat.FLAG_FINITE) != 0) {
                acc.max = Double.longBitsToDouble(in.readLong("maximum"));
                acc.maxCount = in.readVarLong("count of the maximum");
                acc.top = Double.longBitsToDouble(in.readLong("top anchor"));
                ExactWeights.readAnchors(in, acc.flags, acc.count, acc.max, acc.maxCount, acc.top, acc.bins);
            }
            in.expectEnd();
            return acc;
        }
        acc.flags = in.readFlags();
        acc.count = in.readCount(acc.flags);
        acc.dropped = in.dropped();
        if (acc.dropped && (acc.flags & StateFormat.FLAG_FINITE) == 0) {
            throw StateFormat.corrupt("expected format version 3 only for finite values, actual flags 0x"
                    + Integer.toHexString(acc.flags));
        }
        if ((acc.flags & StateFormat.FLAG_FINITE) != 0) {
            acc.max = Double.longBitsToDouble(in.readLong("maximum"));
            acc.maxCount = in.readVarLong("count of the maximum");
            long most = acc.dropped ? acc.count - 1 : acc.count; // format 3: a value below the maximum
            if (!(Math.abs(acc.max) <= Double.MAX_VALUE) || acc.maxCount < 1 || acc.maxCount > most) {
                throw StateFormat.corrupt("expected a finite maximum counted 1 to " + most
                        + " times, actual " + acc.max + " counted " + acc.maxCount + " times");
            }
            acc.top = Math.rint(acc.max * 0x1p-9);
            for (int a = 0; a < ANCHORS; a++) {
                int first = in.readByte("first bin");
                int length = in.readByte("bin count");
                if (first + length > BINS || (length == 0 && first != 0)) {
                    throw StateFormat.corrupt("expected bins within 0.." + (BINS - 1) + ", actual "
                            + first + " + " + length);
                }
                for (int i = 0; i < length; i++) {
                    acc.bins[a * BINS + first + i] = in.readUnsignedInt("bin");
                }
                if (length > 0 && (acc.bins[a * BINS + first] == 0 || acc.bins[a * BINS + first + length - 1] == 0)) {
                    throw StateFormat.corrupt("expected no zero bin at either end of anchor " + a);
                }
            }
            acc.sumBelowMax(acc.maxTerm()); // throws if the bins cannot hold the maximum's own terms
        }
        in.expectEnd();
        return acc;
    }

    @Override
    public String toString() {
        return "ExactLogSumExp{count=" + count + ", max=" + max + ", maxCount=" + maxCount + ", flags=" + flags
                + (weighted ? ", weighted" : "") + (dropped ? ", dropped" : "") + "}";
    }
}
