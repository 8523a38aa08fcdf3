/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.spark.benchmark;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.exp;
import static org.apache.spark.sql.functions.floor;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.log;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.rand;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import dev.softmax.core.SoftmaxMode;
import dev.softmax.spark.SoftmaxFunctions;
import dev.softmax.spark.SoftmaxOptions;
import dev.softmax.spark.catalyst.SoftmaxFunctionRegistry;
import java.io.Serializable;
import java.util.List;
import java.util.function.Function;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoder;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.expressions.Aggregator;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.expressions.WindowSpec;
import org.apache.spark.sql.functions;

/**
 * The data and the plans of {@link SparkBenchmark}: for each workload, the recipes people use
 * with Spark's builtin functions and the project's functions, each computing the same thing
 * (the aggregate, or {@code prob} for every row), the first of each list being the baseline
 * the others are divided by.
 */
final class BenchmarkPlans {

    /** The temp view every SQL plan reads: the cached data of the running workload. */
    static final String VIEW = "benchmark_data";

    private BenchmarkPlans() {}

    /** How a plan's result is forced. */
    enum Sink {
        /** collect the single aggregate row */
        COLLECT,
        /** write every row to Spark's {@code noop} format: all the work, no I/O */
        NOOP,
        /** write every row as Parquet (overwritten at every run) */
        PARQUET
    }

    /** Which data a workload runs over. */
    enum Data {
        /** one column {@code x}: uniform doubles in [-20, 20) */
        GLOBAL,
        /** {@code g} (long key, uniform over the keys) and {@code x} */
        GROUPED,
        /** as GROUPED, but key 0 holds the skew fraction of the rows */
        SKEWED
    }

    /** The workloads, in the order they run (the three global ones share their cached data). */
    enum Workload {
        AGGREGATE("aggregate", "aggregate pass over the global column (logsumexp)", Data.GLOBAL, Sink.COLLECT),
        SOFTMAX("softmax", "global softmax, written to noop", Data.GLOBAL, Sink.NOOP),
        PARQUET("parquet", "global softmax, written to Parquet", Data.GLOBAL, Sink.PARQUET),
        GROUPED("grouped", "grouped softmax, written to noop", Data.GROUPED, Sink.NOOP),
        SKEW("skew", "grouped softmax with one key holding most rows, written to noop", Data.SKEWED, Sink.NOOP);

        final String id;
        final String title;
        final Data data;
        final Sink sink;

        Workload(String id, String title, Data data, Sink sink) {
            this.id = id;
            this.title = title;
            this.data = data;
            this.sink = sink;
        }

        static Workload of(String id) {
            for (Workload workload : values()) {
                if (workload.id.equals(id)) {
                    return workload;
                }
            }
            throw new IllegalArgumentException("--workloads: unknown workload '" + id + "', expected one of "
                    + List.of(values()).stream().map(w -> w.id).toList());
        }
    }

    /** Who wrote the plan: Spark's builtin recipes, or the project. */
    enum Kind { BUILTIN, PROJECT }

    /**
     * One way to compute a workload's result. {@code build} may run jobs itself (a builtin
     * multi-pass plan collects its scalars); the timed span is build plus the sink.
     */
    record Plan(String id, String label, Kind kind, Function<Dataset<Row>, Dataset<Row>> build) {}

    // ---- data -------------------------------------------------------------------------------------

    /**
     * The rows of {@code data}, fixed by {@code seed} and the number of partitions (Spark's
     * {@code rand(seed)} is seeded per partition): x uniform in [-20, 20); grouped keys uniform
     * over {@code keys}, or key 0 for a fraction {@code skew} of the rows and the rest uniform
     * over the other keys.
     */
    static Dataset<Row> generate(SparkSession spark, Data data, long rows, long keys, double skew,
            int partitions, long seed) {
        Dataset<Long> range = spark.range(0, rows, 1, partitions);
        Column x = rand(seed).multiply(40).minus(20).as("x");
        switch (data) {
            case GLOBAL:
                return range.select(x);
            case GROUPED:
                return range.select(floor(rand(seed + 1).multiply(keys)).cast("long").as("g"), x);
            case SKEWED:
                Column other = lit(1L).plus(floor(rand(seed + 2).multiply(keys - 1)).cast("long"));
                return range.select(when(rand(seed + 1).lt(skew), lit(0L)).otherwise(other).as("g"), x);
            default:
                throw new AssertionError(data);
        }
    }

    // ---- plans ------------------------------------------------------------------------------------

