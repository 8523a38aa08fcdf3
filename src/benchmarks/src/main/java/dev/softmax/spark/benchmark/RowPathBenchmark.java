/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.spark.benchmark;

import dev.softmax.core.ExactLogSumExp;
import dev.softmax.core.Normalizer;
import dev.softmax.core.SoftmaxMode;
import dev.softmax.spark.catalyst.SoftmaxRuntime;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeProjection;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.CompilerControl;
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
 * The per-row call of the DataFrame softmax's map as Spark's generated code makes it: one
 * out-of-line call per row of {@code SoftmaxRuntime.compactProb(x, struct)}, the struct an
 * {@code UnsafeRow} (the generated code does not inline it: its compiled code is too large), on
 * the values of the global benchmark (uniform in [-20, 20)); against the same through a
 * normalizer rebuilt and checked per row ({@code SoftmaxRuntime.prob} with the eight fields) and
 * the builtin plan's per-row {@code StrictMath.exp(x - m) / d}, called the same way. Run:
 * {@code mvn -B -pl src/benchmarks -Pjmh exec:exec -Djmh.args='RowPathBenchmark'}. The machine's
 * noise moves these by more than their differences from one minute to the next: compare several
 * runs, or the fastest.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(2)
public class RowPathBenchmark {
    private static final int N = 1 << 16;

    private double[] values;
    private InternalRow struct;
    private double max;
    private double sum;

    @Setup
    public void setUp() {
        Random random = new Random(42);
        values = new double[N];
        for (int i = 0; i < N; i++) {
            values[i] = -20 + 40 * random.nextDouble();
        }
        Normalizer n = ExactLogSumExp.of(values).finish();
        max = n.max();
        sum = Math.exp(n.logNormalizerHigh());
        struct = struct(n);
    }

    /** The compact normalizer struct of n, as an UnsafeRow. */
    private static InternalRow struct(Normalizer n) {
        StructType type = new StructType()
                .add("mode", DataTypes.IntegerType).add("status", DataTypes.IntegerType)
                .add("temperature", DataTypes.DoubleType).add("count", DataTypes.LongType)
                .add("max", DataTypes.DoubleType).add("max_count", DataTypes.LongType)
                .add("log_normalizer_high", DataTypes.DoubleType).add("log_normalizer_low", DataTypes.DoubleType);
        GenericInternalRow row = new GenericInternalRow(new Object[] {SoftmaxMode.EXACT.ordinal(),
            n.status().ordinal(), 1.0, n.count(), n.max(), n.maxCount(), n.logNormalizerHigh(),
            n.logNormalizerLow()});
        return UnsafeProjection.create(type).apply(row).copy();
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public double compactProb() {
        double total = 0;
        for (double x : values) {
            total += prob(x, struct);
        }
        return total;
    }

    /** The same through the normalizer rebuilt and checked per row, as compactProb did before. */
    @Benchmark
    @OperationsPerInvocation(N)
    public double restoredProb() {
        double total = 0;
        for (double x : values) {
            total += restored(x, struct);
        }
        return total;
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public double builtinProb() {
        double total = 0;
        for (double x : values) {
            total += builtin(x, max, sum);
        }
        return total;
    }

    @CompilerControl(CompilerControl.Mode.DONT_INLINE)
    private static double prob(double x, InternalRow struct) {
        return SoftmaxRuntime.compactProb(x, struct);
    }

    @CompilerControl(CompilerControl.Mode.DONT_INLINE)
    private static double restored(double x, InternalRow n) {
        return SoftmaxRuntime.prob(x, n.getInt(0), n.getInt(1), n.getDouble(2), n.getLong(3), n.getDouble(4),
                n.getLong(5), n.getDouble(6), n.getDouble(7));
    }

    @CompilerControl(CompilerControl.Mode.DONT_INLINE)
    private static double builtin(double x, double max, double sum) {
        return StrictMath.exp(x - max) / sum;
    }
}
