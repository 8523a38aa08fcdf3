/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.core;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.Arrays;
import java.util.concurrent.atomic.LongAdder;

/**
 * The weighted part of {@link ExactLogSumExp}: terms w exp(x) deposited exactly, the finish of a
 * weighted state (signed sums included) and its format 2 bytes.
 *
 * <ul>
 *   <li><b>Term.</b> w = f 2^k with |f| in [1, 2). The anchor is that of x (q0 = rint(x / 512),
 *       r0 = x - 512 q0, exact) while |r0 + k ln2| &lt;= 384, that is for every weight within
 *       2^-184 to 2^185 in magnitude; beyond, it moves by j = rint((r0 + k ln2) / 512) anchors
 *       so that the term stays on the grid. exp(r0 - 512 j) comes from today's kernel
 *       ({@link ExactMath#expScaled}, relative error below 2^-80) as th + tl; tl is cut to the
 *       32 leading bits of its significand (and, for j = 0, to the unweighted grid 2^-448),
 *       exactly as the unweighted deposit cuts it, so a weight of +-1 deposits exactly +- the
 *       unweighted term in the main part.</li>
 *   <li><b>Third part.</b> t3 = exp(r0 - 512 j) - th - tl from {@link ExactMath#expScaledPrecise}
 *       (relative error below 2^-138), rounded once to a double (|t3| &lt; 2^-78 th, so 2^-131
 *       of the term) and cut to its bits of weight 2^-150 th and above, towards zero. It
 *       depends on x alone, not on w, so equal x still cancel exactly. th + tl + t3 is within
 *       2^-130.5 of exp(r0 - 512 j) (measured 2^-133.6).</li>
 *   <li><b>Product.</b> f (th + tl) is deposited exactly into the main part of the anchor: f th
 *       and f tl are each the product of two 53-bit significands, a 106-bit integer (the value of
 *       TwoProduct's p + e). Its bits lie between 2^-720 and 2^556 of the anchor, so the main
 *       grid (44 bins of 32 bits from 2^-736) holds every one of them. f t3, a third 106-bit
 *       product, goes into the anchor's third parts (44 bins of 32 bits from 2^-768): its
 *       bits lie between about 2^-759 (2^-202 of a term of at least e^-384 = 2^-554) and
 *       2^480. The deposits are exact: the bins hold exactly the sum of w (th + tl) and of w t3
 *       over the rows. Rows of equal x whose weights share an anchor (any weights within
 *       2^-184 to 2^185) deposit exactly (sum of w) (th + tl + t3): [a, a] with [1, -1], or
 *       [a, a, a] with [0.5, 0.25, -0.75], gives bins that are exactly zero.</li>
 *   <li><b>Rows without a third part.</b> A row of an unweighted state merged in (format 1
 *       keeps no third parts) or accepted by {@link ExactLogSumExp#accept(double)} into a
 *       weighted state deposits th + tl alone. Summed with third parts, such a row beside the
 *       same x with weight -1 would leave -t3, not 0; so the state is marked
 *       ({@link StateFormat#FLAG_UNCORRECTED}), its third parts are left out of the finish (and
 *       out of its bytes), and its terms are accurate to the kernel's 2^-80 as before. The mark
 *       is an OR over the rows and states: the same bits for any order and partitioning. A row
 *       of weight 1 through {@link ExactLogSumExp#accept(double, double)} carries its third
 *       part, and so makes the state weighted.</li>
 *   <li><b>Signs.</b> The bins are signed; an anchor's sum may be negative. The sum S is zero
 *       exactly when every kept anchor is zero (e^512 is transcendental).</li>
 *   <li><b>Finish.</b> Weights &gt;= 0: from the main parts, as before the third parts (the
 *       terms do not cancel; L keeps its former bits). A negative weight: R = log |S| exactly
 *       rounded from the exact sum of main and third parts ({@link #signedLog}), the sign of that
 *       sum, and L = R - m.</li>
 *   <li><b>Dropped anchors.</b> As unweighted, only the anchors top, top - 1 and top - 2 are
 *       kept (top = the largest anchor of any row). A dropped term is below e^-768 = 2^-1108 of
 *       the largest term; S is exact but for them.</li>
 * </ul>
 * The bits of th, tl and t3 are part of format 2: a change to either kernel needs a new format
 * version (StateFormatTest's golden states guard it).
 */
