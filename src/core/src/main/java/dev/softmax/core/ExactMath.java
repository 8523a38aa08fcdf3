/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.core;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;

/**
 * Deterministic double-double kernels of the exact mode: exp and log written with IEEE-exact
 * operations only ({@code + - *}, {@link Math#fma}, {@link Math#rint}, {@link Math#scalb} and
 * bit manipulation), so every JVM on every CPU computes the same bits. {@link Math#exp} is an
 * intrinsic that may differ between platforms, and {@link StrictMath#exp} returns a single
 * double, which is not accurate enough to round the outputs correctly.
 *
 * <p>Tables and constants are computed once, at class initialisation, in {@link BigDecimal}
 * (integer arithmetic, hence deterministic) and split into double-double pairs.
 *
 * <p>Method of {@link #expScaled}: {@code y = k ln2/256 + t} with {@code k = rint(y 256/ln2)}
 * and {@code ln2/256} split in three parts (the first with 32 significant bits, so that
 * {@code k * C1} and {@code y - k * C1} are exact for |k| &lt; 2^21); then
 * {@code exp(y) = 2^(k>>8) * 2^((k&255)/256) * exp(t)}, |t| &lt; 0.00136, with exp(t) from its
 * Taylor polynomial whose leading terms {@code 1 + t + t^2/2} are kept in double-double.
 * The relative error is below 2^-80.
 */
final class ExactMath {

    /** 256 / ln 2, only used to choose the reduction index k: its rounding does not matter. */
    static final double INV_LN2_256;
    /** ln 2 / 256 = C1 + C2 + C3; C1 has 32 significant bits. */
    static final double LN2_256_C1;
    static final double LN2_256_C2;
    static final double LN2_256_C3;
    /** ln 2 = LN2_HI + LN2_LO, LN2_HI with 42 significant bits so that e * LN2_HI is exact. */
    static final double LN2_HI;
    static final double LN2_LO;
    /** 2^(j/256) for j = 0..255 as double-double (4 KiB: stays in L1). */
    static final double[] POW2_HI = new double[256];
    static final double[] POW2_LO = new double[256];
    /** log(1 + j/64) for j = 0..63 as double-double. */
    static final double[] LOG1P_HI = new double[64];
    static final double[] LOG1P_LO = new double[64];
    /** e^-512 as double-double: the ratio of two adjacent anchors. */
    static final double EXP_M512_HI;
    static final double EXP_M512_LO;
    /** 4096 / ln 2: chooses {@link #expScaledPrecise}'s reduction index. */
    private static final double INV_LN2_4096;
    /**
     * ln 2 / 4096 = Q1 + Q2 + Q3 + Q4 to about 2^-200 for {@link #expScaledPrecise}: Q1 has 28
     * significant bits (k Q1 exact for |k| &lt; 2^25), k Q2 and k Q3 are exact by TwoProduct.
     */
    private static final double LN2_4096_Q1;
    private static final double LN2_4096_Q2;
    private static final double LN2_4096_Q3;
    private static final double LN2_4096_Q4;
    /** 2^(j/4096) for j = 0..4095 as triples (96 KiB, built at first use of the precise kernel). */
    private static final class Pow2Fine {
        static final double[] TABLE = new double[3 * 4096];

        static {
            MathContext wide = new MathContext(80, RoundingMode.HALF_EVEN);
            BigDecimal ln2Over4096 = Series.ln2(wide).divide(BigDecimal.valueOf(4096), wide);
            BigDecimal[] coarse = new BigDecimal[256];
            for (int j = 0; j < 256; j++) {
                coarse[j] = Series.exp(ln2Over4096.multiply(BigDecimal.valueOf(16L * j)), wide);
            }
            for (int i = 0; i < 16; i++) {
                BigDecimal fine = Series.exp(ln2Over4096.multiply(BigDecimal.valueOf(i)), wide);
                for (int j = 0; j < 256; j++) {
                    BigDecimal pow2 = coarse[j].multiply(fine, wide);
                    int at = 3 * (16 * j + i);
                    for (int part = 0; part < 3; part++) {
                        TABLE[at + part] = pow2.doubleValue();
                        pow2 = pow2.subtract(new BigDecimal(TABLE[at + part]));
                    }
                }
            }
        }

        private Pow2Fine() {
        }
    }
    /** 1/n! for n = 0..9: high parts, and low parts (double-double) where the kernel needs them. */
    private static final double[] INV_FACTORIAL_HI = new double[10];
    private static final double[] INV_FACTORIAL_LO = new double[10];