    /** The plans of a workload, baseline first. */
    static List<Plan> plans(Workload workload) {
        switch (workload) {
            case AGGREGATE:
                return List.of(
                        new Plan("builtin-sum-exp", "builtin log(sum(exp(x))) (unsafe; the floor)", Kind.BUILTIN,
                                df -> df.agg(log(sum(exp(col("x")))))),
                        new Plan("builtin-2-pass", "builtin max, then sum(exp(x - max))", Kind.BUILTIN,
                                BenchmarkPlans::twoPassLogSumExp),
                        new Plan("udaf-floor", "Aggregator log(sum(exp(x))) via udaf (unsafe; the udaf floor)",
                                Kind.BUILTIN,
                                df -> df.agg(functions.udaf(new SumExpAggregator(), Encoders.DOUBLE())
                                        .apply(col("x")))),
                        new Plan("logsumexp-exact", "logsumexp(x) exact", Kind.PROJECT,
                                df -> df.agg(SoftmaxFunctions.logsumexp(col("x"), SoftmaxMode.EXACT))),
                        new Plan("logsumexp-fast", "logsumexp(x) fast", Kind.PROJECT,
                                df -> df.agg(SoftmaxFunctions.logsumexp(col("x"), SoftmaxMode.FAST))),
                        // the weights are derived from x, so the data stays one column: w = x^2 >= 0
                        new Plan("logsumexp-weighted-exact", "logsumexp(x, w) exact, w = x * x", Kind.PROJECT,
                                df -> df.agg(SoftmaxFunctions.logsumexp(col("x"), col("x").multiply(col("x")),
                                        SoftmaxMode.EXACT))));
            case PARQUET:
                // The SQL form of the global softmax runs in the noop workload only: the write costs the same.
                return plans(Workload.SOFTMAX).stream().filter(plan -> !plan.id().startsWith("sql")).toList();
            case SOFTMAX:
                return List.of(
                        new Plan("builtin-3-pass", "builtin 3 passes: max, sum(exp(x - max)), map", Kind.BUILTIN,
                                BenchmarkPlans::threePassSoftmax),
                        new Plan("window", "Window.partitionBy() recipe", Kind.BUILTIN,
                                df -> windowSoftmax(df, Window.partitionBy(), col("x"))),
                        new Plan("softmax-exact", "softmax(df) exact", Kind.PROJECT,
                                df -> projectSoftmax(df, SoftmaxOptions.defaults().mode(SoftmaxMode.EXACT))),
                        new Plan("softmax-fast", "softmax(df) fast", Kind.PROJECT,
                                df -> projectSoftmax(df, SoftmaxOptions.defaults().mode(SoftmaxMode.FAST))),
                        new Plan("sql-exact", "SQL softmax(x, (SELECT softmax_state(x))) exact", Kind.PROJECT,
                                df -> sql(df, SoftmaxMode.EXACT, "SELECT x, softmax(x, (SELECT softmax_state(x) FROM "
                                        + VIEW + ")) AS prob FROM " + VIEW)));
            case GROUPED:
            case SKEW:
                return List.of(
                        new Plan("window", "Window.partitionBy(g) recipe", Kind.BUILTIN,
                                df -> windowSoftmax(df, Window.partitionBy("g"), col("g"), col("x"))),
                        new Plan("groupby-join", "builtin groupBy + join: max, then sum(exp(x - max))", Kind.BUILTIN,
                                BenchmarkPlans::groupByJoinSoftmax),
                        new Plan("softmax-exact", "softmax(df) exact", Kind.PROJECT,
                                df -> projectSoftmax(df, SoftmaxOptions.defaults().groupBy("g"))),
                        new Plan("softmax-fast", "softmax(df) fast", Kind.PROJECT,
                                df -> projectSoftmax(df, SoftmaxOptions.defaults().groupBy("g")
                                        .mode(SoftmaxMode.FAST))),
                        new Plan("softmax-exact-broadcast", "softmax(df) exact, broadcastThreshold(1 GiB)",
                                Kind.PROJECT,
                                df -> projectSoftmax(df, SoftmaxOptions.defaults().groupBy("g")
                                        .broadcastThreshold(1L << 30))),
                        new Plan("sql-exact", "SQL softmax(x, normalizer) exact, BROADCAST join", Kind.PROJECT,
                                df -> sql(df, SoftmaxMode.EXACT,
                                        "SELECT /*+ BROADCAST(n) */ t.g, t.x, softmax(t.x, n.s) AS prob"
                                        + " FROM " + VIEW + " t JOIN (SELECT g, softmax_normalizer(x) AS s FROM " + VIEW
                                        + " GROUP BY g) n ON t.g <=> n.g")),
                        new Plan("sql-window-exact", "SQL softmax(x, softmax_state(x) OVER (PARTITION BY g)) exact",
                                Kind.PROJECT,
                                df -> sql(df, SoftmaxMode.EXACT, "SELECT g, x, softmax(x, softmax_state(x)"
                                        + " OVER (PARTITION BY g)) AS prob FROM " + VIEW)));
            default:
                throw new AssertionError(workload);
        }
    }

