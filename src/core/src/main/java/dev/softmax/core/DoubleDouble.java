/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.core;

/**
 * Double-double arithmetic on (high, low) pairs with |low| &lt;= ulp(high) / 2, written to an
 * output array so the finish allocates nothing per operation. Relative error about 2^-104 per
 * operation (Dekker; Knuth's TwoSum; products through {@link Math#fma}, which is exactly
 * rounded on every JVM).
 */
final class DoubleDouble {
    private DoubleDouble() {
    }

    static void add(double ah, double al, double bh, double bl, double[] out) {
        double s = ah + bh;
        double bb = s - ah;
        double err = (ah - (s - bb)) + (bh - bb);
        double lo = err + (al + bl);
        double hi = s + lo;
        out[0] = hi;
        out[1] = (s - hi) + lo;
    }

    static void multiply(double ah, double al, double bh, double bl, double[] out) {
        double p = ah * bh;
        double lo = Math.fma(ah, bh, -p) + (ah * bl + al * bh);
        double hi = p + lo;
        out[0] = hi;
        out[1] = (p - hi) + lo;
    }

    static void divide(double ah, double al, double bh, double bl, double[] out) {
        double q1 = ah / bh;
        // a - q1 b, exactly for the leading part
        double remainder = Math.fma(-q1, bh, ah) + al - q1 * bl;
        double q2 = remainder / bh;
        double hi = q1 + q2;
        out[0] = hi;
        out[1] = (q1 - hi) + q2;
    }
}