    static {
        MathContext mc = new MathContext(60, RoundingMode.HALF_EVEN);
        BigDecimal ln2 = Series.ln2(mc);
        BigDecimal ln2over256 = ln2.divide(BigDecimal.valueOf(256), mc);
        INV_LN2_256 = BigDecimal.valueOf(256).divide(ln2, mc).doubleValue();
        LN2_256_C1 = truncateSignificand(ln2over256.doubleValue(), 32);
        BigDecimal rest = ln2over256.subtract(new BigDecimal(LN2_256_C1));
        LN2_256_C2 = rest.doubleValue();
        LN2_256_C3 = rest.subtract(new BigDecimal(LN2_256_C2)).doubleValue();
        LN2_HI = truncateSignificand(ln2.doubleValue(), 42);
        LN2_LO = ln2.subtract(new BigDecimal(LN2_HI)).doubleValue();
        for (int j = 0; j < 256; j++) {
            BigDecimal pow2 = Series.exp(ln2over256.multiply(BigDecimal.valueOf(j)), mc);
            POW2_HI[j] = pow2.doubleValue();
            POW2_LO[j] = pow2.subtract(new BigDecimal(POW2_HI[j])).doubleValue();
        }
        for (int j = 0; j < 64; j++) {
            BigDecimal log = Series.log1p(BigDecimal.valueOf(j).divide(BigDecimal.valueOf(64), mc), mc);
            LOG1P_HI[j] = log.doubleValue();
            LOG1P_LO[j] = log.subtract(new BigDecimal(LOG1P_HI[j])).doubleValue();
        }
        BigDecimal expM512 = Series.exp(BigDecimal.valueOf(-512), mc);
        EXP_M512_HI = expM512.doubleValue();
        EXP_M512_LO = expM512.subtract(new BigDecimal(EXP_M512_HI)).doubleValue();
        // the precise kernel's constants, from 80 digits (the tables above keep their 60-digit bits)
        MathContext wide = new MathContext(80, RoundingMode.HALF_EVEN);
        BigDecimal ln2Wide = Series.ln2(wide);
        BigDecimal ln2Over4096 = ln2Wide.divide(BigDecimal.valueOf(4096), wide);
        INV_LN2_4096 = BigDecimal.valueOf(4096).divide(ln2Wide, wide).doubleValue();
        LN2_4096_Q1 = truncateSignificand(ln2Over4096.doubleValue(), 28);
        BigDecimal precise = ln2Over4096.subtract(new BigDecimal(LN2_4096_Q1));
        LN2_4096_Q2 = precise.doubleValue();
        precise = precise.subtract(new BigDecimal(LN2_4096_Q2));
        LN2_4096_Q3 = precise.doubleValue();
        LN2_4096_Q4 = precise.subtract(new BigDecimal(LN2_4096_Q3)).doubleValue();
        BigDecimal factorial = BigDecimal.ONE;
        for (int n = 0; n < INV_FACTORIAL_HI.length; n++) {
            factorial = factorial.multiply(BigDecimal.valueOf(Math.max(n, 1)));
            BigDecimal inverse = BigDecimal.ONE.divide(factorial, wide);
            INV_FACTORIAL_HI[n] = inverse.doubleValue();
            INV_FACTORIAL_LO[n] = inverse.subtract(new BigDecimal(INV_FACTORIAL_HI[n])).doubleValue();
        }
    }

    private ExactMath() {
    }

    private static double truncateSignificand(double x, int bits) {
        long mask = -1L << (53 - bits);
        return Double.longBitsToDouble(Double.doubleToRawLongBits(x) & mask);
    }