final class ExactWeights {
    /** Bins per anchor and part of a weighted state (main part, then third parts). */
    static final int BINS_W = 44;
    /** Bin 0 of the main part holds the bits of weight 2^-736 to 2^-705 of an anchor's sum. */
    static final int GRID_W = 736;
    /** Bin 0 of the third parts holds the bits of weight 2^-768 to 2^-737 of an anchor's sum. */
    static final int GRID_C = 768;
    /** Longs per anchor: the main part's BINS_W bins, then the third parts' BINS_W bins. */
    static final int STRIDE = 2 * BINS_W;
    /** A third part keeps its bits of weight 2^-150 and above (of a high part in [0.99, 2.01)). */
    private static final double CORRECTION_QUANTUM = 0x1p-150;
    /** The unweighted bin i is the weighted bin i + SHIFT_BINS: (736 - 448) / 32. */
    static final int SHIFT_BINS = 9;
    private static final int GRID_UNWEIGHTED = 448;
    private static final long MASK32 = 0xffffffffL;
    private static final double LN2 = 0.6931471805599453;

    private ExactWeights() {
    }

    /** k with |w| = f 2^k, |f| in [1, 2), for a finite nonzero w (subnormals included). */
    static int exponent(double w) {
        double a = Math.abs(w);
        if (a >= Double.MIN_NORMAL) {
            return (int) ((Double.doubleToRawLongBits(a) >>> 52) & 0x7ff) - 1023;
        }
        return Math.getExponent(a * 0x1p54) - 54;
    }

    /** w / 2^k for k = {@link #exponent}(w): the significand, |f| in [1, 2), by its bits where w is normal. */
    static double significand(double w, int k) {
        if (k >= Double.MIN_EXPONENT) {
            long bits = Double.doubleToRawLongBits(w);
            return Double.longBitsToDouble((bits & 0x800fffffffffffffL) | 0x3ff0000000000000L);
        }
        return Math.scalb(w, -k);
    }

    /** The anchor shift j of a term: 0 while |r0 + k ln2| &lt;= 384 (see the class comment). */
    static int anchorShift(double r0, int k) {
        double y0 = r0 + k * LN2;
        return Math.abs(y0) <= 384 ? 0 : (int) Math.rint(y0 * 0x1p-9);
    }

    /**
     * The term exp(r0 - 512 j) as the two doubles the deposit uses, out[0] + out[1] (out[1]
     * cut as the class comment says), times 2^n; returns n.
     */
    static int term(double r0, int j, double[] out) {
        if (j == 0) {
            int n = ExactMath.expScaled(r0, 0.0, out);
            out[1] = cutLow(out[0], out[1], -GRID_UNWEIGHTED - n);
            return n;
        }
        double shift = 512.0 * j;
        double rh = r0 - shift;
        double rl = DoubleDouble.twoSumError(r0, -shift, rh);
        int n = ExactMath.expScaled(rh, 0.0, out);
        double lo = out[1] + out[0] * rl; // exp(rh + rl) = exp(rh) (1 + rl), rl^2 / 2 < 2^-88
        double th = out[0] + lo;
        out[1] = cutLow(th, DoubleDouble.fastTwoSumError(out[0], lo, th), Integer.MIN_VALUE);
        out[0] = th;
        return n;
    }

    /**
     * The term of {@link #term} and its third part: out[0] and out[1] as term writes them,
     * out[2] = exp(r0 - 512 j) / 2^n - out[0] - out[1] from {@link ExactMath#expScaledPrecise},
     * rounded once to a double and cut to the bits of weight 2^-150 and above (towards zero),
     * so that it depends on x alone (not on the weight: equal x keep cancelling exactly).
     * out[3..5] is scratch. Returns n.
     */
    static int termWithCorrection(double r0, int j, double[] out) {
        int n = term(r0, j, out);
        double rh = r0;
        double rl = 0.0;
        if (j != 0) {
            double shift = 512.0 * j;
            rh = r0 - shift;
            rl = DoubleDouble.twoSumError(r0, -shift, rh);
        }
        int n3 = ExactMath.expScaledPrecise(rh, rl, out, 3);
        if (n3 != n) { // a reduction index on either side of a power of two: n3 - n is +-1, exact
            double scale = n3 > n ? 2.0 : 0.5;
            out[3] *= scale;
            out[4] *= scale;
            out[5] *= scale;
        }
        double th = out[0];
        double tl = out[1];
        double d = out[3] - th; // exact (Sterbenz): both are the term within 2^-49
        double v = d + out[4];
        double ve = DoubleDouble.twoSumError(d, out[4], v);
        double w = v - tl;
        double we = DoubleDouble.twoSumError(v, -tl, w);
        out[2] = cutCorrection(w + (we + ve + out[5]));
        return n;
    }

    /** The third part without its bits below 2^-150 (truncated towards zero), 0 below that. */
    private static double cutCorrection(double t3) {
        if (!(Math.abs(t3) >= CORRECTION_QUANTUM)) {
            return 0.0;
        }
        long bits = Double.doubleToRawLongBits(t3);
        int exponent = (int) ((bits >>> 52) & 0x7ff) - 1023;
        int drop = -98 - exponent; // bits of weight below 2^-150: exponent - 52 + i < -150
        return drop <= 0 ? t3 : Double.longBitsToDouble(bits & (-1L << drop));
    }

