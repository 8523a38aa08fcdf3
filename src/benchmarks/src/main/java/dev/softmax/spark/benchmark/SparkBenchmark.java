/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.spark.benchmark;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.sum;

import dev.softmax.spark.SparkSoftmax;
import dev.softmax.spark.benchmark.BenchmarkPlans.Data;
import dev.softmax.spark.benchmark.BenchmarkPlans.Plan;
import dev.softmax.spark.benchmark.BenchmarkPlans.Sink;
import dev.softmax.spark.benchmark.BenchmarkPlans.Workload;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.RDDInfo;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The Spark benchmark of the project (run it with {@code jobs/benchmark}; not a test). For each
 * workload it generates the data with a fixed seed, caches it, runs every plan once to warm up,
 * then times each plan {@code --reps} times in one JVM, the plans taking turns round by round
 * (each round starting one plan later),
 * and writes the median and the spread of each, and its ratio to the baseline of the same run,
 * as a markdown table, a CSV file and a PNG plot ({@link BenchmarkReport}). For every run it
 * also records the records read by each task ({@link TaskBalance}), to show whether one task
 * held more than its share of the rows (the skewed workload).
 */
@Command(name = "jobs/benchmark", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Times softmax and logsumexp plans (Spark builtins and spark-softmax) on generated, cached data.")
public final class SparkBenchmark implements Callable<Integer> {

    @Option(names = "--rows", description = "rows of the global workloads (default: ${DEFAULT-VALUE})")
    long rows = 20_000_000L;

    @Option(names = "--grouped-rows",
            description = "rows of the grouped and skew workloads (default: ${DEFAULT-VALUE}; "
            + "issue 6's size: 20000000 with --keys 1000000, about three times as long)")
    long groupedRows = 5_000_000L;

    @Option(names = "--keys", description = "group keys of the grouped workloads (default: ${DEFAULT-VALUE})")
    long keys = 250_000L;

    @Option(names = "--skew",
            description = "fraction of the rows with key 0 in the skew workload (default: ${DEFAULT-VALUE})")
    double skew = 0.9;

    @Option(names = "--reps", description = "timed runs of each plan (default: ${DEFAULT-VALUE})")
    int reps = 3;

    @Option(names = "--warmup", description = "untimed runs of each plan first (default: ${DEFAULT-VALUE}); a plan "
            + "that warmed up in an earlier workload over the same kind of data warms up no more, except the baseline")
    int warmup = 1;

    @Option(names = "--workloads", split = ",",
            description = "any of aggregate,softmax,parquet,grouped,skew (default: all)")
    List<String> workloads = List.of("aggregate", "softmax", "parquet", "grouped", "skew");

    @Option(names = "--plans", split = ",",
            description = "only plans whose id contains one of these (the baseline always runs); ids: --list")
    List<String> plans = List.of();

    @Option(names = "--list", description = "list the workloads and their plans, then exit")
    boolean list;

    @Option(names = "--partitions",
            description = "partitions of the cached data (default: Spark's default parallelism)")
    int partitions;

    @Option(names = "--master", description = "Spark master (default: ${DEFAULT-VALUE})")
    String master = "local[2]";

    @Option(names = "--seed", description = "seed of the data (default: ${DEFAULT-VALUE})")
    long seed = 42;

    @Option(names = "--output", description = "report directory (default: ${DEFAULT-VALUE})")
    Path output = Path.of("target", "benchmark");

    @Option(names = "--publish", description = "also copy the report (markdown, PNG, CSV) into this directory "
            + "(jobs/benchmark: --publish alone means docs/benchmark, which docs/performance.md shows)")
    Path publish;

    @Option(names = "--verify", description = "after the warm-up, check that the plans of a workload agree")
    boolean verify;

    @Option(names = "--explain", description = "print each plan's physical plan and stages after its warm-up")
    boolean explain;

    @Option(names = "--conf", description = "a Spark property key=value, repeatable")
    Map<String, String> conf = new LinkedHashMap<>();

    /** Plans (by data kind and id) that ran their warm-up in an earlier workload of this JVM. */
    private final java.util.Set<String> warmed = new java.util.HashSet<>();

    public static void main(String[] args) {
        System.setProperty("java.awt.headless", "true");
        System.exit(new CommandLine(new SparkBenchmark()).execute(args));
    }

    /** The timings of one plan in one workload, and the task balance of its last run. */
    record Result(Workload workload, Plan plan, List<Double> seconds, List<TaskBalance.Stage> stages) {

        double median() {
            double[] sorted = seconds.stream().mapToDouble(Double::doubleValue).sorted().toArray();
            int n = sorted.length;
            return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
        }

        double min() {
            return seconds.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN);
        }

        double max() {
            return seconds.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
        }

        /** The stage whose largest task read the most records. */
        TaskBalance.Stage heaviestStage() {
            return stages.isEmpty() ? null : stages.get(0);
        }
    }

    @Override
    public Integer call() throws IOException {
        List<Workload> selected = workloads.stream().map(Workload::of).sorted().distinct().toList();
        if (list) {
            for (Workload workload : selected) {
                System.out.println(workload.id + ": " + workload.title);
                for (Plan plan : BenchmarkPlans.plans(workload)) {
                    System.out.printf(Locale.ROOT, "  %-16s %s%n", plan.id(), plan.label());
                }
            }
            return 0;
        }
        if (reps < 1 || warmup < 0 || rows < 1 || groupedRows < 1 || keys < 2 || skew < 0 || skew >= 1) {
            throw new CommandLine.ParameterException(new CommandLine(this),
                    "need --reps >= 1, --warmup >= 0, --rows >= 1, --grouped-rows >= 1, --keys >= 2, 0 <= --skew < 1");
        }
        String loadBefore = BenchmarkReport.loadAverage();
        long started = System.nanoTime();
        Files.createDirectories(output);
        SparkSession.Builder builder = SparkSession.builder().master(master).appName("spark-softmax-benchmark")
                .config("spark.ui.enabled", "false")
                .config("spark.ui.showConsoleProgress", "false")
                .config("spark.sql.warehouse.dir",
                        output.resolve("spark-warehouse").toAbsolutePath().toUri().toString());
        conf.forEach(builder::config);
        SparkSession spark = builder.getOrCreate();
        // The Window.partitionBy() recipe warns at every planning ("No Partition Defined for Window
        // operation!"): that is the point of the comparison, not news at every run.
        org.apache.logging.log4j.core.config.Configurator.setLevel("org.apache.spark.sql.execution.window.WindowExec",
                org.apache.logging.log4j.Level.ERROR);
        List<Result> results = new ArrayList<>();
        Map<Data, String> dataNotes = new LinkedHashMap<>();
        try {
            SparkSoftmax.register(spark);
            TaskBalance balance = new TaskBalance();
            spark.sparkContext().addSparkListener(balance);
            int dataPartitions = partitions > 0 ? partitions : spark.sparkContext().defaultParallelism();
            System.out.printf(Locale.ROOT, "benchmark: %s, %,d rows (global), %,d rows over %,d keys (grouped), "
                    + "skew %.2f, %d partitions, %d warm-up + %d timed runs per plan; load average %s%n",
                    master, rows, groupedRows, keys, skew, dataPartitions, warmup, reps, loadBefore);
            Data cachedKind = null;
            Dataset<Row> data = null;
            for (Workload workload : selected) {
                if (workload.data != cachedKind) {
                    if (data != null) {
                        data.unpersist(true);
                    }
                    long start = System.nanoTime();
                    data = BenchmarkPlans.generate(spark, workload.data,
                            workload.data == Data.GLOBAL ? rows : groupedRows, keys, skew, dataPartitions, seed)
                            .cache();
                    long count = data.count();
                    String note = String.format(Locale.ROOT, "%,d rows in %d partitions, %s cached", count,
                            data.rdd().getNumPartitions(), cachedSize(spark));
                    dataNotes.put(workload.data, note);
                    System.out.printf(Locale.ROOT, "data %s: %s (%.1f s)%n",
                            workload.data.name().toLowerCase(Locale.ROOT), note, seconds(start));
                    data.createOrReplaceTempView(BenchmarkPlans.VIEW);
                    cachedKind = workload.data;
                }
                results.addAll(run(spark, workload, data, balance));
                deleteRecursively(output.resolve("parquet"));
            }
        } finally {
            spark.stop();
        }
        String loadAfter = BenchmarkReport.loadAverage();
        BenchmarkReport report = new BenchmarkReport(results, new BenchmarkReport.Settings(master, rows,
                groupedRows, keys, skew, warmup, reps, seed, dataNotes, loadBefore, loadAfter, seconds(started),
                Runtime.getRuntime().maxMemory(), String.join(" ", conf.entrySet().stream()
                        .map(e -> e.getKey() + "=" + e.getValue()).toList())));
        report.write(output);
        System.out.println();
        System.out.print(report.markdown());
        System.out.printf(Locale.ROOT, "%nreport: %s (markdown), %s (plot), %s (all runs)%n",
                output.resolve(BenchmarkReport.MARKDOWN), output.resolve(BenchmarkReport.PLOT),
                output.resolve(BenchmarkReport.CSV));
        if (publish != null) {
            report.publish(output, publish);
            System.out.println("published to " + publish);
        }
        return 0;
    }

    private List<Result> run(SparkSession spark, Workload workload, Dataset<Row> data, TaskBalance balance) {
        List<Plan> chosen = new ArrayList<>();
        List<Plan> all = BenchmarkPlans.plans(workload);
        for (int i = 0; i < all.size(); i++) {
            Plan plan = all.get(i);
            if (i == 0 || plans.isEmpty() || plans.stream().anyMatch(p -> plan.id().contains(p))) {
                chosen.add(plan);
            }
        }
        Map<Plan, List<Double>> times = new LinkedHashMap<>();
        Map<Plan, List<TaskBalance.Stage>> stages = new LinkedHashMap<>();
        Map<Plan, double[]> checks = new LinkedHashMap<>();
        chosen.forEach(plan -> times.put(plan, new ArrayList<>()));
        System.out.printf(Locale.ROOT, "%n== %s: %s%n", workload.id, workload.title);
        // A plan that already ran in an earlier workload over the same kind of data (softmax then
        // parquet; grouped then skew) has its code compiled: only the baseline warms up again, for
        // what is new in the workload (the Parquet writer, the skewed data).
        List<Plan> warm = new ArrayList<>();
        for (Plan plan : chosen) {
            if (plan == chosen.get(0)
                    || warmed.add((workload.data == Data.GLOBAL ? "global/" : "grouped/") + plan.id())) {
                warm.add(plan);
            }
        }
        for (int round = -warmup; round < reps; round++) {
            // Each timed round starts one plan later: whatever a plan leaves behind (Spark cleans
            // a finished query's shuffle files in the background) falls on each plan in turn.
            List<Plan> order = new ArrayList<>(chosen);
            java.util.Collections.rotate(order, -Math.max(0, round));
            for (Plan plan : order) {
                if (round < 0 && !warm.contains(plan) && !(verify && round == -1)) {
                    continue;
                }
                System.gc();
                balance.reset();
                long start = System.nanoTime();
                Dataset<Row> result = plan.build().apply(data);
                write(result, workload.sink, plan);
                double elapsed = seconds(start);
                if (explain && round == -warmup) {
                    System.out.println(result.queryExecution().executedPlan().treeString());
                }
                List<TaskBalance.Stage> planStages = balance.stages(spark.sparkContext());
                String what = round < 0 ? "warm-up" : "run " + (round + 1) + "/" + reps;
                TaskBalance.Stage heaviest = planStages.isEmpty() ? null : planStages.get(0);
                if (explain && round == -warmup) {
                    planStages.stream().sorted(Comparator.comparingInt(TaskBalance.Stage::id)).forEach(stage ->
                            System.out.printf(Locale.ROOT,
                                    "  stage %3d %-40.40s %4d tasks %,12d records %8.2f s in tasks%n",
                                    stage.id(), stage.name(), stage.tasks(), stage.records(), stage.millis() / 1e3));
                }
                System.out.printf(Locale.ROOT, "%-16s %-9s %8.3f s   largest task %s%n", plan.id(), what, elapsed,
                        heaviest == null ? "-" : String.format(Locale.ROOT, "%,d records (%.2fx the mean of %d tasks)",
                                heaviest.maxRecords(), heaviest.recordRatio(), heaviest.tasks()));
                if (round >= 0) {
                    times.get(plan).add(elapsed);
                    stages.put(plan, planStages);
                } else if (verify && round == -1) {
                    checks.put(plan, check(workload, plan.build().apply(data)));
                }
            }
        }
        if (verify) {
            verify(workload, checks);
        }
        List<Result> results = new ArrayList<>();
        for (Plan plan : chosen) {
            results.add(new Result(workload, plan, times.get(plan), stages.get(plan)));
        }
        return results;
    }

    private void write(Dataset<Row> result, Sink sink, Plan plan) {
        switch (sink) {
            case COLLECT:
                result.collectAsList();
                break;
            case NOOP:
                result.write().format("noop").mode("overwrite").save();
                break;
            case PARQUET:
                result.write().mode("overwrite").parquet(output.resolve("parquet").resolve(plan.id()).toString());
                break;
            default:
                throw new AssertionError(sink);
        }
    }

    /** The aggregate; or, for a softmax, the sum of prob (the number of groups) and of prob * x. */
    private static double[] check(Workload workload, Dataset<Row> result) {
        if (workload.sink == Sink.COLLECT) {
            return new double[] {result.first().getDouble(0)};
        }
        Row sums = result.agg(sum("prob"), sum(col("prob").multiply(col("x")))).first();
        return new double[] {sums.getDouble(0), sums.getDouble(1)};
    }

    /** Every plan agrees with the baseline to 1e-9, relative (the plans round differently). */
    private static void verify(Workload workload, Map<Plan, double[]> checks) {
        double[] reference = checks.values().iterator().next();
        boolean agree = true;
        for (Map.Entry<Plan, double[]> entry : checks.entrySet()) {
            double[] values = entry.getValue();
            boolean close = true;
            for (int i = 0; i < values.length; i++) {
                close &= Math.abs(values[i] - reference[i]) <= 1e-9 * Math.max(1, Math.abs(reference[i]));
            }
            agree &= close;
            System.out.printf(Locale.ROOT, "verify %-16s %s %s%n", entry.getKey().id(), Arrays.toString(values),
                    close ? "agrees" : "DIFFERS from the baseline");
        }
        if (!agree) {
            throw new IllegalStateException(workload.id + ": the plans do not compute the same result");
        }
    }

    private static String cachedSize(SparkSession spark) {
        long bytes = 0;
        for (RDDInfo info : spark.sparkContext().getRDDStorageInfo()) {
            bytes += info.memSize() + info.diskSize();
        }
        return String.format(Locale.ROOT, "%.0f MB", bytes / 1e6);
    }

    private static double seconds(long start) {
        return (System.nanoTime() - start) / 1e9;
    }

    private static void deleteRecursively(Path path) {
        if (!Files.exists(path)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(path)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