    /**
     * exp(yh + yl) as an unnormalised double-double times a power of two: writes
     * {@code out[0] + out[1]} and returns n such that exp(yh + yl) = (out[0] + out[1]) * 2^n,
     * with out[0] in [0.99, 2.01) and |out[1]| below 2^-50 out[0]. Requires |yh| &lt; 2^21 ln2/256
     * and |yl| &lt; 2^-40. The relative error is below 2^-80 (measured 2^-82) for yl = 0, the
     * only yl the deposits use; a nonzero yl is kept to first order only (yl (1 + t), not
     * yl t^2/2 with |t| &lt; 2^-9.5), which costs up to 2^-20 |yl|: 2^-67 was measured with
     * yl = 9e-15. Callers with a low part therefore pass 0 and multiply by 1 + yl themselves
     * ({@link #expRounded}, {@link Normalizer#prob}). The bits for yl = 0 are part of state
     * format 1 and must not change.
     */
    static int expScaled(double yh, double yl, double[] out) {
        double kd = Math.rint(yh * INV_LN2_256);
        int k = (int) kd;
        double a = yh - kd * LN2_256_C1; // exact: k * C1 has <= 53 bits, then Sterbenz
        double b = kd * LN2_256_C2;
        double be = DoubleDouble.twoProductError(kd, LN2_256_C2, b);
        double th = a - b;
        double tl = DoubleDouble.twoSumError(a, -b, th);
        tl += yl - be - kd * LN2_256_C3;
        // exp(th + tl) = 1 + th + th^2/2 + th^3 P(th) + tl (1 + th), |th| < 2^-9.5: the t^8 term
        // is below 2^-91 and dropped; the t^3 term, rounded once, errs by at most 2^-84
        double sq = th * th;
        double sqe = DoubleDouble.twoProductError(th, th, sq);
        // Estrin's scheme: half the dependency chain of Horner's, measured twice as fast here
        double cubic = (sq * th) * ((1.0 / 6 + th * (1.0 / 24))
                + sq * ((1.0 / 120 + th * (1.0 / 720)) + sq * (1.0 / 5040)));
        double s1 = 1.0 + th;
        double e1 = DoubleDouble.fastTwoSumError(1.0, th, s1);
        double half = 0.5 * sq;
        double s2 = s1 + half;
        double e2 = DoubleDouble.fastTwoSumError(s1, half, s2);
        double lo = cubic + (e1 + e2 + 0.5 * sqe + tl + tl * th);
        double eh = s2 + lo;
        double el = DoubleDouble.fastTwoSumError(s2, lo, eh);
        int j = k & 255;
        double p = eh * POW2_HI[j];
        out[0] = p;
        out[1] = DoubleDouble.twoProductError(eh, POW2_HI[j], p) + (eh * POW2_LO[j] + el * POW2_HI[j]);
        return k >> 8;
    }

