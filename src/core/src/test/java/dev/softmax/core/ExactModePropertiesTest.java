/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Properties of the exact mode on random data from several distributions: exactly rounded
 * (0 ulps from {@link ExactOracle}, zeros of the right sign), and the same bits for random
 * partitionings merged in random tree orders with serialization round trips in between. Sizes
 * and tries are capped so the core suite stays well under two minutes; larger sizes:
 * {@code mvn test -Dtest=ExactModePropertiesTest -Dsoftmax.properties.maxSize=100000
 * -Djqwik.tries.default=1000}.
 */
class ExactModePropertiesTest {
    private static final int MAX_SIZE = Integer.getInteger("softmax.properties.maxSize", 3000);

    @Provide
    Arbitrary<double[]> data() {
        Arbitrary<Integer> sizes = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(6, Arbitraries.integers().between(1, 50)),
                net.jqwik.api.Tuple.of(3, Arbitraries.integers().between(51, MAX_SIZE)),
                net.jqwik.api.Tuple.of(1, Arbitraries.just(MAX_SIZE)));
        Arbitrary<Distribution> distributions = Arbitraries.of(Distribution.class);
        Arbitrary<Long> seeds = Arbitraries.longs();
        return Combinators.combine(sizes, distributions, seeds).as((n, d, seed) -> d.sample(n, new Random(seed)));
    }

    @Property(tries = 60)
    void exactlyRoundedAsTheOracle(@ForAll("data") double[] x) {
        ExactOracle.Reference expected = ExactOracle.softmax(x);
        Normalizer normalizer = ExactLogSumExp.of(x).finish();
        Accuracy.measure(normalizer, x, expected).assertExactlyRounded();
    }

    /** The largest size of the issue (10^5) once per run, for two distributions. */
    @Example
    void aHundredThousandValuesExactlyRounded() {
        for (Distribution distribution : new Distribution[] {Distribution.WIDE_NORMAL, Distribution.UNIFORM_LOGITS}) {
            double[] x = distribution.sample(100_000, new Random(distribution.ordinal()));
            exactlyRoundedAsTheOracle(x);
        }
    }

    @Property(tries = 40)
    void sameBitsForAnyPartitioningOrderAndRoundTrip(@ForAll("data") double[] x, @ForAll long seed) {
        Random random = new Random(seed);
        byte[] reference = ExactLogSumExp.of(x).toBytes();
        Normalizer expected = ExactLogSumExp.of(x).finish();
        for (int trial = 0; trial < 20; trial++) {
            LogSumExpAccumulator merged = randomTree(x, random);
            assertThat(merged.toBytes()).isEqualTo(reference);
            Normalizer actual = merged.finish();
            assertThat(actual).isEqualTo(expected);
            for (double v : x) {
                assertThat(Double.doubleToRawLongBits(actual.prob(v)))
                        .isEqualTo(Double.doubleToRawLongBits(expected.prob(v)));
                assertThat(Double.doubleToRawLongBits(actual.logProb(v)))
                        .isEqualTo(Double.doubleToRawLongBits(expected.logProb(v)));
            }
        }
    }

    @Property(tries = 200)
    void serializationRoundTripsBitForBit(@ForAll("data") double[] x) {
        for (SoftmaxMode mode : SoftmaxMode.values()) {
            LogSumExpAccumulator acc = mode.newAccumulator();
            acc.acceptAll(x);
            byte[] bytes = acc.toBytes();
            LogSumExpAccumulator back = LogSumExpAccumulator.fromBytes(bytes, mode);
            assertThat(back.toBytes()).isEqualTo(bytes);
            assertThat(back.finish()).isEqualTo(acc.finish());
        }
    }

    /**
     * Shuffles the values, cuts them into random parts, folds each part, passes some parts
     * through bytes, then merges the parts pairwise in a random order until one is left.
     */
    static LogSumExpAccumulator randomTree(double[] x, Random random) {
        double[] shuffled = x.clone();
        for (int i = shuffled.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            double t = shuffled[i];
            shuffled[i] = shuffled[j];
            shuffled[j] = t;
        }
        int parts = 1 + random.nextInt(Math.min(64, shuffled.length + 2));
        List<LogSumExpAccumulator> states = new ArrayList<>();
        for (int p = 0; p < parts; p++) {
            states.add(ExactLogSumExp.create()); // some stay empty: the identity
        }
        for (double v : shuffled) {
            states.get(random.nextInt(parts)).accept(v);
        }
        while (states.size() > 1) {
            LogSumExpAccumulator a = states.remove(random.nextInt(states.size()));
            LogSumExpAccumulator b = states.remove(random.nextInt(states.size()));
            if (random.nextBoolean()) {
                a = LogSumExpAccumulator.fromBytes(a.toBytes());
            }
            states.add(random.nextBoolean() ? a.combine(b) : b.combine(a));
        }
        return states.get(0);
    }

    /** The shapes of data the properties draw from. */
    enum Distribution {
        STANDARD_NORMAL {
            @Override
            double next(Random r) {
                return r.nextGaussian();
            }
        },
        WIDE_NORMAL {
            @Override
            double next(Random r) {
                return r.nextGaussian() * 300;
            }
        },
        UNIFORM_LOGITS {
            @Override
            double next(Random r) {
                return r.nextDouble() * 40 - 20;
            }
        },
        LARGE_OFFSET {
            @Override
            double next(Random r) {
                return 1e7 + r.nextGaussian() * 5;
            }
        },
        ANY_MAGNITUDE {
            @Override
            double next(Random r) {
                double v = Math.scalb(1 + r.nextDouble(), r.nextInt(2098) - 1075);
                return r.nextBoolean() ? v : -v;
            }
        },
        FEW_DISTINCT_WITH_TIES {
            @Override
            double next(Random r) {
                return r.nextInt(5) * 0.75;
            }
        },
        NEAR_MAX_VALUE {
            @Override
            double next(Random r) {
                return Double.MAX_VALUE * (1 - r.nextDouble() * 1e-10) * (r.nextInt(8) == 0 ? -1 : 1);
            }
        };

        abstract double next(Random r);

        double[] sample(int n, Random r) {
            double[] x = new double[n];
            Arrays.setAll(x, i -> next(r));
            return x;
        }
    }
}
