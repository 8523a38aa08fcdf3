/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.core;

/**
 * Double-double arithmetic on (high, low) pairs with |low| &lt;= ulp(high) / 2, written to an
 * output array so the finish allocates nothing per operation. Relative error about 2^-104 per
 * operation (Dekker; Knuth's TwoSum; products through {@link Math#fma}, which is exactly
 * rounded on every JVM).
 *
 * <p>Also the error-free transformations everything in the core's double-double code is built
 * on, the one copy of each: {@link #twoSumError} (Knuth's TwoSum, any two doubles),
 * {@link #fastTwoSumError} (Dekker's, the larger magnitude first) and {@link #twoProductError}
 * (by {@link Math#fma}). Each is exact barring overflow (and, for the product, underflow), and
 * small enough for the JIT to inline everywhere: the same bits as the expressions written out.
 */
final class DoubleDouble {
    private DoubleDouble() {
    }

    /** The rounding error of s = a + b (Knuth's TwoSum): a + b = s + error exactly, for any a, b. */
    static double twoSumError(double a, double b, double s) {
        double bb = s - a;
        return (a - (s - bb)) + (b - bb);
    }

    /**
     * The rounding error of s = a + b when a's exponent is at least b's, e.g. |a| &gt;= |b|
     * (Dekker's FastTwoSum): three operations fewer than {@link #twoSumError}. Also what
     * renormalizes a double-double: (s, fastTwoSumError(a, b, s)) is a + b with s the nearest
     * double.
     */
    static double fastTwoSumError(double a, double b, double s) {
        return (a - s) + b;
    }

    /** The rounding error of p = a * b: a * b = p + error exactly, unless the error underflows. */
    static double twoProductError(double a, double b, double p) {
        return Math.fma(a, b, -p);
    }

    static void add(double ah, double al, double bh, double bl, double[] out) {
        addDouble(ah, al + bl, bh, out);
    }

    /** (ah + al) + b, b a double: {@link #add} with a zero low part, one addition fewer. */
    static void addDouble(double ah, double al, double b, double[] out) {
        double s = ah + b;
        double lo = twoSumError(ah, b, s) + al;
        double hi = s + lo;
        out[0] = hi;
        out[1] = fastTwoSumError(s, lo, hi);
    }

    static void multiply(double ah, double al, double bh, double bl, double[] out) {
        double p = ah * bh;
        double lo = twoProductError(ah, bh, p) + (ah * bl + al * bh);
        double hi = p + lo;
        out[0] = hi;
        out[1] = fastTwoSumError(p, lo, hi);
    }

    static void divide(double ah, double al, double bh, double bl, double[] out) {
        double q1 = ah / bh;
        // a - q1 b, exactly for the leading part
        double remainder = Math.fma(-q1, bh, ah) + al - q1 * bl;
        double q2 = remainder / bh;
        double hi = q1 + q2;
        out[0] = hi;
        out[1] = fastTwoSumError(q1, q2, hi);
    }
}