    /**
     * exp(rh + rl) to 2^-138 relative (measured 2^-140.4), as an unnormalised triple out[at] +
     * out[at + 1] + out[at + 2] times 2^n (n returned; |out[at + 1]| &lt; 2^-50 out[at], |out[at +
     * 2]| &lt; 2^-80 out[at]), for the weighted deposits' third part ({@link ExactWeights}).
     * Requires |rh| &lt; 2^24 ln2/4096 and |rl| &lt;= 2^-40; rh + rl need not be normalised.
     * n may differ by one from {@link #expScaled}'s.
     *
     * <p>Method, written for a short dependency chain (the weighted fold runs it per row): k =
     * rint(r 4096/ln2), t = r - k ln2/4096 = z + t1 + t2 with z = rh - k (Q1 + Q2) rounded once
     * (|z| &lt; 2^-13.4), t1 + t2 the small rest as a double-double (|t1| &lt; 2^-42), computed
     * beside the polynomial; exp(z) = 1 + z + z^2/2 + z^3 U(z), U = 1/3! + z/4! + ... + z^6/9!
     * (the z^10 term is below 2^-156), its leading terms with TwoProducts and a double-double
     * 1/3!, the rest in doubles; z^2 exact, z^3 and z^3 U with rounded cross terms; then
     * exp(t) = exp(z) (1 + t1 + t2 + t1^2/2 + t1^3/6), and the product by 2^(k/4096) = 2^(k &gt;&gt;
     * 12) 2^(j/4096), j = k &amp; 4095, as triples (a table of 4096 triples, 96 KiB, built in
     * BigDecimal at first use). Every sum of the leading parts is error-free (TwoSum); what is
     * rounded is below 2^-138 in all (ExactMathTest measures the error against BigDecimal).
     * Deterministic: only + - * fma and rint.
     */
    static int expScaledPrecise(double rh, double rl, double[] out, int at) {
        double kd = Math.rint(rh * INV_LN2_4096);
        int k = (int) kd;
        double a = rh - kd * LN2_4096_Q1; // exact: k Q1 has <= 53 bits, then Sterbenz
        double b = kd * LN2_4096_Q2;
        double z = a - b;
        // the rest t1 + t2 = (a - b - z) + rl - (k Q2 - b) - k Q3 - k Q4, off the polynomial's path
        double e1 = DoubleDouble.twoSumError(a, -b, z);
        double be = DoubleDouble.twoProductError(kd, LN2_4096_Q2, b);
        double c = kd * LN2_4096_Q3;
        double ce = DoubleDouble.twoProductError(kd, LN2_4096_Q3, c);
        double m1 = rl + e1;
        double f1 = DoubleDouble.twoSumError(rl, e1, m1);
        double m2 = m1 - be;
        double f2 = DoubleDouble.twoSumError(m1, -be, m2);
        double m3 = m2 - c;
        double f3 = DoubleDouble.twoSumError(m2, -c, m3);
        double low = ((f1 + f2) + f3) - (ce + kd * LN2_4096_Q4);
        double t1 = m3 + low;
        double t2 = DoubleDouble.twoSumError(m3, low, t1);
        int at3 = 3 * (k & 4095);
        double[] pow2 = Pow2Fine.TABLE;
        double p0 = pow2[at3];
        double p1 = pow2[at3 + 1];
        double p2 = pow2[at3 + 2];
        // U(z) = 1/3! + z/4! + z^2/5! + z^3 (1/6! + z/7! + z^2/8! + z^3/9!)
        double sq = z * z;
        double sqe = DoubleDouble.twoProductError(z, z, sq);
        double zp = z * INV_FACTORIAL_HI[4];
        double zpe = DoubleDouble.twoProductError(z, INV_FACTORIAL_HI[4], zp) + z * INV_FACTORIAL_LO[4];
        double sp = sq * INV_FACTORIAL_HI[5];
        double spe = DoubleDouble.twoProductError(sq, INV_FACTORIAL_HI[5], sp)
                + (sqe * INV_FACTORIAL_HI[5] + sq * INV_FACTORIAL_LO[5]);
        double c3 = sq * z;
        double c3e = DoubleDouble.twoProductError(sq, z, c3) + sqe * z; // z^3 = c3 + c3e within 2^-145
        double tail = c3 * ((INV_FACTORIAL_HI[6] + z * INV_FACTORIAL_HI[7])
                + sq * (INV_FACTORIAL_HI[8] + z * INV_FACTORIAL_HI[9]));
        double u0 = INV_FACTORIAL_HI[3] + zp;
        double u0e = DoubleDouble.fastTwoSumError(INV_FACTORIAL_HI[3], zp, u0);
        double u1 = u0 + sp;
        double u1e = DoubleDouble.fastTwoSumError(u0, sp, u1);
        double ul = (u0e + u1e) + (INV_FACTORIAL_LO[3] + zpe + spe) + tail;
        // z^3 U = qh + ql, |z^3 U| < 2^-43
        double qh = c3 * u1;
        double ql = DoubleDouble.twoProductError(c3, u1, qh) + (c3 * ul + c3e * u1);
        // exp(z) = 1 + z + sq/2 + qh + [sqe/2 + ql]: the leading sums error-free
        double h = 1.0 + z;
        double hl = DoubleDouble.fastTwoSumError(1.0, z, h);
        double half = 0.5 * sq;
        double h2 = h + half;
        double h2l = DoubleDouble.fastTwoSumError(h, half, h2);
        double h3 = h2 + qh;
        double h3l = DoubleDouble.fastTwoSumError(h2, qh, h3);
        double v1 = hl + h2l;
        double w1 = DoubleDouble.twoSumError(hl, h2l, v1);
        double v2 = v1 + h3l;
        double w2 = DoubleDouble.twoSumError(v1, h3l, v2);
        double halfe = 0.5 * sqe;
        double v3 = v2 + halfe;
        double w3 = DoubleDouble.twoSumError(v2, halfe, v3);
        double v4 = v3 + ql;
        double w4 = DoubleDouble.twoSumError(v3, ql, v4);
        double third = (w1 + w2) + (w3 + w4);
        // exp(t) = exp(z) (1 + t1 + g2), g2 = t2 + t1^2/2 + t1^3/6 below 2^-84
        double g2 = t2 + t1 * t1 * (0.5 + t1 * INV_FACTORIAL_HI[3]);
        double g = h3 * t1;
        double ge = DoubleDouble.twoProductError(h3, t1, g);
        double x0 = h3 + g;
        double x0e = DoubleDouble.fastTwoSumError(h3, g, x0);
        double x1 = x0e + v4;
        double x1e = DoubleDouble.twoSumError(x0e, v4, x1);
        double x2 = x1e + third + ge + h3 * g2 + v4 * t1;
        // times 2^(j/4096) = p0 + p1 + p2, (x0 + x1 + x2) unnormalised (|x1| < 2^-51)
        double p = x0 * p0;
        double pe = DoubleDouble.twoProductError(x0, p0, p);
        double x = x0 * p1;
        double xe = DoubleDouble.twoProductError(x0, p1, x);
        double y = x1 * p0;
        double ye = DoubleDouble.twoProductError(x1, p0, y);
        double l1 = pe + x;
        double l1e = DoubleDouble.twoSumError(pe, x, l1);
        double l2 = l1 + y;
        double l2e = DoubleDouble.twoSumError(l1, y, l2);
        out[at] = p;
        out[at + 1] = l2;
        out[at + 2] = (l1e + l2e) + (xe + ye) + (x0 * p2 + x1 * p1 + x2 * p0);
        return k >> 12;
    }