    /**
     * Deposits f t3 2^n exactly on the third parts' grid (2^-768): a 106-bit integer product as
     * {@link #depositProduct}'s. Its lowest bit is at least 2^(-150 - 52 + n) with n &gt;= -555
     * (a term is at least e^-384 of its anchor), so above 2^-768.
     */
    static void depositCorrection(long[] bins, int offset, double f, double t3, int n) {
        long fBits = Double.doubleToRawLongBits(f);
        long fSignificand = (fBits & 0xfffffffffffffL) | 0x10000000000000L;
        long t3Bits = Double.doubleToRawLongBits(t3);
        depositIntegerProduct(bins, offset, fSignificand, t3, n, (fBits >> 63) ^ (t3Bits >> 63), GRID_C);
    }

    /**
     * The low part as the unweighted deposit keeps it: 0 below 2^-80 of the high part, else the
     * 32 leading bits of its significand, truncated towards zero, and nothing below 2^grid.
     */
    private static double cutLow(double high, double low, int grid) {
        if (!(Math.abs(low) >= 0x1p-80 * high)) {
            return 0.0;
        }
        // low is normal here (at least 2^-80 of a high part near 1): drop the significand bits
        // below 2^quantum, towards zero, with a mask (the same value as (long) (low / 2^quantum)
        // times 2^quantum, without the slow Math.scalb)
        long bits = Double.doubleToRawLongBits(low);
        int exponent = (int) ((bits >>> 52) & 0x7ff) - 1023;
        int drop = Math.max(21, grid - exponent + 52); // significand bits below the kept ones
        if (drop > 52) {
            return 0.0;
        }
        return Double.longBitsToDouble(bits & (-1L << drop));
    }

    /**
     * Deposits f (th + tl) 2^n exactly: each product of two 53-bit significands is an exact
     * 106-bit integer (Math.multiplyHigh), added as five 32-bit chunks. The same value as the
     * four doubles of TwoProduct (p1 + e1 + p2 + e2), with fewer operations.
     */
    static void depositProduct(long[] bins, int offset, double f, double th, double tl, int n) {
        long fBits = Double.doubleToRawLongBits(f);
        long fSignificand = (fBits & 0xfffffffffffffL) | 0x10000000000000L; // |f| in [1, 2): exponent 0
        long sign = fBits >> 63;
        depositIntegerProduct(bins, offset, fSignificand, th, n, sign, GRID_W);
        if (tl != 0) {
            long tlBits = Double.doubleToRawLongBits(tl);
            depositIntegerProduct(bins, offset, fSignificand, tl, n, sign ^ (tlBits >> 63), GRID_W);
        }
    }

    /** Adds sign (F 2^-52) |v| 2^n: F times v's significand, a 106-bit integer, as chunks. */
    private static void depositIntegerProduct(long[] bins, int offset, long fSignificand, double v, int n,
            long sign, int grid) {
        long bits = Double.doubleToRawLongBits(v);
        int biased = (int) (bits >>> 52) & 0x7ff;
        long significand = (bits & 0xfffffffffffffL) | 0x10000000000000L; // v is never zero nor subnormal
        long lo = fSignificand * significand;
        long hi = Math.multiplyHigh(fSignificand, significand);
        int shift = biased - 1075 - 52 + n + grid; // grid position of the product's lowest bit
        if (shift < 0) { // only trailing zero bits lie below the grid
            lo = (lo >>> -shift) | (hi << (64 + shift));
            hi >>>= -shift;
            shift = 0;
        }
        int i = offset + (shift >>> 5);
        int o = shift & 31;
        long c0 = (lo << o) & MASK32;
        long c1 = (lo >>> (32 - o)) & MASK32;
        long c2 = ((o == 0 ? 0 : lo >>> (64 - o)) | (hi << o)) & MASK32;
        long c3 = (hi >>> (32 - o)) & MASK32;
        long c4 = o == 0 ? 0 : hi >>> (64 - o);
        bins[i] += (c0 ^ sign) - sign;
        bins[i + 1] += (c1 ^ sign) - sign;
        bins[i + 2] += (c2 ^ sign) - sign;
        bins[i + 3] += (c3 ^ sign) - sign;
        bins[i + 4] += (c4 ^ sign) - sign;
    }

    /** Carries so that bins 0..42 are in [0, 2^32) and the top bin is signed; the value is unchanged. */
    static void normalizeAnchor(long[] target, int offset) {
        normalizeBlock(target, offset, BINS_W);
    }

    /** Negates a normalized anchor in place (two's complement over the bins), normalized again. */
    private static void negate(long[] target, int offset) {
        negateBlock(target, offset, BINS_W);
    }

