/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.integration;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.Trigger;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.StructType;

/**
 * The streaming query of {@code StreamingIT}, in a JVM of its own so that the test can stop
 * it, kill it and start it again from its checkpoint. Two queries over one file source
 * (CSV, one file per micro-batch), each a streaming aggregate per group of
 * {@code logsumexp(x)}, {@code softmax_state(x)} and {@code softmax_normalizer(x)} from the
 * session extension ({@code spark.sql.extensions=dev.softmax.spark.SoftmaxExtensions}, exact
 * mode): one in {@code update}, one in {@code complete} output mode. Each micro-batch's rows go
 * to {@code OUTPUT/MODE/batch-NNNNN} (Parquet, overwritten when a batch is run again after a
 * restart), then an empty file {@code CONTROL/done-MODE-N}.
 *
 * <p>At its first start it also writes to {@code CONTROL/window-error.txt} the error that the
 * window form ({@code softmax(x, softmax_state(x) OVER (PARTITION BY g))}) on the stream gets
 * in this session with the extension.
 *
 * <p>It exits by itself when its standard input closes (the test JVM is gone).
 *
 * <p>Arguments: {@code INPUT CHECKPOINTS OUTPUT CONTROL [HANG_BATCH]}. It stops both queries and
 * exits 0 when the file {@code CONTROL/stop} appears. With {@code HANG_BATCH}, the update
 * query's micro-batch of that id, after writing its rows (its aggregation has then committed
 * the batch's state-store version) and before returning (so before the batch's commit-log
 * entry), writes {@code CONTROL/hanging-N} and waits there, for the test to kill the JVM.
 */
public final class StreamingAggregationMain {

    public static final StructType SCHEMA = StructType.fromDDL("id BIGINT, g STRING, x DOUBLE");
    /** The aggregates, as SQL: StreamingIT's batch reference runs the same. */
    public static final List<String> AGGREGATES = List.of("logsumexp(x) AS lse", "softmax_state(x) AS state",
            "softmax_normalizer(x) AS normalizer");
    public static final List<String> MODES = List.of("update", "complete");

    private StreamingAggregationMain() {
    }

    /** The aggregates per group {@code g}, the same on a stream and on a table. */
    public static Dataset<Row> aggregate(Dataset<Row> rows) {
        Column[] columns = AGGREGATES.stream().map(functions::expr).toArray(Column[]::new);
        return rows.groupBy("g").agg(columns[0], java.util.Arrays.copyOfRange(columns, 1, columns.length));
    }

    public static void main(String[] args) throws Exception {
        String input = args[0];
        Path checkpoints = Path.of(args[1]);
        Path output = Path.of(args[2]);
        Path control = Path.of(args[3]);
        long hangBatch = args.length > 4 ? Long.parseLong(args[4]) : -1;
        // A test JVM that dies outright closes our standard input: then go too.
        Thread orphanWatch = new Thread(() -> {
            try {
                while (System.in.read() >= 0) {
                    // nothing is sent; EOF is the signal
                }
            } catch (java.io.IOException e) {
                // as EOF
            }
            Runtime.getRuntime().halt(3);
        }, "exit-when-the-test-jvm-is-gone");
        orphanWatch.setDaemon(true);
        orphanWatch.start();

        SparkSession spark = SparkSession.builder()
                .master("local[2]")
                .appName("softmax-streaming-it")
                .config("spark.sql.extensions", "dev.softmax.spark.SoftmaxExtensions")
                .config("spark.ui.enabled", "false")
                .config("spark.driver.host", ItEnvironment.HOST)
                .config("spark.sql.shuffle.partitions", "2")
                .config("spark.sql.streaming.noDataMicroBatches.enabled", "false")
                .getOrCreate();
        Dataset<Row> rows = spark.readStream().schema(SCHEMA).option("header", "true")
                .option("maxFilesPerTrigger", "1").csv(input);
        Dataset<Row> perGroup = aggregate(rows);
        // What a user of the extension sees for the window form on a stream, for StreamingIT to read.
        Path windowError = control.resolve("window-error.txt");
        if (!Files.exists(windowError)) {
            String message;
            try {
                rows.selectExpr("id", "softmax(x, softmax_state(x) OVER (PARTITION BY g)) AS p");
                message = "no error";
            } catch (RuntimeException e) {
                message = e.getClass().getName() + ": " + e.getMessage();
            }
            Files.writeString(windowError, message);
        }

        StreamingQuery[] queries = new StreamingQuery[MODES.size()];
        for (int i = 0; i < MODES.size(); i++) {
            String mode = MODES.get(i);
            VoidFunction2<Dataset<Row>, Long> sink = (batch, batchId) -> {
                batch.write().mode("overwrite")
                        .parquet(output.resolve(mode).resolve(String.format("batch-%05d", batchId)).toString());
                if (mode.equals("update") && batchId == hangBatch) {
                    Files.createFile(control.resolve("hanging-" + mode + "-" + batchId));
                    TimeUnit.MINUTES.sleep(10);
                }
                Files.deleteIfExists(control.resolve("done-" + mode + "-" + batchId));
                Files.createFile(control.resolve("done-" + mode + "-" + batchId));
            };
            queries[i] = perGroup.writeStream().queryName(mode).outputMode(mode)
                    .option("checkpointLocation", checkpoints.resolve(mode).toString())
                    .trigger(Trigger.ProcessingTime(1, TimeUnit.SECONDS))
                    .foreachBatch(sink)
                    .start();
        }
        while (!Files.exists(control.resolve("stop"))) {
            for (StreamingQuery query : queries) {
                if (!query.isActive()) {
                    System.err.println("query " + query.name() + " stopped: " + query.exception());
                    System.exit(1);
                }
            }
            Thread.sleep(100);
        }
        for (StreamingQuery query : queries) {
            query.stop();
        }
        spark.stop();
        System.exit(0);
    }
}