    /**
     * exp(yh + yl) rounded once to the nearest double, subnormal results included (they are
     * rounded from the double-double, not from a rounded double). yh + yl must be normalised.
     */
    static double expRounded(double yh, double yl) {
        if (yh < -760) {
            return 0.0; // exp(-760) < 2^-1096: below half the smallest subnormal
        }
        if (yh > 710) {
            return Double.POSITIVE_INFINITY; // exp(710) > Double.MAX_VALUE
        }
        double[] out = new double[2];
        int n = expScaled(yh, 0.0, out); // times 1 + yl: see expScaled
        double lo = out[1] + out[0] * yl;
        double rh = out[0] + lo;
        double rl = DoubleDouble.fastTwoSumError(out[0], lo, rh);
        if (Math.getExponent(rh) + n >= Double.MIN_EXPONENT) {
            return Math.scalb(rh, n); // exact, or overflow to infinity which is the rounding
        }
        double rounded = Math.scalb(rh, n); // rounds rh alone to the subnormal grid
        double residual = (rh - Math.scalb(rounded, -n)) + rl;
        double halfUlp = Math.scalb(Double.MIN_VALUE, -n - 1);
        if (residual > halfUlp) {
            rounded = Math.nextUp(rounded);
        } else if (residual < -halfUlp) {
            rounded = Math.nextDown(rounded);
        }
        return rounded;
    }

    /**
     * log(1 + (zh + zl)) for 0 &lt;= z, as a double-double written to out, with a relative
     * error below 2^-80 (measured 2^-82.3; in particular full relative precision for tiny z).
     */
    static void log1p(double zh, double zl, double[] out) {
        if (zh < 0x1p-7) {
            log1pSmall(zh, zl, out);
        } else {
            double sh = 1.0 + zh; // 1 + z as double-double; z >= 2^-7 so log(1 + z) >= 2^-7.1
            double sl = (zh > 1.0 ? DoubleDouble.fastTwoSumError(zh, 1.0, sh)
                    : DoubleDouble.fastTwoSumError(1.0, zh, sh)) + zl;
            double h = sh + sl;
            log(h, DoubleDouble.fastTwoSumError(sh, sl, h), out);
        }
    }

    /**
     * log(1 + (zh + zl)) for |z| &lt; 2^-7 of either sign, as a double-double written to out,
     * with full relative precision (the weighted finish, where d may lie just below 1).
     */
    static void log1pSigned(double zh, double zl, double[] out) {
        log1pSmall(zh, zl, out);
    }

    /** log(xh + xl) for xh + xl &gt;= 1 as a double-double; all summed terms are non-negative. */
    static void log(double xh, double xl, double[] out) {
        int e = Math.getExponent(xh);
        double fh = Math.scalb(xh, -e);
        double fl = Math.scalb(xl, -e);
        int j = (int) ((fh - 1.0) * 64);
        double f = 1.0 + j / 64.0;
        double nh = (fh - f) + fl; // fh - f exact (Sterbenz)
        double nl = DoubleDouble.fastTwoSumError(fh - f, fl, nh);
        double uh = nh / f; // u = (x/2^e - F) / F in (-2^-52, 1/64): slightly negative when
                            // xh = 2^e and xl < 0, which the odd atanh series handles
        double ul = (Math.fma(-uh, f, nh) + nl) / f;
        double[] tail = new double[2];
        log1pSmall(uh, ul, tail);
        // e ln2 + log F + log1p(u), summed smallest first
        double ah = e * LN2_HI; // exact: e has at most 11 bits
        double al = e * LN2_LO;
        DoubleDouble.addDouble(LOG1P_HI[j], LOG1P_LO[j] + tail[1], tail[0], out);
        DoubleDouble.addDouble(ah, al + out[1], out[0], out);
    }