    /** Negates a normalized block of bins in place, normalized again. */
    private static void negateBlock(long[] bins, int offset, int length) {
        for (int i = offset; i < offset + length; i++) {
            bins[i] = -bins[i];
        }
        normalizeBlock(bins, offset, length);
    }

    /** e^512 as a double-double, the ratio of two adjacent anchors. */
    private static final double[] EXP_512 = new double[2];

    static {
        DoubleDouble.divide(1.0, 0.0, ExactMath.EXP_M512_HI, ExactMath.EXP_M512_LO, EXP_512);
    }

    /**
     * Finishes a weighted state; work holds its normalized bins (and is changed). S / e^m is
     * formed as the sum over the anchors of their exact sums times e^(512 (anchor - q_m)),
     * divided by the deposited term of m at its own anchor q_m (as the unweighted finish does),
     * in double-double with a separate power of two; L = log |S / e^m|.
     */
    static Normalizer finish(int flags, long count, double max, long maxCount, double top, long[] state) {
        if ((flags & (StateFormat.FLAG_NAN | StateFormat.FLAG_POSITIVE_INFINITY
                | StateFormat.FLAG_NEGATIVE_INFINITE_TERM)) != 0 || (flags & StateFormat.FLAG_FINITE) == 0) {
            return Normalizer.weighted(SoftmaxMode.EXACT, flags, count, max, maxCount, Double.NaN, Double.NaN, 0);
        }
        if ((flags & StateFormat.FLAG_NEGATIVE_WEIGHT) != 0) {
            return finishSigned(flags, count, max, maxCount, top, state);
        }
        // weights >= 0: the main parts alone, as before the third parts (no cancellation to resolve)
        long[] work = new long[ExactLogSumExp.ANCHORS * BINS_W];
        for (int a = 0; a < ExactLogSumExp.ANCHORS; a++) {
            System.arraycopy(state, a * STRIDE, work, a * BINS_W, BINS_W);
        }
        double[] t = new double[2];
        double qm = Math.rint(max * 0x1p-9);
        int nm = term(max - 512 * qm, 0, t);
        double termHigh = t[0];
        double termLow = t[1];
        double th = t[0] + t[1];
        double tl = DoubleDouble.fastTwoSumError(t[0], t[1], th);
        int delta = (int) (top - qm); // within -2..2: see the class comment
        double[] sum = new double[2];
        long[] copy = Arrays.copyOf(work, work.length);
        int exponent = sumAnchors(work, th, tl, nm, delta, sum);
        if (exponent == Integer.MIN_VALUE) { // S = 0 exactly: only negative weights cancel a sum
            return Normalizer.weighted(SoftmaxMode.EXACT, flags, count, max, maxCount,
                    Double.NEGATIVE_INFINITY, 0.0, 0);
        }
        double sign = sum[0] < 0 ? -1.0 : 1.0;
        double[] log = new double[2];
        double d = Math.scalb(sum[0], exponent);
        if (d > 1 - 0x1p-7 && d < 1 + 0x1p-7 && delta >= 0 && delta < ExactLogSumExp.ANCHORS) {
            // L is small: log1p of z = (S - T) / T with S - T exact in the bins, T the term of m,
            // so that a tiny z keeps its digits (the unweighted finish subtracts the same way)
            int offset = delta * BINS_W;
            depositProduct(copy, offset, -1.0, termHigh, termLow, nm);
            normalizeAnchor(copy, offset);
            int e = sumAnchors(copy, th, tl, nm, delta, sum);
            if (e == Integer.MIN_VALUE) {
                log[0] = 0.0;
                log[1] = 0.0;
            } else {
                ExactMath.log1pSigned(Math.scalb(sum[0], e), Math.scalb(sum[1], e), log);
            }
        } else {
            logScaled(Math.abs(sum[0]), sign * sum[1], exponent, log);
        }
        return Normalizer.weighted(SoftmaxMode.EXACT, flags, count, max, maxCount, log[0], log[1], sign);
    }

    /** Bins per anchor of the exact signed sum: main part and third parts on the grid 2^-768. */
    private static final int BINS_S = BINS_W + 1;

