/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The special-value policy of {@link Normalizer}, row by row of its table, in both modes. */
class SpecialValuesTest {
    private static final double INF = Double.POSITIVE_INFINITY;
    private static final double NAN = Double.NaN;

    private static Normalizer finish(SoftmaxMode mode, double... x) {
        LogSumExpAccumulator acc = mode.newAccumulator();
        acc.acceptAll(x);
        return acc.finish();
    }

    @ParameterizedTest
    @EnumSource(SoftmaxMode.class)
    void emptyGivesMinusInfinity(SoftmaxMode mode) {
        Normalizer n = finish(mode);
        assertThat(n.status()).isEqualTo(Normalizer.Status.EMPTY);
        assertThat(n.logSumExp()).isEqualTo(-INF);
        assertThat(Softmax.softmax(new double[0], 1, mode)).isEmpty();
        assertThat(Softmax.logSumExp(new double[0], 1, mode)).isEqualTo(-INF);
    }

    @ParameterizedTest
    @EnumSource(SoftmaxMode.class)
    void anyNanMakesEveryRowNan(SoftmaxMode mode) {
        for (double[] x : new double[][] {{NAN, 1}, {1, NAN, INF}, {INF, NAN}, {NAN}, {-INF, NAN}}) {
            Normalizer n = finish(mode, x);
            assertThat(n.status()).isEqualTo(Normalizer.Status.NAN);
            assertThat(n.logSumExp()).isNaN();
            for (double v : x) {
                assertThat(n.prob(v)).isNaN();
                assertThat(n.logProb(v)).isNaN();
            }
        }
    }

    @ParameterizedTest
    @EnumSource(SoftmaxMode.class)
    void positiveInfinityMakesEveryRowNanAndLogSumExpInfinite(SoftmaxMode mode) {
        for (double[] x : new double[][] {{INF, 0}, {INF}, {INF, INF, -INF}, {-5, INF}}) {
            Normalizer n = finish(mode, x);
            assertThat(n.status()).isEqualTo(Normalizer.Status.POSITIVE_INFINITY);
            assertThat(n.logSumExp()).isEqualTo(INF);
            for (double v : x) {
                assertThat(n.prob(v)).isNaN();
                assertThat(n.logProb(v)).isNaN();
            }
        }
    }

    @ParameterizedTest
    @EnumSource(SoftmaxMode.class)
    void allNegativeInfinityIsNanWithLogSumExpMinusInfinity(SoftmaxMode mode) {
        Normalizer n = finish(mode, -INF, -INF);
        assertThat(n.status()).isEqualTo(Normalizer.Status.ALL_NEGATIVE_INFINITY);
        assertThat(n.logSumExp()).isEqualTo(-INF);
        assertThat(n.prob(-INF)).isNaN();
        assertThat(n.logProb(-INF)).isNaN();
    }

    @ParameterizedTest
    @EnumSource(SoftmaxMode.class)
    void negativeInfinityBesideFiniteValuesIsZeroAndChangesNothing(SoftmaxMode mode) {
        Normalizer with = finish(mode, -INF, 1.5, -2, -INF);
        Normalizer without = finish(mode, 1.5, -2);
        assertThat(with.prob(-INF)).isEqualTo(0.0);
        assertThat(with.logProb(-INF)).isEqualTo(-INF);
        assertThat(with.prob(1.5)).isEqualTo(without.prob(1.5));
        assertThat(with.logProb(-2)).isEqualTo(without.logProb(-2));
        assertThat(with.logSumExp()).isEqualTo(without.logSumExp());
    }

    @ParameterizedTest
    @EnumSource(SoftmaxMode.class)
    void negativeZeroIsTheSameAsZero(SoftmaxMode mode) {
        Normalizer n = finish(mode, -0.0, 0.0, 1);
        assertThat(n.prob(-0.0)).isEqualTo(n.prob(0.0));
        assertThat(n.logProb(-0.0)).isEqualTo(n.logProb(0.0));
        assertThat(finish(mode, -0.0, 1).logSumExp()).isEqualTo(finish(mode, 0.0, 1).logSumExp());
    }

