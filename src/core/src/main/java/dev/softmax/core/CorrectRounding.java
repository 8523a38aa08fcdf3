/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.core;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.concurrent.atomic.LongAdder;

/**
 * The two steps (Ziv) that make exact mode's outputs exactly rounded. {@link Normalizer}
 * computes each output in double-double, as before, together with a bound on that
 * approximation's error, and tests whether every value within the bound rounds to the same
 * double ({@link #PROB_MARGIN} and {@link #LOG_PROB_TEST} on the per-row paths, {@link #isSafe}
 * on the rare ones). Only when it does not (the true value lies within the bound of a
 * midpoint between two doubles) does the output come from here, in {@link BigDecimal}:
 * <ul>
 *   <li>log_prob = (x - m) - (L_hi + L_lo) and logsumexp = m + (L_hi + L_lo) are sums of
 *       doubles, exact in BigDecimal and rounded once by {@link BigDecimal#doubleValue()} (ties
 *       to even): one step, bounded cost. log_prob first tries an exact step in doubles
 *       ({@link #logProbOfExpansion}), which decides the common undecided case, a tie that a
 *       tiny L breaks.</li>
 *   <li>prob = exp((x - m) - L) is evaluated at 40 digits, then at 80, 160 and 320 while the
 *       result is within the evaluation's error of a midpoint (Ziv's loop, bounded to four
 *       rounds; exp of a nonzero rational is transcendental, so it is never a midpoint itself,
 *       and no case that needed a second round is known).</li>
 * </ul>
 * The counters count the runs of the slow path, for tests and measurements; they cost nothing
 * on the fast path.
 */
final class CorrectRounding {
    /** Runs of the slow path, per output. */
    static final LongAdder PROB_SLOW = new LongAdder();
    static final LongAdder LOG_PROB_SLOW = new LongAdder();
    static final LongAdder LOG_SUM_EXP_SLOW = new LongAdder();
    /** Runs of log_prob's middle step, exact in doubles ({@link #logProbOfExpansion}). */
    static final LongAdder LOG_PROB_EXPANSION = new LongAdder();

    /**
     * 2^-1076, the value the slow path gives L when the normalizer marks it as positive but
     * below half the smallest subnormal ({@link Normalizer#isTinyPositive}): every L in
     * (0, 2^-1075) rounds every output the same way, since x - m and m are multiples of 2^-1074.
     */
    static final BigDecimal TINY = new BigDecimal(BigInteger.valueOf(5).pow(1076), 1076);

    private static final BigDecimal TWO = BigDecimal.valueOf(2);

    /**
     * The rounding tests of log_prob's and the weighted prob's fast paths, CRlibm's (de
     * Dinechin, Lauter, Muller):
     * with r the double nearest r + res and the exact value within eps |r| of r + res,
     * {@code r == r + res * e} proves that it rounds to r when e - 1 &gt; 2^54 eps + 2^-53.
     * (If the sum rounds to r, |res| e (1 - 2^-53) is at most the half-spacing hs on res's
     * side, whatever the binade, and eps |r| &lt;= 2^54 eps hs.) One multiply, one add, one
     * compare: {@link #isSafe}, which finds ulp(r) from its bits, made prob and log_prob 31%
     * slower per row than before this class, in thread CPU time. prob: eps = 2^-78, so
     * 1 + 2^-22; log_prob: eps = 2^-98, so 1 + 2^-42. (The unweighted prob, the map's per-row
     * output, uses the two-sided test of {@link #PROB_MARGIN}.)
     */
    static final double PROB_TEST = 1 + 0x1p-22;
    static final double LOG_PROB_TEST = 1 + 0x1p-42;

    /**
     * The two-sided rounding test of {@link Normalizer}'s prob: with the result t0 + lo (t0 &gt; 0,
     * |lo| &lt; 2^-42 t0) and the exact value within 2^-78 |t0 + lo| of it, margin = t0
     * PROB_MARGIN exceeds that bound by more than 2^-89 t0, far more than the rounding of lo +-
     * margin (below 2^-95 t0). If t0 + (lo + margin) and t0 + (lo - margin) round to the same double, so
     * does every value between them (rounding is monotone), the exact value included. Its
     * chain of dependent operations after lo is one add shorter than CRlibm's test (which
     * first forms the rounding error of t0 + lo): in the global softmax on Spark, variants of
     * the per-row call interleaved in one JVM measured 0.99 to 1.03 times the code without a
     * test, against 1.05 to 1.09 for CRlibm's (four runs of 30; docs/semantics.md).
     */
    static final double PROB_MARGIN = 0x1.004p-78;