    /**
     * The finish of a group with a negative weight: R = log |S| exactly rounded, S the exact
     * sum the bins hold (main parts plus third parts, or the main parts alone when the state
     * holds rows without their third part), by {@link #signedLog}; L = R - m as the
     * double-double R + (-m), exact (TwoSum), so that m + L, the logsumexp the normalizer
     * gives, is R. S = 0 exactly gives -inf and sign 0.
     */
    private static Normalizer finishSigned(int flags, long count, double max, long maxCount, double top,
            long[] state) {
        boolean corrected = (flags & StateFormat.FLAG_UNCORRECTED) == 0;
        long[] sum = new long[ExactLogSumExp.ANCHORS * BINS_S];
        for (int a = 0; a < ExactLogSumExp.ANCHORS; a++) {
            int to = a * BINS_S;
            int from = a * STRIDE;
            for (int i = 0; i < BINS_W; i++) { // the main grid 2^-736 is one bin above 2^-768
                sum[to + i + 1] += state[from + i];
                if (corrected) {
                    sum[to + i] += state[from + BINS_W + i];
                }
            }
            normalizeBlock(sum, to, BINS_S);
        }
        double[] result = new double[2];
        signedLog(sum, top, result);
        if (result[1] == 0) {
            return Normalizer.weighted(SoftmaxMode.EXACT, flags, count, max, maxCount,
                    Double.NEGATIVE_INFINITY, 0.0, 0);
        }
        double lh = result[0] - max;
        double ll = DoubleDouble.twoSumError(result[0], -max, lh);
        return Normalizer.weighted(SoftmaxMode.EXACT, flags, count, max, maxCount, lh, ll, result[1]);
    }

    /** Carries so that the bins of a block are in [0, 2^32) but its top one, which is signed. */
    private static void normalizeBlock(long[] target, int offset, int length) {
        for (int i = offset; i < offset + length - 1; i++) {
            long carry = target[i] >> 32;
            target[i] -= carry << 32;
            target[i + 1] += carry;
        }
    }

    /**
     * log |S| exactly rounded and the sign of S into result (R, sign; sign 0 when S = 0), S =
     * e^(512 top) times the sum over the anchors a of B_a e^(-512 a), B_a the exact values of
     * the blocks of sum (BINS_S bins from 2^-768). Ziv's two steps: in double-double with an
     * error bound (the anchors' values to 2^-104, their sum's error relative to the
     * cancellation between anchors, the log kernel's 2^-80 of log of a value in [1, 2)), and
     * where the bound does not decide, or the anchors cancel below 2^-40 of each other, in
     * BigDecimal ({@link #signedLogSlow}).
     */
    static void signedLog(long[] sum, double top, double[] result) {
        long[] work = sum.clone();
        double[] part = new double[2];
        int[] e = new int[1];
        double[] parts = new double[2 * ExactLogSumExp.ANCHORS];
        int[] exponents = new int[ExactLogSumExp.ANCHORS];
        boolean[] present = new boolean[ExactLogSumExp.ANCHORS];
        int highest = Integer.MIN_VALUE;
        for (int a = 0; a < ExactLogSumExp.ANCHORS; a++) {
            if (!blockValue(work, a * BINS_S, BINS_S, GRID_C, part, e)) {
                continue;
            }
            int exponent = e[0];
            for (int p = 0; p < a; p++) { // times e^(-512 a), kept in [1, 2) by powers of two
                DoubleDouble.multiply(part[0], part[1], ExactMath.EXP_M512_HI, ExactMath.EXP_M512_LO, part);
                int s = Math.getExponent(part[0]);
                part[0] = Math.scalb(part[0], -s);
                part[1] = Math.scalb(part[1], -s);
                exponent += s;
            }
            parts[2 * a] = part[0];
            parts[2 * a + 1] = part[1];
            exponents[a] = exponent;
            present[a] = true;
            highest = Math.max(highest, exponent);
        }
        if (highest == Integer.MIN_VALUE) {
            result[0] = Double.NEGATIVE_INFINITY;
            result[1] = 0;
            return;
        }
        double[] total = new double[2];
        double magnitude = 0;
        for (int a = ExactLogSumExp.ANCHORS - 1; a >= 0; a--) { // smallest first
            if (present[a]) {
                int shift = Math.max(exponents[a] - highest, -1000);
                double h = Math.scalb(parts[2 * a], shift);
                DoubleDouble.add(total[0], total[1], h, Math.scalb(parts[2 * a + 1], shift), total);
                magnitude += Math.abs(h);
            }
        }
        if (!(Math.abs(total[0]) >= 0x1p-40 * magnitude)) { // the anchors cancel: no bound in doubles
            signedLogSlow(sum, top, result);
            return;
        }
        double sign = total[0] < 0 ? -1.0 : 1.0;
        double[] log = new double[2];
        logScaled(Math.abs(total[0]), sign * total[1], highest, log);
        double[] r = new double[2];
        DoubleDouble.add(512 * top, 0.0, log[0], log[1], r);
        double bound = 0x1p-100 * magnitude / Math.abs(total[0]) + 0x1p-80
                + 0x1p-100 * (Math.abs((double) highest) + 64 + Math.abs(r[0]));
        if (CorrectRounding.isSafe(r[0], r[1], bound)) {
            result[0] = r[0];
            result[1] = sign;
        } else {
            signedLogSlow(sum, top, result);
        }
    }

