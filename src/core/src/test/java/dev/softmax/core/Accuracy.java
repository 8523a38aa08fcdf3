/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.util.stream.DoubleStream;

/**
 * The measured accuracy of a normalizer on one group against {@link ExactOracle} ({@link #measure}),
 * with the assertions the core's tests make of it; and the metrics those use, {@link #ulpDistance}
 * and {@link #absoluteError}, for any test that compares doubles with exact values.
 *
 * @param maxProbUlps the largest ulp distance of prob over the group's values
 * @param maxLogProbUlps the largest ulp distance of log_prob
 * @param logSumExpUlps the ulp distance of logsumexp
 * @param zeroSigns outputs that are zero in both but of opposite signs
 * @param normalizer the normalizer measured
 * @param logSumExp its logsumexp
 * @param exactLogSumExp the oracle's exact m + L, null in the non-finite cases
 * @param logNormalizer the oracle's exact L, null in the non-finite cases
 */
public record Accuracy(long maxProbUlps, long maxLogProbUlps, long logSumExpUlps, long zeroSigns,
        Normalizer normalizer, double logSumExp, BigDecimal exactLogSumExp, BigDecimal logNormalizer) {

    static Accuracy measure(Normalizer normalizer, double[] x, ExactOracle.Reference expected) {
        long prob = 0;
        long logProb = 0;
        long zeroSigns = 0;
        // distinct values only: the same x gives the same output
        double[] distinct = DoubleStream.of(x).distinct().toArray();
        for (double v : distinct) {
            int i = indexOf(x, v);
            prob = Math.max(prob, ulpDistance(expected.prob()[i], normalizer.prob(v)));
            logProb = Math.max(logProb, ulpDistance(expected.logProb()[i], normalizer.logProb(v)));
            zeroSigns += oppositeZeros(expected.prob()[i], normalizer.prob(v))
                    + oppositeZeros(expected.logProb()[i], normalizer.logProb(v));
        }
        boolean lseCancels = expected.logNormalizer() != null
                && Math.abs(normalizer.logSumExp()) < 0x1p-20 * expected.logNormalizer().doubleValue();
        if (!lseCancels) {
            zeroSigns += oppositeZeros(expected.logSumExp(), normalizer.logSumExp());
        }
        BigDecimal exactLse = expected.logNormalizer() == null ? null
                : new BigDecimal(expected.max()).add(expected.logNormalizer());
        return new Accuracy(prob, logProb, ulpDistance(expected.logSumExp(), normalizer.logSumExp()),
                zeroSigns, normalizer, normalizer.logSumExp(), exactLse, expected.logNormalizer());
    }

    /** 1 when both are zeros of opposite signs (ulpDistance counts them equal), else 0. */
    static int oppositeZeros(double expected, double actual) {
        return expected == 0 && actual == 0
                && Double.doubleToRawLongBits(expected) != Double.doubleToRawLongBits(actual) ? 1 : 0;
    }

    /** 0 ulps and right zero signs everywhere; logsumexp as {@link #assertLogSumExp}. */
    void assertExactlyRounded() {
        assertThat(maxProbUlps).as("prob ulps").isZero();
        assertThat(maxLogProbUlps).as("log_prob ulps").isZero();
        assertThat(zeroSigns).as("zeros of the wrong sign").isZero();
        assertLogSumExp();
    }

    private static int indexOf(double[] x, double v) {
        for (int i = 0; i < x.length; i++) {
            if (Double.doubleToLongBits(x[i]) == Double.doubleToLongBits(v)) {
                return i;
            }
        }
        throw new AssertionError();
    }

    /**
     * Where m + L cancels, lse is m + L_hi + L_lo exactly rounded, and that is only
     * absolutely accurate: |error| <= 2^-70 L (the state's sum is the true one to 2^-76).
     */
    boolean cancels() {
        return logNormalizer != null && Math.abs(logSumExp) < 0x1p-20 * logNormalizer.doubleValue();
    }

    void assertLogSumExp() {
        if (cancels()) {
            double bound = 0x1p-70 * logNormalizer.doubleValue();
            assertThat(absoluteError(logSumExp, exactLogSumExp))
                    .as("absolute error of a cancelling logsumexp").isLessThanOrEqualTo(bound);
            double ofNormalizer = new BigDecimal(normalizer.max()).add(new BigDecimal(normalizer.logNormalizerHigh()))
                    .add(new BigDecimal(normalizer.logNormalizerLow())).doubleValue();
            assertThat(Double.doubleToRawLongBits(logSumExp)).as("m + L_hi + L_lo exactly rounded")
                    .isEqualTo(Double.doubleToRawLongBits(ofNormalizer));
        } else {
            assertThat(logSumExpUlps).as("logsumexp ulps").isZero();
        }
    }

    @Override
    public String toString() {
        return "max ulps: prob " + maxProbUlps + ", log_prob " + maxLogProbUlps + ", logsumexp "
                + (cancels() ? "cancels (absolute error " + absoluteError(logSumExp, exactLogSumExp)
                + " = 2^" + Math.round(Math.log(absoluteError(logSumExp, exactLogSumExp)
                / logNormalizer.doubleValue()) / Math.log(2)) + " L)" : logSumExpUlps);
    }

    /**
     * Number of representable doubles from expected to actual: 0 if they are equal (0.0 and
     * -0.0 included) or both NaN; {@link Long#MAX_VALUE} if exactly one is NaN, or if they
     * differ and one of them is infinite (an infinity is never "close" to a finite value).
     * Otherwise the distance on the monotone integer line of the bit patterns (sign-magnitude
     * mapped to two's complement, so that -0.0 and 0.0 coincide), saturated at Long.MAX_VALUE.
     */
    public static long ulpDistance(double expected, double actual) {
        boolean expectedNaN = Double.isNaN(expected);
        boolean actualNaN = Double.isNaN(actual);
        if (expectedNaN || actualNaN) {
            return expectedNaN && actualNaN ? 0 : Long.MAX_VALUE;
        }
        if (expected == actual) {
            return 0;
        }
        if (Double.isInfinite(expected) || Double.isInfinite(actual)) {
            return Long.MAX_VALUE;
        }
        long a = orderedBits(expected);
        long b = orderedBits(actual);
        // |a|, |b| < 0x7FF0000000000000, so b - a can exceed the long range only just.
        try {
            return Math.abs(Math.subtractExact(b, a));
        } catch (ArithmeticException overflow) {
            return Long.MAX_VALUE;
        }
    }

    /** Monotone map of a double onto the long line: -0.0 and 0.0 both map to 0. */
    private static long orderedBits(double d) {
        long bits = Double.doubleToRawLongBits(d);
        return bits < 0 ? -(bits & Long.MAX_VALUE) : bits;
    }

    /**
     * |actual - exact| rounded to a double: the absolute error of a double result, for the
     * documented absolute bound of logSumExp where m + log d cancels. NaN for a NaN actual,
     * +inf for an infinite one.
     */
    public static double absoluteError(double actual, BigDecimal exact) {
        if (Double.isNaN(actual)) {
            return Double.NaN;
        }
        if (Double.isInfinite(actual)) {
            return Double.POSITIVE_INFINITY;
        }
        return new BigDecimal(actual).subtract(exact).abs().doubleValue();
    }
}