    private CorrectRounding() {
    }

    /**
     * Whether every real number within err of r + res rounds to r (round to nearest): |res| +
     * err stays below half the spacing of the doubles on res's side of r (half as wide below a
     * power of two). r must be finite; res and err are exact or rounded up.
     */
    static boolean isSafe(double r, double res, double err) {
        long bits = Double.doubleToRawLongBits(r);
        long exponent = bits & 0x7ff0000000000000L;
        if (exponent <= (53L << 52)) { // |r| < 2^-969: its ulp is not a normal power of two
            return 2 * Math.abs(res) + 2 * err < spacing(r, res);
        }
        // ulp(r) from the exponent bits: the fast path runs this on every row (Math.ulp's
        // branches measured slower)
        double ulp = Double.longBitsToDouble(exponent - (52L << 52));
        if ((bits & 0xfffffffffffffL) == 0 && (res < 0) == (r > 0)) {
            ulp *= 0.5; // towards zero from a power of two the doubles are twice as dense
        }
        // doubled, not halved: half the spacing of the subnormals is no double
        return 2 * Math.abs(res) + 2 * err < ulp;
    }

    /**
     * (hi + lo) 2^e rounded to the subnormal grid, for a value below the smallest normal: the
     * rounding of hi alone, moved by one step where lo carries it past a midpoint; NaN when a
     * midpoint lies within err of the value (undecided: the caller's slow path decides).
     */
    static double roundSubnormal(double hi, double lo, int e, double err) {
        double rounded = Math.scalb(hi, e); // rounds hi alone to the subnormal grid
        double residual = (hi - Math.scalb(rounded, -e)) + lo;
        double halfUlp = Math.scalb(Double.MIN_VALUE, -e - 1);
        if (residual > halfUlp) {
            rounded = Math.nextUp(rounded);
            residual -= 2 * halfUlp;
        } else if (residual < -halfUlp) {
            rounded = Math.nextDown(rounded);
            residual += 2 * halfUlp;
        }
        return Math.abs(residual) + err < halfUlp ? rounded : Double.NaN;
    }

    /** The distance from r to its neighbour on the side of the sign of side. */
    private static double spacing(double r, double side) {
        double ulp = Math.ulp(r);
        if (Math.abs(r) > Double.MIN_NORMAL && (Double.doubleToRawLongBits(r) & 0xfffffffffffffL) == 0
                && (side < 0) == (r > 0)) {
            ulp *= 0.5; // towards zero from a power of two the doubles are twice as dense
        }
        return ulp;
    }

    /**
     * log_prob = (h + l) - (lh + ll), with x - m = h + l exactly, rounded exactly in double
     * arithmetic, or NaN when this step cannot decide (then {@link #logProb} does, in
     * BigDecimal). The fast path's bound fails mostly on a tie that a tiny L breaks: x - m is
     * a midpoint between two doubles about half the time when |x - m| is in a higher binade
     * than x and m, and L below 2^-98 |x - m| (a maximum that dominates by 68 or more) moves
     * it off by less than the bound; the near-tie search ran into it on 6 of its first 35
     * random inputs of 2 to 4 values. Here TwoSums give the exact value as r + res + c with r
     * the rounding of the leading part, res exact and c tiny (exact sign, rounded magnitude);
     * c decides a tie of res. When L is marked tiny ({@link #TINY}), c is a negative
     * infinitesimal.
     */
    static double logProbOfExpansion(double h, double l, double lh, double ll, boolean tiny) {
        LOG_PROB_EXPANSION.increment();
        if (tiny) { // the marked pair (0, MIN_VALUE) is no value of L: L is an infinitesimal
            lh = 0;
            ll = 0;
        }
        double s1 = h - lh;
        double e1 = DoubleDouble.twoSumError(h, -lh, s1);
        double a = l - ll;
        double ae = DoubleDouble.twoSumError(l, -ll, a);
        double b = e1 + a;
        double be = DoubleDouble.twoSumError(e1, a, b);
        double c = ae + be; // the exact value is s1 + b + ae + be
        if (tiny) {
            c = -Double.MIN_VALUE; // ae = be = 0 here: c is only the sign of -L
        }
        double r = s1 + b;
        double res = DoubleDouble.twoSumError(s1, b, r);
        if (c == 0) {
            return r; // the exact value is s1 + b, which r is rounded from
        }
        double spacing = spacing(r, res != 0 ? res : c);
        double twice = 2 * Math.abs(res);
        if (twice == spacing) { // a tie of s1 + b: c's sign breaks it
            return (res > 0) == (c > 0) ? (res > 0 ? Math.nextUp(r) : Math.nextDown(r)) : r;
        }
        if (twice < spacing && 2 * Math.abs(c) * (1 + 0x1p-52) < spacing - twice) {
            return r;
        }
        return Double.NaN;
    }