    /**
     * The value of a block of bins (normalized: its top bin signed) as hi + lo times 2^exponent
     * with |hi| in [1, 2), signed; false when it is zero. The block is negated in place when
     * negative.
     */
    private static boolean blockValue(long[] bins, int offset, int length, int grid, double[] out, int[] exponent) {
        boolean negative = bins[offset + length - 1] < 0;
        if (negative) {
            negateBlock(bins, offset, length);
        }
        int highest = length - 1;
        while (highest >= 0 && bins[offset + highest] == 0) {
            highest--;
        }
        if (highest < 0) {
            return false;
        }
        double hi = 0;
        double lo = 0;
        int base = 32 * highest;
        for (int i = Math.max(0, highest - 4); i <= highest; i++) { // 160 bits > 106, smallest first
            double v = Math.scalb((double) bins[offset + i], 32 * i - base);
            double s = hi + v;
            lo += DoubleDouble.twoSumError(hi, v, s);
            hi = s;
        }
        double s = hi + lo;
        lo = DoubleDouble.fastTwoSumError(hi, lo, s);
        int e = Math.getExponent(s);
        out[0] = Math.scalb(negative ? -s : s, -e);
        out[1] = Math.scalb(negative ? -lo : lo, -e);
        exponent[0] = e + base - grid;
        return true;
    }

    /**
     * {@link #signedLog}'s second step, in BigDecimal: the anchors' exact integers N_a (S =
     * e^(512 top) 2^-768 times the sum of N_a e^(-512 a)), e^-512 and the log at a precision
     * raised by the digits the anchors cancel, then doubled (Ziv's loop) until R lies further
     * than the evaluation's error from every midpoint. log |S| is transcendental unless S = 1
     * (e^512 is), so the loop ends; S = 1 is answered apart.
     */
    private static void signedLogSlow(long[] sum, double top, double[] result) {
        SIGNED_LOG_SLOW.increment();
        BigInteger[] n = new BigInteger[ExactLogSumExp.ANCHORS];
        int signum = 0;
        for (int a = 0; a < ExactLogSumExp.ANCHORS; a++) {
            BigInteger v = BigInteger.ZERO;
            for (int i = BINS_S - 1; i >= 0; i--) {
                v = v.shiftLeft(32).add(BigInteger.valueOf(sum[a * BINS_S + i]));
            }
            n[a] = v;
            if (signum == 0) {
                signum = v.signum();
            }
        }
        if (signum == 0) {
            result[0] = Double.NEGATIVE_INFINITY;
            result[1] = 0;
            return;
        }
        if (top == 0 && n[1].signum() == 0 && n[2].signum() == 0
                && n[0].abs().equals(BigInteger.ONE.shiftLeft(GRID_C))) {
            result[0] = 0.0; // |S| = 1: log |S| = 0 exactly, the one rational value
            result[1] = n[0].signum();
            return;
        }
        BigDecimal[] terms = new BigDecimal[ExactLogSumExp.ANCHORS];
        int cancel = 0;
        double r = Double.NaN;
        double sign = 0;
        for (int digits = 40; digits <= 1280; ) {
            MathContext mc = new MathContext(digits + cancel, RoundingMode.HALF_EVEN);
            BigDecimal ratio = ExactMath.Series.exp(BigDecimal.valueOf(-512), mc);
            BigDecimal power = BigDecimal.ONE;
            BigDecimal total = BigDecimal.ZERO;
            BigDecimal magnitude = BigDecimal.ZERO;
            for (int a = 0; a < ExactLogSumExp.ANCHORS; a++) {
                terms[a] = new BigDecimal(n[a]).multiply(power, mc);
                total = total.add(terms[a], mc);
                magnitude = magnitude.add(terms[a].abs(), mc);
                power = power.multiply(ratio, mc);
            }
            // fewer than digits + 6 digits of total are left after the cancellation: more digits
            if (total.signum() == 0 || total.abs().compareTo(magnitude.movePointLeft(cancel + 6)) < 0) {
                cancel = total.signum() == 0 ? 2 * cancel + digits
                        : cancel + magnitude.precision() - magnitude.scale() - total.precision() + total.scale() + 10;
                if (cancel > 4000) {
                    break; // not reached by any state: the anchors hold at most 1440 bits each
                }
                continue;
            }
            sign = total.signum();
            BigDecimal value = logOf(total.abs(), mc)
                    .subtract(ExactMath.Series.ln2(mc).multiply(BigDecimal.valueOf(GRID_C)), mc)
                    .add(new BigDecimal(512 * top), mc);
            r = value.doubleValue();
            if (CorrectRounding.farFromMidpoints(value, r, BigDecimal.ONE.movePointLeft(digits - 8))) {
                break;
            }
            digits *= 2;
        }
        if (sign == 0) { // beyond any state's reach (see above): the sign of the largest anchor, finite
            sign = signum;
            r = 512 * top;
        }
        result[0] = r;
        result[1] = sign;
    }

