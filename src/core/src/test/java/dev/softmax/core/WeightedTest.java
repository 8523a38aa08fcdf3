/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.math.BigDecimal;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Weights and signs (scipy's b and return_sign): scipy's own test cases as written, the
 * weighted outputs at 0 ulps against {@link ExactOracle#weighted} for weights &gt;= 0, exact
 * cancellation among equal x, and what cancellation between different x reaches (the bound of
 * {@link Normalizer}'s Javadoc).
 */
class WeightedTest {

    // ---------------------------------------------------------------- scipy's cases, as written

    @Test
    void scipyLogSumExpB() {
        double[] a = new double[200];
        double[] b = new double[200];
        double sum = 0;
        for (int i = 0; i < 200; i++) {
            a[i] = i;
            b[i] = 200 - i;
            sum += b[i] * Math.exp(a[i]);
        }
        assertClose(Softmax.logSumExp(a, b), Math.log(sum));

        assertClose(Softmax.logSumExp(new double[] {1000, 1000}, new double[] {1.2, 1.2}), 1000 + Math.log(2 * 1.2));

        int n = 100_000;
        double[] x = new double[n];
        double[] lin = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = 1e-40;
            lin[i] = 1 + (1000.0 - 1) * i / (n - 1);
        }
        double logx = Math.log(1e-40);
        double[] logX = new double[2 * n];
        double[] bb = new double[2 * n];
        double total = 0;
        for (int i = 0; i < 2 * n; i++) {
            logX[i] = logx;
            bb[i] = lin[i % n];
            total += bb[i] * x[i % n];
        }
        assertClose(Math.exp(Softmax.logSumExp(logX, bb)), total); // all axes
        double row = 0;
        for (int i = 0; i < n; i++) {
            row += lin[i] * x[i];
        }
        assertClose(Math.exp(Softmax.logSumExp(Arrays.copyOf(logX, n), lin)), row); // axis=1
        for (int i = 0; i < n; i += 997) { // axis=0: columns of two
            assertClose(Math.exp(Softmax.logSumExp(new double[] {logx, logx}, new double[] {lin[i], lin[i]})),
                    2 * lin[i] * x[i]);
        }
    }

    @Test
    void scipyLogSumExpSign() {
        SignedLogSumExp r = Softmax.signedLogSumExp(new double[] {1, 1, 1}, new double[] {1, -1, -1});
        assertClose(r.value(), 1.0);
        assertThat(r.sign()).isEqualTo(-1.0);
    }

    @Test
    void scipyLogSumExpSignZero() {
        SignedLogSumExp r = Softmax.signedLogSumExp(new double[] {1, 1}, new double[] {1, -1});
        assertThat(Double.isFinite(r.value())).isFalse();
        assertThat(Double.isNaN(r.value())).isFalse();
        assertThat(r.value()).isLessThan(0);
        assertThat(r.sign()).isEqualTo(0.0);
    }

    @Test
    void scipyLogSumExpBZero() {
        assertClose(Softmax.logSumExp(new double[] {1, 10000}, new double[] {1, 0}), 1.0);
    }

    @Test
    void scipyGh22903() {
        double[] a = {3.06409428, 0.37251854, 3.87471931};
        double[] b = {1.88190708, 2.84174795, -0.85016884};
        assertClose(Softmax.logSumExp(a, b), Softmax.signedLogSumExp(a, b).value());
        double[] negative = {1.88190708, 2.84174795, -3.85016884};
        assertThat(Softmax.logSumExp(a, negative)).isNaN();
    }

    @Test
    void scipyGh23548() {
        SignedLogSumExp unweighted = ExactLogSumExp.of(Double.POSITIVE_INFINITY).finish().signedLogSumExp();
        assertThat(unweighted.value()).isInfinite();
        assertThat(unweighted.sign()).isEqualTo(1.0);
        SignedLogSumExp r = Softmax.signedLogSumExp(new double[] {Double.POSITIVE_INFINITY}, new double[] {-1});
        assertThat(r.value()).isInfinite();
        assertThat(r.sign()).isEqualTo(-1.0);
    }

    /** scipy's xp_assert_close for float64: rtol = 4 sqrt(eps). */
    private static void assertClose(double actual, double desired) {
        assertThat(actual).isCloseTo(desired, within(4 * Math.sqrt(Math.ulp(1.0)) * Math.abs(desired)));
    }

    // ---------------------------------------------------------------- weights >= 0: 0 ulps

    static Stream<Arguments> nonNegativeCases() {
        Random random = new Random(14);
        double[] wideX = new double[300];
        double[] wideW = new double[300];
        for (int i = 0; i < wideX.length; i++) {
            wideX[i] = random.nextGaussian() * 30;
            wideW[i] = Math.scalb(random.nextDouble(), random.nextInt(400) - 200);
        }
        double[] meanX = new double[1000];
        double[] meanW = new double[1000];
        for (int i = 0; i < meanX.length; i++) {
            meanX[i] = random.nextGaussian() * 3 - 700;
            meanW[i] = 1.0 / meanX.length;
        }
        return Stream.of(
                named("log-mean-exp of 1000 values", meanX, meanW),
                named("mixture of three", new double[] {-1.5, -2.25, -0.75}, new double[] {0.2, 0.5, 0.3}),
                named("mask with NaN and +inf under weight 0",
                        new double[] {1, Double.NaN, Double.POSITIVE_INFINITY, 2},
                        new double[] {0.5, 0, 0, 2}),
                named("weights over 400 binades", wideX, wideW),
                named("tiny weights beside large x", new double[] {1000, 0, -5}, new double[] {0x1p-1000, 1, 3}),
                named("subnormal and huge weights", new double[] {3, 1e-30, -700},
                        new double[] {Double.MIN_VALUE, 3, 1e300}),
                named("weights 1 and 0 only", new double[] {1, 2, 3}, new double[] {1, 0, 1}),
                named("-inf beside weights", new double[] {Double.NEGATIVE_INFINITY, 2, 2.5},
                        new double[] {7, 0.25, 4}),
                named("anchor boundaries", new double[] {256, -256, 768, 767.5, 1279.9},
                        new double[] {0x1p-190, 0x1p190, 3, 0x1p-500, 0x1p500}),
                named("equal x, different weights", new double[] {5, 5, 5, 4}, new double[] {0.1, 0.7, 1.3, 2}));
    }

    private static Arguments named(String name, double[] x, double[] w) {
        return Arguments.of(Named.of(name, x), w);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("nonNegativeCases")
    void nonNegativeWeightsAreExactlyRounded(double[] x, double[] w) {
        ExactOracle.WeightedReference expected = ExactOracle.weighted(x, w);
        Normalizer normalizer = Softmax.normalizer(x, w, SoftmaxMode.EXACT);
        long probUlps = 0;
        long logProbUlps = 0;
        for (int i = 0; i < x.length; i++) {
            probUlps = Math.max(probUlps, Accuracy.ulpDistance(expected.prob()[i], normalizer.prob(x[i], w[i])));
            double logProb = normalizer.logProb(x[i], w[i]);
            if (WeightedPropertiesTest.cancels(expected.logProb()[i], w[i], normalizer)) { // absolutely accurate
                double bound = WeightedPropertiesTest.cancellationBound(normalizer, expected.logProb()[i]);
                assertThat(Math.abs(logProb - expected.logProb()[i])).isLessThanOrEqualTo(bound);
            } else {
                logProbUlps = Math.max(logProbUlps, Accuracy.ulpDistance(expected.logProb()[i], logProb));
            }
        }
        double lse = normalizer.logSumExp();
        TestReport.measured("weighted, " + Arrays.toString(Arrays.copyOf(x, Math.min(3, x.length))) + "...",
                "max ulps prob " + probUlps + ", log_prob " + logProbUlps + ", logsumexp "
                + Accuracy.ulpDistance(expected.logSumExp(), lse));
        assertThat(probUlps).as("prob ulps").isZero();
        assertThat(logProbUlps).as("log_prob ulps").isZero();
        assertThat(Accuracy.ulpDistance(expected.logSumExp(), lse)).as("logsumexp ulps").isZero();
        assertThat(normalizer.signedLogSumExp()).isEqualTo(new SignedLogSumExp(expected.value(), expected.sign()));
    }

    @Test
    void theArrayFunctionsAgreeWithTheNormalizer() {
        double[] x = {1, 2, 3, Double.NEGATIVE_INFINITY};
        double[] w = {0.5, 0, 2, 1};
        Normalizer normalizer = Softmax.normalizer(x, w, SoftmaxMode.EXACT);
        double[] prob = Softmax.softmax(x, w);
        double[] logProb = Softmax.logSoftmax(x, w);
        for (int i = 0; i < x.length; i++) {
            assertThat(prob[i]).isEqualTo(normalizer.prob(x[i], w[i]));
            assertThat(logProb[i]).isEqualTo(normalizer.logProb(x[i], w[i]));
        }
        assertThat(prob[1]).isEqualTo(0.0);
        assertThat(logProb[1]).isEqualTo(Double.NEGATIVE_INFINITY);
        assertThat(Softmax.softmax(new double[] {1, 2}, new double[] {1, -1})).containsOnly(Double.NaN);
        assertThat(Softmax.normalizer(new double[] {1, 2}, new double[] {1, -1}, SoftmaxMode.EXACT).status())
                .isEqualTo(Normalizer.Status.NEGATIVE_WEIGHT);
        // temperature divides x only
        assertThat(Softmax.logSumExp(new double[] {2, 4}, new double[] {3, 0.5}, 2.0, SoftmaxMode.EXACT))
                .isEqualTo(Softmax.logSumExp(new double[] {1, 2}, new double[] {3, 0.5}));
    }

    @Test
    void weightOneIsTheUnweightedStateAndWeightZeroAMask() {
        double[] x = {1.5, -2, 1.5, -700.25, Double.NEGATIVE_INFINITY};
        ExactLogSumExp weighted = ExactLogSumExp.create();
        for (double v : x) {
            weighted.accept(v, 1.0);
            weighted.accept(v * 3, 0.0);
            weighted.accept(Double.NaN, 0.0);
        }
        assertThat(weighted.toBytes()).isEqualTo(ExactLogSumExp.of(x).toBytes());
        assertThat(Softmax.logSumExp(x, new double[] {1, 1, 1, 1, 1})).isEqualTo(Softmax.logSumExp(x));
    }

    @Test
    void differentLengthsNameBoth() {
        assertThatThrownBy(() -> Softmax.logSumExp(new double[3], new double[2]))
                .isInstanceOf(SoftmaxException.class).hasMessageContaining("(3,) (2,)");
    }

    @Test
    void specialValues() {
        double inf = Double.POSITIVE_INFINITY;
        assertThat(Softmax.signedLogSumExp(new double[] {1, Double.NaN}, new double[] {1, 2}).value()).isNaN();
        assertThat(Softmax.signedLogSumExp(new double[] {1, 2}, new double[] {1, Double.NaN}).sign()).isNaN();
        assertThat(Softmax.signedLogSumExp(new double[] {-inf}, new double[] {inf}).value()).isNaN(); // inf * 0
        assertThat(Softmax.signedLogSumExp(new double[] {1}, new double[] {inf}))
                .isEqualTo(new SignedLogSumExp(inf, 1.0));
        assertThat(Softmax.signedLogSumExp(new double[] {1, inf}, new double[] {-inf, 1}).value()).isNaN();
        assertThat(Softmax.signedLogSumExp(new double[] {-inf, 3}, new double[] {-2, 1}))
                .isEqualTo(new SignedLogSumExp(3.0, 1.0));
        assertThat(Softmax.signedLogSumExp(new double[0], new double[0]))
                .isEqualTo(new SignedLogSumExp(Double.NEGATIVE_INFINITY, 0.0));
        assertThat(Softmax.logSumExp(new double[] {inf}, new double[] {-1})).isNaN();
    }

    // ---------------------------------------------------------------- cancellation

    @Test
    void cancellationAmongEqualValuesIsExact() {
        for (double a : new double[] {0, 1, -700.5, 1e5, 255.999, -256.001, 1e300, -1e-300}) {
            for (double[] w : new double[][] {{1, -1}, {-1, 1}, {0.5, 0.25, -0.75}, {3, -1.5, -1.5}, {1e-50, -1e-50}}) {
                double[] x = new double[w.length];
                Arrays.fill(x, a);
                SignedLogSumExp r = Softmax.signedLogSumExp(x, w);
                assertThat(r).as("%s, %s", a, Arrays.toString(w))
                        .isEqualTo(new SignedLogSumExp(Double.NEGATIVE_INFINITY, 0.0));
                assertThat(Softmax.logSumExp(x, w)).isEqualTo(Double.NEGATIVE_INFINITY);
            }
        }
        // a remainder far below the cancelled terms: correctly rounded
        double[] x = {0, 0, -575.6};
        double[] w = {1, -1, 1};
        assertThat(Softmax.signedLogSumExp(x, w)).isEqualTo(new SignedLogSumExp(-575.6, 1.0));
        ExactOracle.WeightedReference expected =
                ExactOracle.weighted(new double[] {3, 3, 3, -570}, new double[] {2, -1, -1, -7});
        assertThat(Softmax.signedLogSumExp(new double[] {3, 3, 3, -570}, new double[] {2, -1, -1, -7}))
                .isEqualTo(new SignedLogSumExp(expected.value(), -1.0));
    }

    /**
     * Cancellation between different x: the terms are accurate to 2^-80 (and the low part of a
     * term below 2^-80 of it is not kept), so log |S| errs by at most 2^-79 (sum of |terms|) /
     * |S| absolutely, the sign is right while |S| is above 2^-79 of the terms, and the result
     * is finite down to 2^-1100. Measured figures go to the report.
     */
    @Test
    void cancellationBetweenDifferentValuesStaysWithinTheBound() {
        Random random = new Random(23);
        double[][][] cases = {
            {{0, 0x1p-40}, {1, -1}},
            {{100, 100 + 0x1p-30}, {1, -1}},
            {{-3, -3 + 0x1p-20}, {-1, 1}},
            {{0, 1e-5, 2e-5, 3e-5}, {1, -3, 3, -1}},
            alternating(random, 1000),
            alternating(random, 100_000),
            {{0, Math.log(3), Math.log(2)}, {3, -1, -1}}, // 3 - 3 - 2 + ... cancels to about 2^-52
        };
        for (double[][] c : cases) {
            double[] x = c[0];
            double[] w = c[1];
            ExactOracle.WeightedReference expected = ExactOracle.weighted(x, w);
            SignedLogSumExp actual = Softmax.signedLogSumExp(x, w);
            BigDecimal terms = BigDecimal.ZERO;
            double m = Arrays.stream(x).max().getAsDouble();
            for (int i = 0; i < x.length; i++) {
                terms = terms.add(ExactOracle.exp(new BigDecimal(x[i]).subtract(new BigDecimal(m)))
                        .multiply(new BigDecimal(Math.abs(w[i]))));
            }
            double ratio = Math.log(terms.doubleValue()) + m - expected.value(); // log of sum |t| / |S|
            double bound = 0x1p-79 * Math.exp(ratio) + 2 * Math.ulp(expected.value());
            double error = Accuracy.absoluteError(actual.value(), expected.exactValue());
            TestReport.measured(String.format("signed cancellation, %d terms, |S| = 2^%.1f of the terms",
                    x.length, -ratio / Math.log(2)), String.format("%d ulps (absolute error %.3g, bound %.3g)",
                    Accuracy.ulpDistance(expected.value(), actual.value()), error, bound));
            assertThat(actual.sign()).isEqualTo(expected.sign());
            assertThat(error).isLessThanOrEqualTo(bound);
            if (ratio < 20 * Math.log(2)) { // |S| >= 2^-20 of the terms: within 2 ulps
                assertThat(Accuracy.ulpDistance(expected.value(), actual.value())).isLessThanOrEqualTo(2);
            }
        }
    }

    /** n values with weights +-1 alternating, each x a little above the last. */
    private static double[][] alternating(Random random, int n) {
        double[] x = new double[n];
        double[] w = new double[n];
        double v = -5;
        for (int i = 0; i < n; i++) {
            v += random.nextDouble() * 1e-3;
            x[i] = v;
            w[i] = i % 2 == 0 ? 1 : -1;
        }
        return new double[][] {x, w};
    }

    @Test
    void beyondTheBoundTheSignIsRightAndTheResultFinite() {
        // S = e^0 (1 - e^(2^-60)): the terms are equal to 2^-80, so S is out of reach
        double[] x = {0, 0x1p-60, -100};
        double[] w = {1, -1, 1e-40};
        SignedLogSumExp r = Softmax.signedLogSumExp(x, w);
        assertThat(r.value()).isFinite();
        assertThat(r.sign()).isEqualTo(ExactOracle.weighted(x, w).sign());
    }

    // ---------------------------------------------------------------- states

    @Test
    void weightedStatesMergeWithUnweightedOnesAndSurviveBytes() {
        double[] x = {1.5, -2, 1.5, -700.25, 3, 3};
        double[] w = {1, 1, 1, 1, 0.5, -0.5};
        ExactLogSumExp unweighted = ExactLogSumExp.of(1.5, -2, 1.5, -700.25);
        ExactLogSumExp weighted = ExactLogSumExp.create();
        weighted.accept(3, 0.5);
        weighted.accept(3, -0.5);
        LogSumExpAccumulator one = LogSumExpAccumulator.fromBytes(unweighted.toBytes());
        LogSumExpAccumulator two = LogSumExpAccumulator.fromBytes(weighted.toBytes());
        ExactLogSumExp all = ExactLogSumExp.create();
        all.acceptAll(x, w);
        assertThat(one.combine(two).toBytes()).isEqualTo(all.toBytes());
        assertThat(ExactLogSumExp.create().combine(weighted).combine(unweighted).finish()).isEqualTo(all.finish());
        // the +-0.5 terms cancel exactly: the sum is that of the unweighted values
        assertThat(all.finish().signedLogSumExp().value()).isEqualTo(unweighted.finish().logSumExp());
        assertThat(all.finish().status()).isEqualTo(Normalizer.Status.NEGATIVE_WEIGHT);
    }

    @Test
    void fastModeTakesWeightsToo() {
        double[] x = {1, 2, 3, 2};
        double[] w = {0.5, 2, 0.25, -1};
        ExactOracle.WeightedReference expected = ExactOracle.weighted(x, w);
        SignedLogSumExp fast = Softmax.signedLogSumExp(x, w, 1.0, SoftmaxMode.FAST);
        assertThat(fast.sign()).isEqualTo(expected.sign());
        assertThat(fast.value()).isCloseTo(expected.value(), within(1e-14));
        LogSumExpAccumulator acc = FastLogSumExp.create();
        acc.acceptAll(x, w);
        LogSumExpAccumulator back = LogSumExpAccumulator.fromBytes(acc.toBytes(), SoftmaxMode.FAST);
        assertThat(back.toBytes()).isEqualTo(acc.toBytes());
        assertThat(back.finish()).isEqualTo(acc.finish());
        assertThat(Softmax.softmax(x, new double[] {1, 2, 0, 1}, 1.0, SoftmaxMode.FAST)[2]).isEqualTo(0.0);
    }
}