    /** (x - m) - L exactly, with L = lh + ll, or L = {@link #TINY} when tiny is set. */
    static BigDecimal exponent(double x, double m, double lh, double ll, boolean tiny) {
        BigDecimal l = tiny ? TINY : new BigDecimal(lh).add(new BigDecimal(ll));
        return new BigDecimal(x).subtract(new BigDecimal(m)).subtract(l);
    }

    /** log_prob, exactly rounded: (x - m) - L is a sum of doubles, exact in BigDecimal. */
    static double logProb(double x, double m, double lh, double ll, boolean tiny) {
        LOG_PROB_SLOW.increment();
        return exponent(x, m, lh, ll, tiny).doubleValue();
    }

    /** logsumexp = m + L, exactly rounded. */
    static double logSumExp(double m, double lh, double ll) {
        LOG_SUM_EXP_SLOW.increment();
        return new BigDecimal(m).add(new BigDecimal(lh)).add(new BigDecimal(ll)).doubleValue();
    }

    /** prob = exp((x - m) - L), exactly rounded; see the class comment. */
    static double prob(double x, double m, double lh, double ll, boolean tiny) {
        PROB_SLOW.increment();
        BigDecimal y = exponent(x, m, lh, ll, tiny);
        if (y.compareTo(EXP_OVERFLOW) > 0) {
            return Double.POSITIVE_INFINITY; // x is not a member: e^710 is above Double.MAX_VALUE
        }
        return roundedExp(y, null);
    }

    /**
     * w e^y (e^y for a null w, w &gt;= 0) exactly rounded: Ziv's loop of the class comment, at 40,
     * 80, 160 and 320 digits. A value from Double.MAX_VALUE plus half its ulp on rounds to +inf.
     */
    static double roundedExp(BigDecimal y, BigDecimal w) {
        double result = Double.NaN;
        for (int digits = 40; digits <= 320; digits *= 2) {
            MathContext mc = new MathContext(digits, RoundingMode.HALF_EVEN);
            BigDecimal value = ExactMath.Series.exp(y, mc);
            if (w != null) {
                value = value.multiply(w, mc);
            }
            result = value.doubleValue();
            // the evaluation errs by less than 10^(5 - digits) relative (Series.exp keeps 20 guard digits)
            BigDecimal tolerance = value.abs().movePointLeft(digits - 5);
            if (Double.isInfinite(result) ? value.subtract(OVERFLOW_THRESHOLD).compareTo(tolerance) > 0
                    : farFromMidpoints(value, result, tolerance)) {
                return result;
            }
        }
        return result;
    }

    /** 710: exp of anything above it is above Double.MAX_VALUE. */
    private static final BigDecimal EXP_OVERFLOW = BigDecimal.valueOf(710);

    /** Double.MAX_VALUE plus half its ulp, 2^1024 - 2^970: from there on (a tie included) a value rounds to +inf. */
    private static final BigDecimal OVERFLOW_THRESHOLD = new BigDecimal(BigInteger.ONE.shiftLeft(1024)
            .subtract(BigInteger.ONE.shiftLeft(970)));

    /** Whether value lies further than tolerance from both midpoints around the double d. */
    static boolean farFromMidpoints(BigDecimal value, double d, BigDecimal tolerance) {
        BigDecimal exact = new BigDecimal(d);
        BigDecimal up = exact.add(new BigDecimal(Math.nextUp(d))).divide(TWO);
        BigDecimal down = exact.add(new BigDecimal(Math.nextDown(d))).divide(TWO);
        return up.subtract(value).abs().compareTo(tolerance) > 0
                && down.subtract(value).abs().compareTo(tolerance) > 0;
    }
}