    @ParameterizedTest
    @EnumSource(SoftmaxMode.class)
    void overflowingDifferencesRoundToZero(SoftmaxMode mode) {
        Normalizer n = finish(mode, -Double.MAX_VALUE, Double.MAX_VALUE);
        assertThat(n.prob(-Double.MAX_VALUE)).isEqualTo(0.0);
        assertThat(n.logProb(-Double.MAX_VALUE)).isEqualTo(-INF);
        assertThat(n.prob(Double.MAX_VALUE)).isEqualTo(1.0);
        assertThat(n.logSumExp()).isEqualTo(Double.MAX_VALUE);
    }

    @ParameterizedTest
    @EnumSource(SoftmaxMode.class)
    void statusTakesNanBeforeInfinityBeforeFinite(SoftmaxMode mode) {
        assertThat(finish(mode, 1, INF, NAN).status()).isEqualTo(Normalizer.Status.NAN);
        assertThat(finish(mode, 1, INF, -INF).status()).isEqualTo(Normalizer.Status.POSITIVE_INFINITY);
        assertThat(finish(mode, 1, -INF).status()).isEqualTo(Normalizer.Status.FINITE);
    }

    @ParameterizedTest
    @EnumSource(SoftmaxMode.class)
    void restoredNormalizersComputeTheSameBits(SoftmaxMode mode) {
        for (double[] x : new double[][] {{1, 2, 3}, {NAN, 1}, {-INF}, {}, {INF, 2}, {0.5, -1e6, 0.5}}) {
            Normalizer n = finish(mode, x);
            Normalizer restored = Normalizer.restore(n.mode(), n.status(), n.count(), n.max(), n.maxCount(),
                    n.logNormalizerHigh(), n.logNormalizerLow());
            assertThat(restored).isEqualTo(n);
            assertThat(bits(restored.logSumExp())).isEqualTo(bits(n.logSumExp()));
            for (double v : x) {
                assertThat(bits(restored.prob(v))).isEqualTo(bits(n.prob(v)));
                assertThat(bits(restored.logProb(v))).isEqualTo(bits(n.logProb(v)));
            }
        }
    }

    private static long bits(double v) {
        return Double.doubleToLongBits(v);
    }

    /**
     * The per-row entry points from fields (what the Spark map calls) give the bits of the
     * normalizer's own outputs, for members, for values outside the group and for NaN.
     */
    @Test
    void exactOutputsFromFieldsAreTheNormalizersBits() {
        double[][] groups = {{1000, 1}, {1000, 2000, 3000}, {-1, 0, 1, 2.5, -INF}, {0x1p-1074, -0.0, 0.0},
            {Double.MAX_VALUE, -Double.MAX_VALUE}, {-745.5, 0}, {5}, {1e-300, 2e-300, 700}};
        double[] others = {NAN, -INF, INF, 0, -0.0, 1e308, -1e308, 3.25, -800};
        for (double[] group : groups) {
            Normalizer n = finish(SoftmaxMode.EXACT, group);
            assertThat(n.status()).isEqualTo(Normalizer.Status.FINITE);
            for (double[] xs : new double[][] {group, others}) {
                for (double x : xs) {
                    double prob = Normalizer.exactProb(x, n.max(), n.logNormalizerHigh(), n.logNormalizerLow());
                    double logProb = Normalizer.exactLogProb(x, n.max(), n.logNormalizerHigh(), n.logNormalizerLow());
                    assertThat(Double.doubleToLongBits(prob)).as("prob of %s in %s", x, Arrays.toString(group))
                            .isEqualTo(Double.doubleToLongBits(n.prob(x)));
                    assertThat(Double.doubleToLongBits(logProb)).as("log_prob of %s in %s", x, Arrays.toString(group))
                            .isEqualTo(Double.doubleToLongBits(n.logProb(x)));
                }
            }
        }
        // a value far above the maximum: exp(x - m - L) is above Double.MAX_VALUE
        assertThat(finish(SoftmaxMode.EXACT, 5).prob(1e308)).isEqualTo(INF);
        assertThat(finish(SoftmaxMode.EXACT, 5, 4).prob(720)).isEqualTo(INF);
        // not members but finite: exp(x - 5 - log(1 + e^-1)), exactly rounded, from the oracle
        for (double x : new double[] {700, 715}) { // 715: exp(709.69), just below Double.MAX_VALUE
            BigDecimal exact = ExactOracle.exp(BigDecimal.valueOf(x - 5)
                    .subtract(ExactOracle.log1p(ExactOracle.exp(BigDecimal.valueOf(-1)))));
            assertThat(finish(SoftmaxMode.EXACT, 5, 4).prob(x)).isEqualTo(exact.doubleValue());
        }
    }
}