    /** Runs of {@link #signedLogSlow}, for tests. */
    static final LongAdder SIGNED_LOG_SLOW = new LongAdder();

    /** log v for v &gt; 0 at mc: v = f 2^k with f in [1, 2), k ln2 + log1p(f - 1). */
    private static BigDecimal logOf(BigDecimal v, MathContext mc) {
        int k = (int) Math.floor(v.unscaledValue().bitLength() - v.scale() * 3.321928094887362);
        BigDecimal two = BigDecimal.valueOf(2);
        BigDecimal f = k >= 0 ? v.divide(new BigDecimal(BigInteger.ONE.shiftLeft(k)), mc)
                : v.multiply(new BigDecimal(BigInteger.ONE.shiftLeft(-k)), mc);
        while (f.compareTo(two) >= 0) {
            f = f.divide(two, mc);
            k++;
        }
        while (f.compareTo(BigDecimal.ONE) < 0) {
            f = f.multiply(two, mc);
            k--;
        }
        return ExactMath.Series.ln2(mc).multiply(BigDecimal.valueOf(k), mc)
                .add(ExactMath.Series.log1p(f.subtract(BigDecimal.ONE), mc), mc);
    }

    /**
     * The sum over the anchors of their exact sums times e^(512 (delta - a)), divided by the
     * term of m th + tl times 2^nm, into sum as a double-double times 2^exponent (returned);
     * Integer.MIN_VALUE when every anchor is zero. work is changed.
     */
    private static int sumAnchors(long[] work, double th, double tl, int nm, int delta, double[] sum) {
        double[] part = new double[2];
        int[] e = new int[1];
        double[] parts = new double[2 * ExactLogSumExp.ANCHORS];
        int[] exponents = new int[ExactLogSumExp.ANCHORS];
        boolean[] present = new boolean[ExactLogSumExp.ANCHORS];
        int highest = Integer.MIN_VALUE;
        for (int a = 0; a < ExactLogSumExp.ANCHORS; a++) {
            if (!blockValue(work, a * BINS_W, BINS_W, GRID_W, part, e)) { // relative to e^(512 a)
                continue;
            }
            DoubleDouble.divide(part[0], part[1], th, tl, part);
            int exponent = e[0] - nm;
            for (int p = delta - a; p != 0; p += p > 0 ? -1 : 1) { // times e^(512 (delta - a))
                int s = Math.getExponent(part[0]);
                part[0] = Math.scalb(part[0], -s);
                part[1] = Math.scalb(part[1], -s);
                exponent += s;
                if (p > 0) {
                    DoubleDouble.multiply(part[0], part[1], EXP_512[0], EXP_512[1], part);
                } else {
                    DoubleDouble.multiply(part[0], part[1], ExactMath.EXP_M512_HI, ExactMath.EXP_M512_LO, part);
                }
            }
            int s = Math.getExponent(part[0]);
            parts[2 * a] = Math.scalb(part[0], -s);
            parts[2 * a + 1] = Math.scalb(part[1], -s);
            exponents[a] = exponent + s;
            present[a] = true;
            highest = Math.max(highest, exponents[a]);
        }
        if (highest == Integer.MIN_VALUE) {
            return highest;
        }
        sum[0] = 0;
        sum[1] = 0;
        for (int a = ExactLogSumExp.ANCHORS - 1; a >= 0; a--) { // smallest first
            if (present[a]) {
                int shift = Math.max(exponents[a] - highest, -1100);
                DoubleDouble.add(sum[0], sum[1], Math.scalb(parts[2 * a], shift),
                        Math.scalb(parts[2 * a + 1], shift), sum);
            }
        }
        if (sum[0] == 0) { // anchors cancelling each other beyond double-double: keep a sign, stay finite
            int a = 0;
            while (!present[a]) {
                a++;
            }
            sum[0] = Math.copySign(0x1p-106, parts[2 * a]);
            sum[1] = 0;
        }
        return highest;
    }

    /**
     * log((hi + lo) 2^exponent) for a positive double-double, with full relative precision
     * near 1 (log1p of d - 1 while |d - 1| &lt; 2^-7).
     */
    static void logScaled(double hi, double lo, int exponent, double[] out) {
        int s = Math.getExponent(hi);
        double h = Math.scalb(hi, -s);
        double l = Math.scalb(lo, -s);
        int e = exponent + s; // d = (h + l) 2^e, h in [1, 2)
        if (e == 0 || e == -1) {
            double dh = Math.scalb(h, e);
            double dl = Math.scalb(l, e);
            double zh = dh - 1.0; // exact (Sterbenz)
            double z = zh + dl;
            double zl = DoubleDouble.twoSumError(zh, dl, z);
            if (Math.abs(z) < 0x1p-7) {
                ExactMath.log1pSigned(z, zl, out);
                return;
            }
        }
        ExactMath.log(h, l, out);
        if (e != 0) {
            double ah = e * ExactMath.LN2_HI;
            double ae = DoubleDouble.twoProductError(e, ExactMath.LN2_HI, ah);
            double al = ae + e * ExactMath.LN2_LO;
            DoubleDouble.add(ah, al, out[0], out[1], out);
        }
    }

