/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * One contract, every accumulator (Commons Statistics style): single values, arrays, random
 * splits combined in random order, empty combines, byte round trips. Exact mode must give the
 * same bits; fast mode agrees within its documented accuracy.
 */
abstract class AccumulatorContractTest {

    abstract SoftmaxMode mode();

    /**
     * ulps allowed between two ways of accumulating the same values (0: the same bits); for
     * results near 0, the same number of ulps of 1, as an absolute bound.
     */
    abstract long reorderTolerance();

    private LogSumExpAccumulator of(double... x) {
        LogSumExpAccumulator acc = mode().newAccumulator();
        acc.acceptAll(x);
        return acc;
    }

    @Test
    void singleValueHasProbabilityOne() {
        for (double x : new double[] {0, -0.0, 1e-300, -7.25, 1e300, -Double.MAX_VALUE, Double.MIN_VALUE}) {
            Normalizer n = of(x).finish();
            assertThat(n.prob(x)).as("prob of %s", x).isEqualTo(1.0);
            assertThat(n.logProb(x)).as("log_prob of %s", x).isEqualTo(0.0);
            assertThat(n.logSumExp()).isEqualTo(x == 0 ? 0.0 : x);
            assertThat(n.max()).isEqualTo(x);
            assertThat(n.maxCount()).isEqualTo(1);
            assertThat(n.count()).isEqualTo(1);
        }
    }

    @Test
    void emptyIsTheIdentityOfCombine() {
        double[] x = {3, -1, 2.5, Double.NEGATIVE_INFINITY};
        Normalizer expected = of(x).finish();
        assertThat(of().combine(of(x)).finish()).isEqualTo(expected);
        assertThat(of(x).combine(of()).finish()).isEqualTo(expected);
        assertThat(of().combine(of()).finish().status()).isEqualTo(Normalizer.Status.EMPTY);
        assertThat(of().isEmpty()).isTrue();
        assertThat(of(x).count()).isEqualTo(4);
    }

    @Test
    void combineIsSymmetric() {
        Random random = new Random(17);
        for (int trial = 0; trial < 200; trial++) {
            double[] a = random.doubles(random.nextInt(20), -50, 50).toArray();
            double[] b = random.doubles(random.nextInt(20), -50, 50).toArray();
            Normalizer ab = of(a).combine(of(b)).finish();
            Normalizer ba = of(b).combine(of(a)).finish();
            assertWithin(ab, ba, a, b);
        }
    }

    @Test
    void randomSplitsCombinedInRandomOrderAgreeWithOnePass() {
        Random random = new Random(23);
        for (int trial = 0; trial < 100; trial++) {
            double[] x = random.doubles(1 + random.nextInt(500), -100, 100).toArray();
            Normalizer onePass = of(x).finish();
            LogSumExpAccumulator[] parts = new LogSumExpAccumulator[1 + random.nextInt(8)];
            for (int p = 0; p < parts.length; p++) {
                parts[p] = mode().newAccumulator();
            }
            for (double v : x) {
                parts[random.nextInt(parts.length)].accept(v);
            }
            LogSumExpAccumulator merged = LogSumExpAccumulator.fromBytes(parts[parts.length - 1].toBytes(), mode());
            for (int p = parts.length - 2; p >= 0; p--) {
                merged = random.nextBoolean() ? merged.combine(parts[p]) : parts[p].combine(merged);
            }
            assertWithin(onePass, merged.finish(), x);
        }
    }

    @Test
    void combineWithItselfDoublesTheGroup() {
        LogSumExpAccumulator acc = of(1, 2, 3);
        acc.combine(acc);
        assertWithin(of(1, 2, 3, 1, 2, 3).finish(), acc.finish(), new double[] {1, 2, 3});
    }

    private void assertWithin(Normalizer expected, Normalizer actual, double[]... values) {
        assertThat(actual.status()).isEqualTo(expected.status());
        assertThat(actual.count()).isEqualTo(expected.count());
        assertClose(expected.logSumExp(), actual.logSumExp());
        for (double[] x : values) {
            for (double v : x) {
                assertClose(expected.prob(v), actual.prob(v));
                assertClose(expected.logProb(v), actual.logProb(v));
            }
        }
    }

    private void assertClose(double expected, double actual) {
        long tolerance = reorderTolerance();
        if (tolerance == 0) {
            assertThat(Double.doubleToLongBits(actual)).isEqualTo(Double.doubleToLongBits(expected));
        } else if (Accuracy.ulpDistance(expected, actual) > tolerance) {
            // near 0 (log_prob of the maximum, -L) only an absolute bound holds in fast mode
            assertThat(Math.abs(actual - expected))
                    .isLessThanOrEqualTo(tolerance * 0x1p-52 * Math.max(1, Math.abs(expected)));
        }
    }
}
