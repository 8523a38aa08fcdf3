package dev.softmax.spark.benchmark;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.exp;
import static org.apache.spark.sql.functions.rand;
import static org.apache.spark.sql.functions.sum;

import dev.softmax.core.SoftmaxMode;
import dev.softmax.spark.SoftmaxFunctions;
import dev.softmax.spark.SoftmaxOptions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Not a test: times {@code logsumexp(x)} against Spark's builtin {@code sum(exp(x))} over the
 * same cached doubles in one local run, alternating the contenders each round, and prints the
 * median of each and its ratio to the builtin. Also times the global DataFrame softmax
 * (written to the noop sink) against the builtin three-pass plan (max, sum, map).
 *
 * <pre>
 * mvn -B -o -q test-compile dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/cp.txt
 * java -Xmx3g $(spark.jvm.options from the pom) -cp target/classes:target/test-classes:$(cat target/cp.txt) \
 *     dev.softmax.spark.benchmark.LogSumExpBenchmark [rows] [rounds] [master] [only contenders containing this]
 * </pre>
 */
public final class LogSumExpBenchmark {

  private LogSumExpBenchmark() {}

  public static void main(String[] args) {
    long rows = args.length > 0 ? Long.parseLong(args[0]) : 20_000_000L;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    String master = args.length > 2 ? args[2] : "local[2]";
    String only = args.length > 3 ? args[3] : "";
    SparkSession spark = SparkSession.builder().master(master).appName("logsumexp-benchmark")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .getOrCreate();
    spark.sparkContext().setLogLevel("WARN");
    try {
      Dataset<Row> df = spark.range(rows).select(rand(42).multiply(40).minus(20).as("x")).cache();
      System.out.printf(Locale.ROOT, "%,d cached doubles in %d partitions, %s%n", df.count(),
          df.rdd().getNumPartitions(), master);

      Map<String, Supplier<Object>> contenders = new LinkedHashMap<>();
      contenders.put("builtin sum(exp(x))", () -> df.agg(sum(exp(col("x")))).first().get(0));
      contenders.put("logsumexp(x) exact", () -> df.agg(SoftmaxFunctions.logsumexp(col("x"), SoftmaxMode.EXACT)).first().get(0));
      contenders.put("logsumexp(x) fast", () -> df.agg(SoftmaxFunctions.logsumexp(col("x"), SoftmaxMode.FAST)).first().get(0));
      contenders.put("builtin softmax, 3 passes -> noop", () -> {
        Row stats = df.agg(org.apache.spark.sql.functions.max("x")).first();
        double max = stats.getDouble(0);
        double denominator = df.agg(sum(exp(col("x").minus(max)))).first().getDouble(0);
        df.select(col("x"), exp(col("x").minus(max)).divide(denominator).as("prob"))
            .write().format("noop").mode("overwrite").save();
        return denominator;
      });
      contenders.put("softmax(df) exact -> noop", () -> {
        SoftmaxFunctions.softmax(df, "x", SoftmaxOptions.defaults().logProbColumn(null))
            .write().format("noop").mode("overwrite").save();
        return null;
      });

      contenders.keySet().removeIf(name -> !name.startsWith("builtin sum") && !name.contains(only));
      Map<String, List<Double>> seconds = new LinkedHashMap<>();
      contenders.keySet().forEach(name -> seconds.put(name, new ArrayList<>()));
      for (int round = -1; round < rounds; round++) {   // round -1 warms up
        for (Map.Entry<String, Supplier<Object>> contender : contenders.entrySet()) {
          long start = System.nanoTime();
          Object result = contender.getValue().get();
          double elapsed = (System.nanoTime() - start) / 1e9;
          if (round >= 0) {
            seconds.get(contender.getKey()).add(elapsed);
          } else {
            System.out.printf(Locale.ROOT, "warm-up %-36s %.3f s  result %s%n", contender.getKey(), elapsed, result);
          }
        }
      }
      double builtin = median(seconds.get("builtin sum(exp(x))"));
      double builtinSoftmax = seconds.containsKey("builtin softmax, 3 passes -> noop")
          ? median(seconds.get("builtin softmax, 3 passes -> noop")) : Double.NaN;
      for (Map.Entry<String, List<Double>> entry : seconds.entrySet()) {
        double median = median(entry.getValue());
        double base = entry.getKey().contains("noop") ? builtinSoftmax : builtin;
        System.out.printf(Locale.ROOT, "%-36s median %.3f s  ratio %.2f  runs %s%n", entry.getKey(), median,
            median / base, entry.getValue().stream().map(s -> String.format(Locale.ROOT, "%.3f", s)).toList());
      }
    } finally {
      spark.stop();
    }
  }

  private static double median(List<Double> values) {
    double[] sorted = values.stream().mapToDouble(Double::doubleValue).toArray();
    Arrays.sort(sorted);
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }
}