    /** log(sum(exp(x))) in two builtin passes: the max first, collected, then the shifted sum. */
    private static Dataset<Row> twoPassLogSumExp(Dataset<Row> df) {
        double m = df.agg(max("x")).first().getDouble(0);
        return df.agg(log(sum(exp(col("x").minus(lit(m))))).plus(lit(m)));
    }

    /** The builtin safe softmax without a window: max, then sum(exp(x - max)), then a map. */
    private static Dataset<Row> threePassSoftmax(Dataset<Row> df) {
        double m = df.agg(max("x")).first().getDouble(0);
        double s = df.agg(sum(exp(col("x").minus(lit(m))))).first().getDouble(0);
        return df.select(col("x"), exp(col("x").minus(lit(m))).divide(lit(s)).as("prob"));
    }

    /**
     * The common window recipe: the max over the window, then exp(x - max) divided by its sum
     * over the same window (a window function may not nest in another, so in two selects).
     */
    private static Dataset<Row> windowSoftmax(Dataset<Row> df, WindowSpec window, Column... keep) {
        Dataset<Row> shifted = df.withColumn("m", max("x").over(window))
                .withColumn("e", exp(col("x").minus(col("m"))));
        Column[] output = java.util.Arrays.copyOf(keep, keep.length + 1);
        output[keep.length] = col("e").divide(sum("e").over(window)).as("prob");
        return shifted.select(output);
    }

    /** The grouped safe softmax with builtin aggregates and joins, no window. */
    private static Dataset<Row> groupByJoinSoftmax(Dataset<Row> df) {
        Dataset<Row> maxima = df.groupBy("g").agg(max("x").as("m"));
        Dataset<Row> shifted = df.join(maxima, "g").withColumn("e", exp(col("x").minus(col("m"))));
        Dataset<Row> sums = shifted.groupBy("g").agg(sum("e").as("s"));
        return shifted.join(sums, "g").select(col("g"), col("x"), col("e").divide(col("s")).as("prob"));
    }

    /** The project's DataFrame softmax, prob only (as every other plan). */
    private static Dataset<Row> projectSoftmax(Dataset<Row> df, SoftmaxOptions options) {
        return SoftmaxFunctions.softmax(df, "x", options.logProbColumn(null));
    }

    /** A SQL plan over the workload's view; the mode of the SQL functions is a session conf. */
    private static Dataset<Row> sql(Dataset<Row> df, SoftmaxMode mode, String query) {
        SparkSession spark = df.sparkSession();
        spark.conf().set(SoftmaxFunctionRegistry.MODE_CONF, mode.id());
        return spark.sql(query);
    }

    /**
     * The cost floor of any {@link Aggregator} through {@code functions.udaf}: a bean buffer of
     * one double summing exp(x), log of it at the end. Not safe (overflows past x = 709); a
     * yardstick only.
     */
    public static final class SumExpAggregator extends Aggregator<Double, SumExpAggregator.Buffer, Double> {
        private static final long serialVersionUID = 1L;

        /** Bean buffer. */
        public static final class Buffer implements Serializable {
            private static final long serialVersionUID = 1L;
            private double sum;

            public double getSum() {
                return sum;
            }

            public void setSum(double sum) {
                this.sum = sum;
            }
        }

        @Override
        public Buffer zero() {
            return new Buffer();
        }

        @Override
        public Buffer reduce(Buffer buffer, Double x) {
            if (x != null) {
                buffer.sum += Math.exp(x);
            }
            return buffer;
        }

        @Override
        public Buffer merge(Buffer left, Buffer right) {
            left.sum += right.sum;
            return left;
        }

        @Override
        public Double finish(Buffer buffer) {
            return Math.log(buffer.sum);
        }

        @Override
        public Encoder<Buffer> bufferEncoder() {
            return Encoders.bean(Buffer.class);
        }

        @Override
        public Encoder<Double> outputEncoder() {
            return Encoders.DOUBLE();
        }
    }
}
