/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.Random;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Adversarial cases (overflow of the naive formula, ties, long sorted runs, subnormals, huge
 * magnitudes, cancelling logsumexp, anchor boundaries), in exact mode, against
 * {@link ExactOracle} (BigDecimal at 50 digits, each result rounded once to double). prob and
 * log_prob must be the exactly rounded value on every row (0 ulps, and the sign of a zero as the
 * oracle gives it); logsumexp too, except where m + L cancels: there it must be m + L_hi + L_lo
 * exactly rounded, within the documented absolute bound of the truth. Each case reports its
 * measured maxima ({@link TestReport}).
 */
class AdversarialCasesTest {

    static Stream<Arguments> cases() {
        return Stream.of(
                named("[1000, 2000, 3000] (the naive form gives NaN)", () -> new double[] {1000, 2000, 3000}),
                named("[0, -40]", () -> new double[] {0, -40}),
                named("[0.1, -700.3]", () -> new double[] {0.1, -700.3}),
                named("[MAX, MAX]", () -> new double[] {Double.MAX_VALUE, Double.MAX_VALUE}),
                named("[-MAX, MAX, 1e308, -1e308]",
                        () -> new double[] {-Double.MAX_VALUE, Double.MAX_VALUE, 1e308, -1e308}),
                named("[1e16, 1e16 + 2]", () -> new double[] {1e16, 1e16 + 2}),
                named("[5e-324, 0.0, -0.0]", () -> new double[] {5e-324, 0.0, -0.0}),
                named("subnormals", () -> new double[] {Double.MIN_VALUE, 2 * Double.MIN_VALUE, -Double.MIN_VALUE,
                        Double.MIN_NORMAL}),
                named("single value", () -> new double[] {7.5}),
                named("single -0.0", () -> new double[] {-0.0}),
                named("ties at the max", () -> ties()),
                named("60,000 sorted values in [0, 40)", () -> sorted(60_000, 0, 40)),
                named("10,000 ascending in [-500, 500)", () -> sorted(10_000, -500, 500)),
                named("[0] then 2^20 copies of -36", () -> manyTiny()),
                named("binades below the max (x - m inexact)", () -> binades()),
                named("one value 40 above 300 others", () -> oneAbove()),
                named("anchor boundaries", () -> anchorBoundaries()),
                named("x - m near -1024 (dropped anchors)", () -> dropBoundary()),
                named("huge negative magnitudes", () -> hugeNegative()),
                named("already log-probabilities (lse cancels)", () -> logProbabilities()),
                named("[-ln2, -ln2] (lse cancels)", () -> new double[] {-Math.log(2), -Math.log(2)}),
                named("L subnormal: [0, -736.508...]", () -> new double[] {0, -736.5080775713407}),
                named("L near the smallest normal: [0, -707.218...]", () -> new double[] {0, -707.2186266353089}),
                named("L near the smallest normal: [-3, -710.79..., -710.79...]",
                        () -> new double[] {-3.0, -710.7919946814967, -710.7909946814967}),
                named("L with a subnormal low part: [0, -703.964...]", () -> new double[] {0, -703.9646051772952}),
                named("tiny L two anchors apart: [-355.08..., 336.83...]",
                        () -> new double[] {-355.08311589621877, 336.8306516305153}),
                named("-inf beside finite values",
                        () -> new double[] {Double.NEGATIVE_INFINITY, 1.5, -2, Double.NEGATIVE_INFINITY}),
                named("x - m overflows", () -> new double[] {-Double.MAX_VALUE, Double.MAX_VALUE, 0.0}));
    }

    private static Arguments named(String name, Supplier<double[]> values) {
        return Arguments.of(Named.of(name, values));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void exactModeIsExactlyRounded(Supplier<double[]> values, TestInfo test) {
        double[] x = values.get();
        ExactOracle.Reference expected = ExactOracle.softmax(x);
        Normalizer normalizer = ExactLogSumExp.of(x).finish();
        Accuracy accuracy = Accuracy.measure(normalizer, x, expected);
        TestReport.measured("exact mode, " + test.getDisplayName(), accuracy);
        accuracy.assertExactlyRounded();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void rowWiseFunctionsAgreeWithTheAccumulator(Supplier<double[]> values) {
        double[] x = values.get();
        Normalizer normalizer = ExactLogSumExp.of(x).finish();
        double[] prob = Softmax.softmax(x);
        double[] logProb = Softmax.logSoftmax(x);
        for (int i = 0; i < x.length; i++) {
            assertThat(prob[i]).isEqualTo(normalizer.prob(x[i]));
            assertThat(logProb[i]).isEqualTo(normalizer.logProb(x[i]));
        }
        assertThat(Softmax.logSumExp(x)).isEqualTo(normalizer.logSumExp());
    }

    static double[] ties() {
        double[] x = new double[1010];
        Arrays.fill(x, 0, 1000, 2.5);
        Arrays.fill(x, 1000, 1010, 1.0);
        return x;
    }

    static double[] sorted(int n, double from, double to) {
        Random random = new Random(42);
        double[] x = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = from + (to - from) * random.nextDouble();
        }
        Arrays.sort(x);
        return x;
    }

    static double[] manyTiny() {
        double[] x = new double[1 + (1 << 20)];
        Arrays.fill(x, -36);
        x[0] = 0;
        return x;
    }

    static double[] binades() {
        Random random = new Random(7);
        double m = 1e10 + 0.5;
        double[] x = new double[2000];
        x[0] = m;
        for (int i = 1; i < x.length; i++) {
            double offset = Math.scalb(1 + random.nextDouble(), random.nextInt(80) - 40);
            x[i] = m - offset;
        }
        return x;
    }

    static double[] oneAbove() {
        double[] x = new double[301];
        x[0] = 40;
        Random random = new Random(3);
        for (int i = 1; i < x.length; i++) {
            x[i] = random.nextDouble() * 1e-3;
        }
        return x;
    }

    static double[] anchorBoundaries() {
        double[] x = new double[16];
        int i = 0;
        for (double q = -3; q <= 4; q++) {
            x[i++] = 512 * q + 256;
            x[i++] = Math.nextDown(512 * q - 256);
        }
        return x;
    }

    static double[] dropBoundary() {
        double m = 256 * 3 - 1e-9;
        return new double[] {m, m - 1023, m - 1024.5, m - 1100, m - 800, m - 745, m - 700, m - 1};
    }

    static double[] hugeNegative() {
        Random random = new Random(11);
        double[] x = new double[500];
        for (int i = 0; i < x.length; i++) {
            x[i] = -1e300 * (1 + random.nextDouble() * 1e-297);
        }
        return x;
    }

    static double[] logProbabilities() {
        Random random = new Random(5);
        double[] z = new double[1000];
        for (int i = 0; i < z.length; i++) {
            z[i] = random.nextGaussian() * 3;
        }
        return ExactOracle.softmax(z).logProb();
    }
}
