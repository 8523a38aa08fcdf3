/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
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

    /**
     * A weight of 0 is a mask (the state is unchanged); a weight of 1 is the term exp(x) with
     * its third part, so it makes the state weighted (format 2; the unweighted accept(x) keeps
     * format 1), and its outputs are those of the unweighted rows.
     */
    @Test
    void weightOneIsTheUnweightedTermAndWeightZeroAMask() {
        double[] x = {1.5, -2, 1.5, -700.25, Double.NEGATIVE_INFINITY};
        ExactLogSumExp weighted = ExactLogSumExp.create();
        ExactLogSumExp masked = ExactLogSumExp.create();
        for (double v : x) {
            weighted.accept(v, 1.0);
            masked.accept(v, 1.0);
            masked.accept(v * 3, 0.0);
            masked.accept(Double.NaN, 0.0);
        }
        assertThat(masked.toBytes()).isEqualTo(weighted.toBytes());
        assertThat(weighted.toBytes()[0]).isEqualTo(StateFormat.FORMAT_VERSION_WEIGHTED);
        Normalizer unweighted = ExactLogSumExp.of(x).finish();
        Normalizer ones = weighted.finish();
        assertThat(ones.logSumExp()).isEqualTo(unweighted.logSumExp());
        for (double v : x) {
            assertThat(ones.prob(v, 1.0)).isEqualTo(unweighted.prob(v));
            assertThat(ones.logProb(v, 1.0)).isEqualTo(unweighted.logProb(v));
        }
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
     * [a, a + 2^-40] with [1, -1] (|S| about 2^-41 of the terms): exactly rounded for every a,
     * large ones and those at anchor centres (multiples of 512) and boundaries (odd multiples
     * of 256, where the two terms fall in different anchors) included. Where a + 2^-40 is a,
     * the next double up.
     */
    @Test
    void differenceOfTwoNearbyTermsIsExactlyRounded() {
        Random random = new Random(41);
        List<Double> as = new ArrayList<>(List.of(0.0, 1.0, -1.0, 0.1, 3.5, 100.0, -700.5, 700.0, 1e5, -1e5, 1e10,
                255.99, 256.0, 256.0 - 0x1p-41, -256.0, -256.0 - 0x1p-41, 512.0, -512.0, 767.9, 768.0, 1024.0,
                5 * 512.0 + 256, 1e300, -1e300, 0x1p-30, -0x1p-30));
        for (int i = 0; i < 200; i++) {
            as.add(random.nextGaussian() * Math.scalb(1.0, random.nextInt(12)));
            as.add(512.0 * (random.nextInt(41) - 20) + 256 * (random.nextInt(3) - 1) + random.nextGaussian() * 1e-6);
        }
        int slow = 0;
        for (double a : as) {
            double b = a + 0x1p-40 == a ? Math.nextUp(a) : a + 0x1p-40;
            for (double[] w : new double[][] {{1, -1}, {-1, 1}, {0.75, -0.75}}) {
                long before = ExactWeights.SIGNED_LOG_SLOW.sum();
                assertExactlyRounded(new double[] {a, b}, w);
                slow += (int) (ExactWeights.SIGNED_LOG_SLOW.sum() - before);
            }
        }
        TestReport.measured("[a, a + 2^-40] with [1, -1], " + 3 * as.size() + " cases, 0 ulps",
                "slow path runs: " + slow);
    }

    /**
     * [a, a + 2^-d] with [1, -1] for d = 1 to 80 (|S| about 2^-d of the terms; a small, so
     * that a + 2^-d is a double), and the deeper family [a, b, b, b] with [1, -c1, -c2, -c3],
     * c1 + c2 + c3 = e^(a - b) cut to K bits (|S| about 2^-K of the terms, K up to 80):
     * exactly rounded up to the documented bound, 2^-78.
     */
    @Test
    void cancellationToTheBoundIsExactlyRounded() {
        Random random = new Random(43);
        for (int d = 1; d <= 80; d++) {
            double a = Math.scalb(1 + random.nextDouble(), Math.min(-1, 51 - d - 8)) * (random.nextBoolean() ? 1 : -1);
            double b = a + Math.scalb(1.0, -d);
            assertExactlyRounded(new double[] {a, b}, new double[] {1, -1});
            assertExactlyRounded(new double[] {b, a}, new double[] {-1, 1});
        }
        for (int k = 10; k <= 78; k++) {
            for (int trial = 0; trial < 5; trial++) {
                double[][] c = cancellingTo(k, random);
                assertExactlyRounded(c[0], c[1]);
            }
        }
    }

    /**
     * Beyond the bound: below 2^-78 of the terms log |S| may be off by more than an ulp (a
     * term's error, 2^-130.5 of it, is no longer below half an ulp of log |S| relative to
     * |S|), but the sign is right while |S| is above 2^-130 of the terms and the result is
     * finite; the error is within the documented 2^-130.5 (sum of |terms|) / |S|.
     */
    /**
     * A weighted term as deposited, (th + tl + t3) 2^n, against exp(r) in BigDecimal: within
     * 2^-130.5 relative (t3 is rounded once, at about 2^-78 of the term, and cut at 2^-150; the
     * kernel errs by 2^-134), for r over the anchor ranges of j = 0 and j != 0.
     */
    @Test
    void aDepositedTermIsAccurateTo2ToTheMinus130Point5() {
        Random random = new Random(53);
        double[] out = new double[6];
        double worst = 0;
        for (int i = 0; i < 4000; i++) {
            double r0 = i % 4 == 0 ? Math.scalb(random.nextDouble(), -random.nextInt(200))
                    : (random.nextDouble() * 2 - 1) * 256;
            int j = i % 3 == 0 ? random.nextInt(3) - 1 : 0;
            int n = ExactWeights.termWithCorrection(r0, j, out);
            BigDecimal deposited = new BigDecimal(out[0]).add(new BigDecimal(out[1])).add(new BigDecimal(out[2]))
                    .multiply(ExactOracle.pow2(n));
            BigDecimal exact = ExactOracle.exp(new BigDecimal(r0).subtract(BigDecimal.valueOf(512L * j)));
            worst = Math.max(worst, deposited.subtract(exact).abs().divide(exact, ExactOracle.MC).doubleValue());
        }
        TestReport.measured("weighted term with its third part, worst relative error", TestReport.powerOfTwo(worst));
        assertThat(worst).isLessThan(TERM_ERROR);
    }

    /** The documented error of a deposited term, relative to it: 2^-130.5. */
    private static final double TERM_ERROR = Math.pow(2, -130.5);

    @Test
    void beyondTheBoundTheSignIsRightAndTheErrorBounded() {
        Random random = new Random(47);
        double worst = 0;
        for (int k = 79; k <= 125; k++) {
            for (int trial = 0; trial < 3; trial++) {
                double[][] c = cancellingTo(k, random);
                ExactOracle.WeightedReference expected = ExactOracle.weighted(c[0], c[1]);
                SignedLogSumExp actual = Softmax.signedLogSumExp(c[0], c[1]);
                assertThat(actual.value()).isFinite();
                assertThat(actual.sign()).as("K = %d", k).isEqualTo(expected.sign());
                double error = Accuracy.absoluteError(actual.value(), expected.exactValue());
                double bound = TERM_ERROR * Math.exp(ratio(c[0], c[1], expected)) + Math.ulp(expected.value());
                assertThat(error).as("K = %d", k).isLessThanOrEqualTo(bound);
                double beyondRounding = Math.max(0, error - Math.ulp(expected.value()) / 2);
                worst = Math.max(worst, beyondRounding / (Math.exp(ratio(c[0], c[1], expected)) * TERM_ERROR));
            }
        }
        TestReport.measured("beyond the bound, K = 79..125, worst error beyond rounding / bound",
                String.format("%.3g", worst));
        // the old example: S = 1 - e^(2^-60) + 1e-40 e^-100
        double[] x = {0, 0x1p-60, -100};
        double[] w = {1, -1, 1e-40};
        assertExactlyRounded(x, w);
    }

    /**
     * Long alternating sums with weights +-1 of different x: 10^3 and 10^5 terms a little apart
     * (cancelling to about 2^-12), and 10^3 terms 2^-40 apart (to about 2^-42): 0 ulps.
     */
    @Test
    void longAlternatingSumsAreExactlyRounded() {
        Random random = new Random(23);
        assertExactlyRounded(alternating(random, 1000, 1e-3));
        assertExactlyRounded(alternating(random, 100_000, 1e-3));
        assertExactlyRounded(alternating(random, 1000, 0x1p-40));
        assertExactlyRounded(alternating(random, 1001, 0x1p-40));
        double[][] wide = alternating(random, 2000, 0x1p-36);
        for (int i = 0; i < wide[0].length; i++) {
            wide[0][i] += 512 * (i % 3); // over three anchors
        }
        assertExactlyRounded(wide);
        assertExactlyRounded(new double[] {0, 1e-5, 2e-5, 3e-5}, new double[] {1, -3, 3, -1}); // about 2^-50
    }

    private static void assertExactlyRounded(double[][] rows) {
        assertExactlyRounded(rows[0], rows[1]);
    }

    /** Softmax.signedLogSumExp (and logsumexp) at 0 ulps from the oracle, the sign equal. */
    static void assertExactlyRounded(double[] x, double[] w) {
        ExactOracle.WeightedReference expected = ExactOracle.weighted(x, w);
        SignedLogSumExp actual = Softmax.signedLogSumExp(x, w);
        String what = x.length <= 4 ? Arrays.toString(x) + " " + Arrays.toString(w) : x.length + " rows";
        assertThat(actual.sign()).as(what).isEqualTo(expected.sign());
        assertThat(Accuracy.ulpDistance(expected.value(), actual.value())).as(what + ": %s vs %s",
                actual.value(), expected.value()).isZero();
        assertThat(Double.doubleToLongBits(Softmax.logSumExp(x, w))).as(what) // NaN where S < 0
                .isEqualTo(Double.doubleToLongBits(expected.logSumExp()));
    }

    /** log of (sum of |terms|) / |S|, from the oracle's terms. */
    static double ratio(double[] x, double[] w, ExactOracle.WeightedReference expected) {
        BigDecimal terms = BigDecimal.ZERO;
        double m = Arrays.stream(x).max().getAsDouble();
        for (int i = 0; i < x.length; i++) {
            terms = terms.add(ExactOracle.exp(new BigDecimal(x[i]).subtract(new BigDecimal(m)))
                    .multiply(new BigDecimal(Math.abs(w[i]))));
        }
        return Math.log(terms.doubleValue()) + m - expected.value();
    }

    /**
     * Rows [a, b, b, b] with weights [1, -c1, -c2, -c3], c1 + c2 + c3 = e^(a - b) cut to k + 1
     * significant bits (a random, b = a - 1 - u): S = e^a (1 - (c1 + c2 + c3) e^(b - a)), about
     * 2^-k of the terms (equal x are summed exactly, so the three weights act as one).
     */
    static double[][] cancellingTo(int k, Random random) {
        double a = (random.nextDouble() * 2 - 1) * 600;
        double b = a - 1 - random.nextDouble();
        BigDecimal ratio = ExactOracle.exp(new BigDecimal(a).subtract(new BigDecimal(b)));
        // keep k + 1 significant bits of the ratio (it lies in [e, e^2), so 2 bits before the point)
        BigDecimal scale = new BigDecimal(java.math.BigInteger.ONE.shiftLeft(k - 1));
        BigDecimal cut = new BigDecimal(ratio.multiply(scale).toBigInteger()).divide(scale);
        double c1 = cut.doubleValue();
        BigDecimal rest = cut.subtract(new BigDecimal(c1));
        double c2 = rest.doubleValue();
        double c3 = rest.subtract(new BigDecimal(c2)).doubleValue();
        return new double[][] {{a, b, b, b}, {1, -c1, -c2, -c3}};
    }

    /** n values with weights +-1 alternating, each x a little (up to step) above the last. */
    private static double[][] alternating(Random random, int n, double step) {
        double[] x = new double[n];
        double[] w = new double[n];
        double v = -5;
        for (int i = 0; i < n; i++) {
            v += step > 1e-6 ? random.nextDouble() * step : step;
            x[i] = v;
            w[i] = i % 2 == 0 ? 1 : -1;
        }
        return new double[][] {x, w};
    }

    // ---------------------------------------------------------------- states

    /**
     * An unweighted state merged into a weighted one: its rows have no third parts, so the
     * merged state is marked (flag 0x40) and its finish leaves every third part out, exactly as
     * the same rows accepted unweighted into the weighted state; equal x still cancel exactly.
     */
    @Test
    void weightedStatesMergeWithUnweightedOnesAndSurviveBytes() {
        double[] unweightedX = {1.5, -2, 1.5, -700.25};
        ExactLogSumExp unweighted = ExactLogSumExp.of(unweightedX);
        ExactLogSumExp weighted = ExactLogSumExp.create();
        weighted.accept(3, 0.5);
        weighted.accept(3, -0.5);
        LogSumExpAccumulator one = LogSumExpAccumulator.fromBytes(unweighted.toBytes());
        LogSumExpAccumulator two = LogSumExpAccumulator.fromBytes(weighted.toBytes());
        ExactLogSumExp all = ExactLogSumExp.create();
        all.accept(3, 0.5);
        all.acceptAll(unweightedX);
        all.accept(3, -0.5);
        ExactLogSumExp reversed = ExactLogSumExp.create();
        reversed.acceptAll(unweightedX);
        reversed.accept(3, -0.5);
        reversed.accept(3, 0.5);
        assertThat(one.combine(two).toBytes()).isEqualTo(all.toBytes()).isEqualTo(reversed.toBytes());
        assertThat(all.toBytes()[2] & StateFormat.FLAG_UNCORRECTED).isNotZero();
        assertThat(ExactLogSumExp.create().combine(weighted).combine(unweighted).finish()).isEqualTo(all.finish());
        // the +-0.5 terms cancel exactly: the sum is that of the unweighted values
        assertThat(all.finish().signedLogSumExp().value()).isEqualTo(unweighted.finish().logSumExp());
        assertThat(all.finish().status()).isEqualTo(Normalizer.Status.NEGATIVE_WEIGHT);
        // [a] unweighted beside [a] with weight -1: zero exactly, whichever comes first
        ExactLogSumExp a = ExactLogSumExp.of(2.5);
        ExactLogSumExp minusA = ExactLogSumExp.create();
        minusA.accept(2.5, -1.0);
        assertThat(a.copy().combine(minusA).finish().signedLogSumExp())
                .isEqualTo(new SignedLogSumExp(Double.NEGATIVE_INFINITY, 0.0));
        assertThat(minusA.copy().combine(a).finish().signedLogSumExp())
                .isEqualTo(new SignedLogSumExp(Double.NEGATIVE_INFINITY, 0.0));
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
