/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.core;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;

/**
 * The weighted per-row outputs of an exact {@link Normalizer}, exactly rounded in Ziv's two
 * steps as the unweighted ones ({@link CorrectRounding}):
 * <ul>
 *   <li>prob = w exp((x - m) - L): exp in double-double (the kernel, 2^-80), times w = f 2^k
 *       exactly (TwoProduct), the power of two kept apart so that neither a tiny w nor a
 *       negative L overflows; the same rounding test as prob (2^-78); slow path: w times exp
 *       in BigDecimal at 40 to 320 digits.</li>
 *   <li>log_prob = log(w) + (x - m) - L: log w = k ln2 + log f in double-double (error below
 *       2^-79 absolutely), the sum with its error bound (2^-79 + 2^-98 times the magnitudes);
 *       slow path: log w from its series in BigDecimal at 40 to 320 digits, the rest exact.</li>
 * </ul>
 * Both are exactly rounded with respect to L. Where log(w) + (x - m) - L cancels (a row holding
 * nearly all of the group's mass), log_prob is small and only absolutely accurate (2^-78
 * max(1, |L|)): L itself is accurate to about 2^-80 L.
 */
final class WeightedOutputs {
    private static final double LN2 = 0.6931471805599453;

    private WeightedOutputs() {
    }

    static double prob(double x, double w, double max, double lh, double ll) {
        double h = x - max;
        double l = DoubleDouble.twoSumError(x, -max, h);
        double s1 = h - lh;
        double e1 = DoubleDouble.twoSumError(h, -lh, s1);
        double low = e1 + (l - ll);
        double yh = s1 + low;
        double yl = DoubleDouble.twoSumError(s1, low, yh);
        int k = ExactWeights.exponent(w);
        double f = Math.scalb(w, -k);
        if (yh + (k + 1) * LN2 < -760) {
            return 0.0; // below 2^-1096: rounds to 0
        }
        if (yh + k * LN2 > 710) {
            return Double.POSITIVE_INFINITY; // not a member: above Double.MAX_VALUE
        }
        double[] t = new double[2];
        int n = ExactMath.expScaled(yh, 0.0, t);
        double lo = t[1] + t[0] * yl;
        double rh = t[0] + lo;
        double rl = DoubleDouble.fastTwoSumError(t[0], lo, rh);
        double p = f * rh;
        double pe = DoubleDouble.twoProductError(f, rh, p) + f * rl;
        double ph = p + pe;
        double pl = DoubleDouble.fastTwoSumError(p, pe, ph);
        int e = n + k;
        // kernel 2^-80, y to 2^-94, yl^2 / 2 below 2^-87, the product 2^-104: below 2^-79.5 in all,
        // so the test of prob (2^-78) holds
        if (Math.getExponent(ph) + e >= Double.MIN_EXPONENT) {
            if (ph == ph + pl * CorrectRounding.PROB_TEST) {
                return Math.scalb(ph, e); // exact, or the overflow that is the rounding
            }
            return slowProb(x, w, max, lh, ll);
        }
        double rounded = CorrectRounding.roundSubnormal(ph, pl, e, 0x1p-78 * ph);
        return rounded == rounded ? rounded : slowProb(x, w, max, lh, ll);
    }

    static double logProb(double x, double w, double max, double lh, double ll) {
        double h = x - max;
        double l = DoubleDouble.twoSumError(x, -max, h);
        int k = ExactWeights.exponent(w);
        double f = Math.scalb(w, -k);
        double[] lw = new double[2];
        ExactMath.log(f, 0.0, lw);
        if (k != 0) {
            double ah = k * ExactMath.LN2_HI; // exact: k has at most 11 bits
            DoubleDouble.add(ah, k * ExactMath.LN2_LO, lw[0], lw[1], lw);
        }
        double s1 = h - lh;
        double e1 = DoubleDouble.twoSumError(h, -lh, s1);
        double s2 = s1 + lw[0];
        double e2 = DoubleDouble.twoSumError(s1, lw[0], s2);
        double low = (e1 + e2) + ((l - ll) + lw[1]);
        double r = s2 + low;
        double res = DoubleDouble.twoSumError(s2, low, r);
        double bound = 0x1p-79 + 0x1p-98 * (Math.abs(h) + Math.abs(lh) + Math.abs(lw[0]));
        if (CorrectRounding.isSafe(r, res, bound)) {
            return r;
        }
        return slowLogProb(x, w, max, lh, ll, k, f);
    }

    private static double slowProb(double x, double w, double max, double lh, double ll) {
        CorrectRounding.PROB_SLOW.increment();
        return CorrectRounding.roundedExp(CorrectRounding.exponent(x, max, lh, ll, false), new BigDecimal(w));
    }

    private static double slowLogProb(double x, double w, double max, double lh, double ll, int k, double f) {
        CorrectRounding.LOG_PROB_SLOW.increment();
        BigDecimal rest = new BigDecimal(x).subtract(new BigDecimal(max)).subtract(new BigDecimal(lh))
                .subtract(new BigDecimal(ll));
        double result = Double.NaN;
        for (int digits = 40; digits <= 320; digits *= 2) {
            MathContext mc = new MathContext(digits + 10, RoundingMode.HALF_EVEN);
            BigDecimal logW = ExactMath.Series.log1p(new BigDecimal(f).subtract(BigDecimal.ONE), mc)
                    .add(ExactMath.Series.ln2(mc).multiply(BigDecimal.valueOf(k)), mc);
            BigDecimal value = logW.add(rest);
            result = value.doubleValue();
            // each series errs by less than 10^(5 - digits) relative: (|k| + 1) 10^(5 - digits) in all
            BigDecimal tolerance = BigDecimal.valueOf(Math.abs(k) + 1L).movePointLeft(digits - 5);
            if (CorrectRounding.farFromMidpoints(value, result, tolerance)) {
                return result;
            }
        }
        return result;
    }
}
