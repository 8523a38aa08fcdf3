/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.core.benchmark;

import dev.softmax.core.ExactLogSumExp;
import dev.softmax.core.FastLogSumExp;
import dev.softmax.core.Normalizer;
import dev.softmax.core.SoftmaxMode;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Costs of the numeric core, in ns per element over 10^6 standard-normal doubles (the bare
 * {@code Math.exp} sum loop is the baseline of the same run), and per combine and per finish.
 * Run with the {@code jmh} profile of {@code src/benchmarks/pom.xml}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "-Xmx1g")
public class CoreBenchmark {
    private static final int N = 1_000_000;

    private double[] values;
    /** Weights of either sign, |w| in [0.5, 1.5): never 1, so every row is a weighted deposit. */
    private double[] weights;
    private Normalizer exactNormalizer;
    private Normalizer fastNormalizer;
    private ExactLogSumExp exactPartA;
    private ExactLogSumExp exactPartB;
    private FastLogSumExp fastPartA;
    private FastLogSumExp fastPartB;
    private ExactLogSumExp typicalGroup;

    @Setup
    public void setUp() {
        Random random = new Random(42);
        values = new double[N];
        for (int i = 0; i < N; i++) {
            values[i] = random.nextGaussian();
        }
        weights = new double[N];
        for (int i = 0; i < N; i++) {
            weights[i] = (0.5 + random.nextDouble()) * (random.nextBoolean() ? 1 : -1);
        }
        exactNormalizer = ExactLogSumExp.of(values).finish();
        fastNormalizer = FastLogSumExp.of(values).finish();
        exactPartA = ExactLogSumExp.of(java.util.Arrays.copyOf(values, 1000));
        exactPartB = ExactLogSumExp.of(java.util.Arrays.copyOfRange(values, 1000, 2000));
        fastPartA = FastLogSumExp.of(java.util.Arrays.copyOf(values, 1000));
        fastPartB = FastLogSumExp.of(java.util.Arrays.copyOfRange(values, 1000, 2000));
        typicalGroup = ExactLogSumExp.of(java.util.Arrays.copyOf(values, 20));
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public double mathExpSum() {
        double sum = 0;
        for (double x : values) {
            sum += Math.exp(x);
        }
        return sum;
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public Object fastFold() {
        FastLogSumExp acc = FastLogSumExp.create();
        for (double x : values) {
            acc.accept(x);
        }
        return acc;
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public Object exactFold() {
        ExactLogSumExp acc = ExactLogSumExp.create();
        for (double x : values) {
            acc.accept(x);
        }
        return acc;
    }

    /** The weighted fold (issue 14): accept(x, w) on the same values; compare with exactFold. */
    @Benchmark
    @OperationsPerInvocation(N)
    public Object exactWeightedFold() {
        ExactLogSumExp acc = ExactLogSumExp.create();
        double[] w = weights;
        for (int i = 0; i < N; i++) {
            acc.accept(values[i], w[i]);
        }
        return acc;
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public double exactOutputs() {
        double sum = 0;
        for (double x : values) {
            sum += exactNormalizer.prob(x) + exactNormalizer.logProb(x);
        }
        return sum;
    }

    /**
     * prob and log_prob with the normalizer rebuilt from its fields per row, as the Spark layer's
     * map does (SoftmaxRuntime): the JIT must keep the rebuilt normalizer out of the heap.
     */
    @Benchmark
    @OperationsPerInvocation(N)
    public double exactOutputsRestored() {
        double sum = 0;
        Normalizer n = exactNormalizer;
        double max = n.max();
        double high = n.logNormalizerHigh();
        double low = n.logNormalizerLow();
        for (double x : values) {
            sum += Normalizer.restore(SoftmaxMode.EXACT, Normalizer.Status.FINITE, N, max, 1, high, low).prob(x)
                    + Normalizer.restore(SoftmaxMode.EXACT, Normalizer.Status.FINITE, N, max, 1, high, low)
                            .logProb(x);
        }
        return sum;
    }

    /** The baseline of the per-row outputs: StrictMath.exp, which Spark's exp calls, and a subtraction. */
    @Benchmark
    @OperationsPerInvocation(N)
    public double strictExpOutputs() {
        double sum = 0;
        double max = exactNormalizer.max();
        double high = exactNormalizer.logNormalizerHigh();
        for (double x : values) {
            sum += StrictMath.exp((x - max) - high) + ((x - max) - high);
        }
        return sum;
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public double fastOutputs() {
        double sum = 0;
        for (double x : values) {
            sum += fastNormalizer.prob(x) + fastNormalizer.logProb(x);
        }
        return sum;
    }

    /** Includes a copy of the left state (84 longs), as an aggregation buffer would not. */
    @Benchmark
    public Object exactCombine() {
        return exactPartA.copy().combine(exactPartB);
    }

    @Benchmark
    public Object fastCombine() {
        return FastLogSumExp.create().combine(fastPartA).combine(fastPartB);
    }

    @Benchmark
    public Object exactFinishTypicalGroup() {
        return typicalGroup.finish();
    }

    @Benchmark
    public Object exactFinishThousandValues() {
        return exactPartA.finish();
    }

    @Benchmark
    public Object exactSerializeRoundTrip() {
        return dev.softmax.core.LogSumExpAccumulator.fromBytes(exactPartA.toBytes());
    }
}