    /** Writes a weighted state in format 2 (layout: {@link LogSumExpAccumulator}); bins normalized. */
    static byte[] toBytes(int flags, long count, double max, long maxCount, double top, long[] bins) {
        StateFormat.Writer out = new StateFormat.Writer();
        out.writeByte(StateFormat.FORMAT_VERSION_WEIGHTED);
        out.writeByte(SoftmaxMode.EXACT.code());
        out.writeByte(flags | StateFormat.FLAG_WEIGHTED);
        out.writeVarLong(count);
        if ((flags & StateFormat.FLAG_FINITE) != 0) {
            out.writeLong(Double.doubleToRawLongBits(max));
            out.writeVarLong(maxCount);
            out.writeLong(Double.doubleToRawLongBits(top + 0.0)); // rint gives -0.0 for x in (-256, 0)
            boolean corrected = (flags & StateFormat.FLAG_UNCORRECTED) == 0;
            for (int a = 0; a < ExactLogSumExp.ANCHORS; a++) {
                writeBlock(out, bins, a * STRIDE, true);
                writeBlock(out, bins, a * STRIDE + BINS_W, corrected); // none kept without every row's
            }
        }
        return out.toByteArray();
    }

    /** One block of BINS_W bins: first bin, count, sign, the bins of the magnitude (empty unless kept). */
    private static void writeBlock(StateFormat.Writer out, long[] bins, int offset, boolean kept) {
        long[] magnitude = new long[BINS_W];
        if (kept) {
            System.arraycopy(bins, offset, magnitude, 0, BINS_W);
        }
        boolean negative = magnitude[BINS_W - 1] < 0;
        if (negative) {
            negate(magnitude, 0);
        }
        int first = 0;
        int last = BINS_W - 1;
        while (last >= 0 && magnitude[last] == 0) {
            last--;
        }
        while (first < last && magnitude[first] == 0) {
            first++;
        }
        int length = last < 0 ? 0 : last - first + 1;
        out.writeByte(length == 0 ? 0 : first);
        out.writeByte(length);
        if (length > 0) {
            out.writeByte(negative ? 1 : 0);
        }
        for (int i = 0; i < length; i++) {
            out.writeUnsignedInt(magnitude[first + i]);
        }
    }

    /** Reads the anchors of a format 2 state into bins, checking every field. */
    static void readAnchors(StateFormat.Reader in, int flags, long count, double max, long maxCount, double top,
            long[] bins) {
        if (!(Math.abs(max) <= Double.MAX_VALUE) || maxCount < 1 || maxCount > count) {
            throw StateFormat.corrupt("expected a finite maximum counted 1 to " + count
                    + " times, actual " + max + " counted " + maxCount + " times");
        }
        double qm = Math.rint(max * 0x1p-9);
        if (top != Math.rint(top) || !(Math.abs(top - qm) <= 2) || Double.doubleToRawLongBits(top) == Long.MIN_VALUE) {
            throw StateFormat.corrupt("expected a top anchor within 2 of " + qm + ", actual " + top);
        }
        for (int a = 0; a < ExactLogSumExp.ANCHORS; a++) {
            readBlock(in, bins, a * STRIDE, "anchor " + a);
            if (readBlock(in, bins, a * STRIDE + BINS_W, "third parts of anchor " + a)
                    && (flags & StateFormat.FLAG_UNCORRECTED) != 0) {
                throw StateFormat.corrupt("expected no third parts in a state with rows without theirs (flag 0x40)");
            }
        }
    }

    /** Reads one block (see {@link #writeBlock}); whether it is not empty. */
    private static boolean readBlock(StateFormat.Reader in, long[] bins, int offset, String what) {
        int first = in.readByte("first bin");
        int length = in.readByte("bin count");
        if (first + length > BINS_W - 1 || (length == 0 && first != 0)) {
            throw StateFormat.corrupt("expected bins within 0.." + (BINS_W - 2) + ", actual "
                    + first + " + " + length);
        }
        if (length == 0) {
            return false;
        }
        int sign = in.readByte("sign");
        if (sign > 1) {
            throw StateFormat.corrupt("expected a sign 0 or 1, actual " + sign);
        }
        for (int i = 0; i < length; i++) {
            bins[offset + first + i] = in.readUnsignedInt("bin");
        }
        if (bins[offset + first] == 0 || bins[offset + first + length - 1] == 0) {
            throw StateFormat.corrupt("expected no zero bin at either end of " + what);
        }
        if (sign == 1) {
            negate(bins, offset);
        }
        return true;
    }
}