    /** log1p for 0 &lt;= z &lt; 2^-6 by 2 atanh(w), w = z / (2 + z) &lt; 2^-7. */
    private static void log1pSmall(double zh, double zl, double[] out) {
        // w = z / (2 + z) in double-double
        double dh = 2.0 + zh;
        double dl = DoubleDouble.fastTwoSumError(2.0, zh, dh) + zl;
        double wh = zh / dh;
        double rem = Math.fma(-wh, dh, zh) + zl - wh * dl;
        double wl = rem / dh;
        double t = wh + wl;
        wl = DoubleDouble.fastTwoSumError(wh, wl, t);
        wh = t;
        // 2 atanh(w) = 2w + 2 w^3/3 + 2 w^5 (1/5 + w^2/7 + ...)
        double w2 = wh * wh;
        double w2e = DoubleDouble.twoProductError(wh, wh, w2) + 2 * wh * wl;
        double w3 = w2 * wh;
        double w3e = DoubleDouble.twoProductError(w2, wh, w3) + (w2e * wh + w2 * wl); // (w2 + w2e)(wh + wl)
        double third = w3 / 3;
        double thirdLo = (Math.fma(-third, 3, w3) + w3e) / 3;
        double tail = w3 * w2 * (1.0 / 5 + w2 * (1.0 / 7 + w2 * (1.0 / 9 + w2 * (1.0 / 11 + w2 * (1.0 / 13)))));
        double hi = wh + third;
        double lo = DoubleDouble.fastTwoSumError(wh, third, hi) + (wl + thirdLo + tail);
        double s = hi + lo;
        out[0] = 2 * s;
        out[1] = 2 * DoubleDouble.fastTwoSumError(hi, lo, s);
    }

    /**
     * Series in BigDecimal. Deterministic (integer arithmetic) and accurate to the MathContext;
     * used to build the tables above, and by {@link CorrectRounding}'s rare slow path.
     */
    static final class Series {
        private Series() {
        }

        /** ln 2 = 2 atanh(1/3). */
        static BigDecimal ln2(MathContext mc) {
            return atanhTimesTwo(BigDecimal.ONE.divide(BigDecimal.valueOf(3), mc), mc);
        }

        /** log1p(y) = 2 atanh(y / (2 + y)), y in [0, 1]. */
        static BigDecimal log1p(BigDecimal y, MathContext mc) {
            return atanhTimesTwo(y.divide(y.add(BigDecimal.valueOf(2)), mc), mc);
        }

        private static BigDecimal atanhTimesTwo(BigDecimal w, MathContext mc) {
            BigDecimal w2 = w.multiply(w, mc);
            BigDecimal power = w;
            BigDecimal sum = BigDecimal.ZERO;
            BigDecimal eps = BigDecimal.ONE.movePointLeft(mc.getPrecision() + 5);
            for (int k = 1; power.abs().compareTo(eps) > 0; k += 2) {
                sum = sum.add(power.divide(BigDecimal.valueOf(k), mc), mc);
                power = power.multiply(w2, mc);
            }
            return sum.multiply(BigDecimal.valueOf(2), mc);
        }

        /** exp(x) by halving x until |x| &lt; 2^-10, Taylor, then squaring back. */
        static BigDecimal exp(BigDecimal x, MathContext mc) {
            MathContext wide = new MathContext(mc.getPrecision() + 20, RoundingMode.HALF_EVEN);
            int halvings = 0;
            BigDecimal r = x;
            BigDecimal limit = BigDecimal.ONE.movePointLeft(3);
            while (r.abs().compareTo(limit) > 0) {
                r = r.divide(BigDecimal.valueOf(2), wide);
                halvings++;
            }
            BigDecimal term = BigDecimal.ONE;
            BigDecimal sum = BigDecimal.ONE;
            BigDecimal eps = BigDecimal.ONE.movePointLeft(wide.getPrecision() + 5);
            for (int k = 1; term.abs().compareTo(eps) > 0; k++) {
                term = term.multiply(r, wide).divide(BigDecimal.valueOf(k), wide);
                sum = sum.add(term, wide);
            }
            for (int i = 0; i < halvings; i++) {
                sum = sum.multiply(sum, wide);
            }
            return sum.round(mc);
        }
    }
}
