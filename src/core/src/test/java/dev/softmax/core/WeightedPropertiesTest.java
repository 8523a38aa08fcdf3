/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Weighted rows in exact mode: the same bits for any partitioning, merge order and
 * serialization round trip (also mixed with unweighted rows and states), and 0 ulps against
 * {@link ExactOracle#weighted} for weights &gt;= 0.
 */
class WeightedPropertiesTest {

    /** Rows (x, w): x from the core's distributions, w of several shapes, signed or not. */
    @Provide
    Arbitrary<double[][]> rows() {
        Arbitrary<Integer> sizes = Arbitraries.integers().between(1, 400);
        Arbitrary<ExactModePropertiesTest.Distribution> distributions =
                Arbitraries.of(ExactModePropertiesTest.Distribution.class);
        return Combinators.combine(sizes, distributions, Arbitraries.longs(), Arbitraries.integers().between(0, 5))
                .as((n, d, seed, shape) -> {
                    Random r = new Random(seed);
                    double[] x = d.sample(n, r);
                    double[] w = new double[n];
                    for (int i = 0; i < n; i++) {
                        w[i] = weight(shape, r);
                    }
                    return new double[][] {x, w};
                });
    }

    private static double weight(int shape, Random r) {
        switch (shape) {
            case 0:
                return r.nextDouble();
            case 1:
                return r.nextInt(3) == 0 ? 0.0 : 1.0; // a mask
            case 2:
                return Math.scalb(1 + r.nextDouble(), r.nextInt(600) - 300);
            case 3:
                return r.nextGaussian();
            case 4:
                return r.nextInt(5) - 2; // small integers of both signs: many exact cancellations
            default:
                return new double[] {0.5, 0.25, -0.75, 1, -1, 0}[r.nextInt(6)];
        }
    }

    @Property(tries = 40)
    void sameBitsForAnyPartitioningWithWeights(@ForAll("rows") double[][] rows, @ForAll long seed) {
        double[] x = rows[0];
        double[] w = rows[1];
        Random random = new Random(seed);
        // some rows of weight 1 through the unweighted accept(x): a property of the row, kept
        // in every trial (such rows have no third parts, and the state says so: see ExactWeights)
        boolean[] unweightedApi = new boolean[x.length];
        ExactLogSumExp reference = ExactLogSumExp.create();
        for (int i = 0; i < x.length; i++) {
            unweightedApi[i] = w[i] == 1.0 && seed % 3 == 0 && random.nextBoolean();
            if (unweightedApi[i]) {
                reference.accept(x[i]);
            } else {
                reference.accept(x[i], w[i]);
            }
        }
        byte[] bytes = reference.toBytes();
        Normalizer expected = reference.finish();
        for (int trial = 0; trial < 10; trial++) {
            int[] order = shuffled(x.length, random);
            int parts = 1 + random.nextInt(Math.min(16, x.length + 2));
            List<LogSumExpAccumulator> states = new ArrayList<>();
            for (int p = 0; p < parts; p++) {
                states.add(ExactLogSumExp.create());
            }
            for (int i : order) {
                LogSumExpAccumulator s = states.get(random.nextInt(parts));
                if (unweightedApi[i]) {
                    s.accept(x[i]);
                } else {
                    s.accept(x[i], w[i]);
                }
            }
            while (states.size() > 1) {
                LogSumExpAccumulator a = states.remove(random.nextInt(states.size()));
                LogSumExpAccumulator b = states.remove(random.nextInt(states.size()));
                if (random.nextBoolean()) {
                    a = LogSumExpAccumulator.fromBytes(a.toBytes());
                }
                states.add(random.nextBoolean() ? a.combine(b) : b.combine(a));
            }
            LogSumExpAccumulator merged = states.get(0);
            assertThat(merged.toBytes()).isEqualTo(bytes);
            Normalizer actual = merged.finish();
            assertThat(actual).isEqualTo(expected);
            for (int i = 0; i < x.length; i++) {
                assertThat(Double.doubleToRawLongBits(actual.prob(x[i], w[i])))
                        .isEqualTo(Double.doubleToRawLongBits(expected.prob(x[i], w[i])));
                assertThat(Double.doubleToRawLongBits(actual.logProb(x[i], w[i])))
                        .isEqualTo(Double.doubleToRawLongBits(expected.logProb(x[i], w[i])));
            }
        }
    }

    /** log_prob outputs that fell in the documented band around a tie (counted for the report). */
    private static long nearTies;

    @net.jqwik.api.lifecycle.AfterContainer
    static void report() {
        TestReport.measured("weighted properties", "log_prob within 2^-95 of a tie, 1 ulp off: " + nearTies);
    }

    @Property(tries = 60)
    void nonNegativeWeightsExactlyRoundedAsTheOracle(@ForAll("rows") double[][] rows) {
        double[] x = rows[0];
        double[] w = rows[1].clone();
        for (int i = 0; i < w.length; i++) {
            w[i] = Math.abs(w[i]);
        }
        ExactOracle.WeightedReference expected = ExactOracle.weighted(x, w);
        Normalizer normalizer = Softmax.normalizer(x, w, SoftmaxMode.EXACT);
        for (int i = 0; i < x.length; i++) {
            double prob = normalizer.prob(x[i], w[i]);
            double logProb = normalizer.logProb(x[i], w[i]);
            if (cancels(expected.logProb()[i], w[i], normalizer)) { // absolutely accurate (Javadoc)
                assertThat(Math.abs(logProb - expected.logProb()[i]))
                        .isLessThanOrEqualTo(cancellationBound(normalizer, expected.logProb()[i]));
                continue;
            }
            long ulps = Accuracy.ulpDistance(expected.logProb()[i], logProb);
            if (ulps != 0) {
                // the documented band: L is a double-double, so where log(w) - L is below 2^-100
                // of x - m and x - m is a tie between two doubles, the tie is either neighbour
                BigDecimal midpoint = new BigDecimal(expected.logProb()[i]).add(new BigDecimal(logProb))
                        .divide(BigDecimal.valueOf(2));
                double distance = expected.logProbExact()[i].subtract(midpoint).abs().doubleValue();
                assertThat(ulps).as("log_prob ulps").isEqualTo(1);
                assertThat(distance).as("distance to the midpoint").isLessThan(0x1p-95 * Math.abs(logProb));
                nearTies++;
                continue;
            }
            assertThat(Accuracy.ulpDistance(expected.prob()[i], prob)).as("prob").isZero();
        }
        double lse = normalizer.logSumExp();
        if (expected.exactValue() != null && Math.abs(lse) < 1e-3) { // m + L cancels: absolutely accurate
            assertThat(Accuracy.absoluteError(lse, expected.exactValue())).isLessThan(0x1p-70);
        } else {
            assertThat(Accuracy.ulpDistance(expected.logSumExp(), lse)).as("logsumexp").isZero();
        }
    }

    /**
     * Signed sums that cancel: pairs (a, w), (a + d, -w) with d = 2^-1 to 2^-40 (a over the
     * anchors, centres and boundaries included), a few unpaired rows, random weights; and one
     * try in three {@link WeightedTest#cancellingTo} (|S| about 2^-1 to 2^-100 of the terms). While
     * |S| is at least 2^-78 of the sum of |w exp(x)| (the bound of Normalizer's Javadoc),
     * log |S| is exactly rounded (0 ulps from the oracle) with the right sign; below it, the
     * sign is right while |S| is above 2^-130 of it and the result is finite. Counts go to
     * the report.
     */
    @Property(tries = 120)
    void cancellingSignedSumsAreExactlyRoundedAboveTheBound(@ForAll("cancelling") double[][] rows) {
        double[] x = rows[0];
        double[] w = rows[1];
        ExactOracle.WeightedReference expected = ExactOracle.weighted(x, w);
        SignedLogSumExp actual = Softmax.signedLogSumExp(x, w);
        if (expected.sign() == 0) {
            assertThat(actual).isEqualTo(new SignedLogSumExp(Double.NEGATIVE_INFINITY, 0.0));
            return;
        }
        double bits = WeightedTest.ratio(x, w, expected) / Math.log(2); // |S| = 2^-bits of the terms
        deepest = Math.max(deepest, bits);
        if (bits <= 78) {
            assertThat(actual.sign()).isEqualTo(expected.sign());
            assertThat(Accuracy.ulpDistance(expected.value(), actual.value())).as("ulps at 2^-%.1f", bits).isZero();
            checked++;
        } else if (bits <= 130) {
            assertThat(actual.sign()).isEqualTo(expected.sign());
            assertThat(actual.value()).isFinite();
        }
    }

    private static long checked;
    private static double deepest;

    @net.jqwik.api.lifecycle.AfterContainer
    static void reportCancellation() {
        TestReport.measured("cancelling signed sums", checked + " at 0 ulps, deepest cancellation 2^-"
                + Math.round(deepest));
    }

    @Provide
    Arbitrary<double[][]> cancelling() {
        return Combinators.combine(Arbitraries.integers().between(1, 12), Arbitraries.longs())
                .as((pairs, seed) -> {
                    Random r = new Random(seed);
                    if (r.nextInt(3) == 0) { // one term less nearly equal weighted terms: |S| down to 2^-100
                        return WeightedTest.cancellingTo(1 + r.nextInt(100), r);
                    }
                    int extra = r.nextInt(3);
                    double[] x = new double[2 * pairs + extra];
                    double[] w = new double[x.length];
                    double base = r.nextInt(4) == 0 ? 512.0 * (r.nextInt(9) - 4) + 256 * (r.nextInt(3) - 1) : 0;
                    for (int i = 0; i < pairs; i++) {
                        double a = base + (r.nextDouble() * 2 - 1) * (r.nextBoolean() ? 1 : 40);
                        double d = Math.scalb(1 + r.nextDouble(), -1 - r.nextInt(40));
                        double weight = Math.scalb(0.5 + r.nextDouble(), r.nextInt(9) - 4) * (r.nextBoolean() ? 1 : -1);
                        x[2 * i] = a;
                        w[2 * i] = weight;
                        x[2 * i + 1] = a + d;
                        w[2 * i + 1] = -weight;
                    }
                    for (int i = 2 * pairs; i < x.length; i++) {
                        x[i] = base + (r.nextDouble() * 2 - 1) * 40 - 60;
                        w[i] = r.nextGaussian();
                    }
                    return new double[][] {x, w};
                });
    }

    /**
     * Whether log(w) + (x - m) - L cancels: the result is below 2^-20 of |log w| + |L|. There
     * log_prob is exactly rounded from L but only absolutely accurate (L errs by about 2^-80 L).
     */
    static boolean cancels(double expected, double w, Normalizer normalizer) {
        return Math.abs(expected) < 0x1p-20 * (Math.abs(Math.log(w)) + Math.abs(normalizer.logNormalizerHigh()));
    }

    /** The documented absolute bound of a cancelling weighted log_prob: 2^-78 max(1, |L|), plus its ulp. */
    static double cancellationBound(Normalizer normalizer, double expected) {
        return 0x1p-78 * Math.max(1, Math.abs(normalizer.logNormalizerHigh())) + Math.ulp(expected);
    }

    private static int[] shuffled(int n, Random random) {
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }
}
