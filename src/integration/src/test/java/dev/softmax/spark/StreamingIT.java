/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.spark;

import static org.apache.spark.sql.functions.expr;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.softmax.cluster.Poll;
import dev.softmax.core.SoftmaxException;
import dev.softmax.integration.ChildJvm;
import dev.softmax.integration.ItEnvironment;
import dev.softmax.integration.StreamingAggregationMain;
import dev.softmax.spark.catalyst.StreamingWindowCheck;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.Trigger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The project's aggregates in Structured Streaming, over a file source (CSV, one file per
 * micro-batch): per-group {@code logsumexp}, {@code softmax_state} and
 * {@code softmax_normalizer} in update and complete output modes, in a child JVM
 * ({@link StreamingAggregationMain}) that is stopped mid-stream, started again from its
 * checkpoint, killed with SIGKILL inside a micro-batch and started again: the final states
 * are the same bytes as one batch aggregate over all the files. Then a stream scored against
 * stored normalizers (a stream-static join), and what cannot run on a stream.
 */
class StreamingIT {

    private static final Duration WAIT = Duration.ofMinutes(2);
    private static final int FILES = 6;
    private static final List<String> GROUPS = List.of("a", "b", "c", "wide", "nan", "ninf", "allninf", "");

    private static final List<ChildJvm> CHILDREN = new ArrayList<>();

    private static Path root;
    private static Path input;

    @BeforeAll
    static void directories() {
        root = ItEnvironment.freshDirectory("streaming");
        input = root.resolve("input");
    }

    /** Stops, by pid, any child a failed test left running. */
    @AfterAll
    static void stopChildren() {
        CHILDREN.stream().filter(ChildJvm::isAlive).forEach(ChildJvm::stop);
    }

    @Test
    void aggregatesSurviveAStopAndAKillAndEndAsTheBatchBytes() throws IOException {
        Path checkpoints = root.resolve("checkpoints");
        Path output = root.resolve("output");
        Path control = root.resolve("control");
        Files.createDirectories(input);
        Files.createDirectories(control);
        for (int i = 0; i < 4; i++) {
            addFile(i);
        }

        // Run 1: stopped (gracefully, query.stop()) once both queries committed two micro-batches, most
        // likely with files still unread (a trigger every second); more files come while it is down.
        ChildJvm first = start("1-stopped", checkpoints, output, control, -1);
        awaitFile(first, checkpoints.resolve("update/commits/1"));
        awaitFile(first, checkpoints.resolve("complete/commits/1"));
        Files.createFile(control.resolve("stop"));
        first.await(WAIT).succeeded();
        // The window form, in the child's session with the extension: refused at once, saying what to use.
        assertThat(Files.readString(control.resolve("window-error.txt")))
                .isEqualTo(SoftmaxException.class.getName() + ": " + StreamingWindowCheck.MESSAGE);
        Files.delete(control.resolve("stop"));
        int committed = names(checkpoints.resolve("update/commits")).size();
        System.err.printf("StreamingIT: run 1 committed %d of 4 batches when stopped%n", committed);
        assertThat(committed).as("batches run 1 committed").isBetween(2, 4);

        // Run 2: two more files; killed with SIGKILL inside the update query's micro-batch 4,
        // after that batch's state-store version is written and before its commit-log entry.
        addFile(4);
        addFile(5);
        ChildJvm second = start("2-killed", checkpoints, output, control, 4);
        awaitFile(second, control.resolve("hanging-update-4"));
        second.kill9();
        assertThat(checkpoints.resolve("update/offsets/4")).exists();
        assertThat(checkpoints.resolve("update/commits/4")).doesNotExist();

        // Run 3: from the checkpoint again, to the end of the input.
        ChildJvm third = start("3-restarted", checkpoints, output, control, -1);
        awaitFile(third, control.resolve("done-update-" + (FILES - 1)));
        awaitFile(third, control.resolve("done-complete-" + (FILES - 1)));
        Files.createFile(control.resolve("stop"));
        third.await(WAIT).succeeded();
        assertThat(names(checkpoints.resolve("update/commits"))).hasSize(FILES);

        SparkSession spark = SharedSpark.newSessionWithFunctions();
        Map<String, String> expected = canonical(StreamingAggregationMain.aggregate(
                spark.read().schema(StreamingAggregationMain.SCHEMA).option("header", "true").csv(input.toString())));
        assertThat(expected).hasSize(GROUPS.size());

        // update: each batch holds the groups it changed; a group's final state is its last row.
        Map<String, String> updated = new TreeMap<>();
        for (Path batch : batches(output.resolve("update"))) {
            updated.putAll(canonical(spark.read().parquet(batch.toString())));
        }
        assertThat(updated).isEqualTo(expected);
        // complete: the last batch holds every group.
        List<Path> complete = batches(output.resolve("complete"));
        assertThat(complete).hasSize(FILES);
        assertThat(canonical(spark.read().parquet(complete.get(complete.size() - 1).toString()))).isEqualTo(expected);
    }

    @Test
    void aStreamScoredAgainstStoredNormalizersHasTheBitsOfTheBatchSoftmax() throws Exception {
        Path scoreInput = root.resolve("score-input");
        writeFiles(scoreInput, 3, 101);
        SparkSession spark = SharedSpark.newSessionWithFunctions();
        Dataset<Row> table = spark.read().schema(StreamingAggregationMain.SCHEMA).option("header", "true")
                .csv(scoreInput.toString());
        // Stored normalizers, as a batch job would keep them.
        Path stored = root.resolve("normalizers");
        table.groupBy("g").agg(expr("softmax_normalizer(x)").as("n")).write().parquet(stored.toString());

        Dataset<Row> stream = spark.readStream().schema(StreamingAggregationMain.SCHEMA).option("header", "true")
                .option("maxFilesPerTrigger", "1").csv(scoreInput.toString());
        Dataset<Row> normalizers = spark.read().parquet(stored.toString());
        Dataset<Row> scored = stream.join(normalizers, stream.col("g").eqNullSafe(normalizers.col("g")), "left_outer")
                .select(stream.col("id"), expr("softmax(x, n)").as("prob"), expr("log_softmax(x, n)").as("log_prob"));
        Path out = root.resolve("scored");
        StreamingQuery query = scored.writeStream().format("parquet").option("path", out.toString())
                .option("checkpointLocation", root.resolve("scored-checkpoint").toString())
                .trigger(Trigger.AvailableNow()).start();
        assertThat(query.awaitTermination(WAIT.toMillis())).as("the query ended").isTrue();
        assertThat(query.exception().isEmpty()).as("no exception: %s", query.exception()).isTrue();

        Map<Long, String> expected = bitsById(SoftmaxFunctions.softmax(table, "x",
                SoftmaxOptions.defaults().groupBy("g")).select("id", "prob", "log_prob"));
        assertThat(expected).hasSize(3 * 40);
        assertThat(bitsById(spark.read().parquet(out.toString()))).isEqualTo(expected);
    }

    @Test
    void whatCannotRunOnAStreamSaysWhatToUseInstead() throws IOException {
        Path dir = root.resolve("refused-input");
        writeFiles(dir, 1, 7);
        SparkSession spark = SharedSpark.newSessionWithFunctions();
        Dataset<Row> stream = spark.readStream().schema(StreamingAggregationMain.SCHEMA).option("header", "true")
                .csv(dir.toString());

        assertThatThrownBy(() -> SoftmaxFunctions.softmax(stream, "x", SoftmaxOptions.defaults().groupBy("g")))
                .isInstanceOf(SoftmaxException.class)
                .hasMessageContaining("streaming")
                .hasMessageContaining("applyNormalizers");

        // A session with the functions from SparkSoftmax.register has no check rule: Spark refuses the
        // window form when the query starts. (With the extension, aggregatesSurviveAStopAndAKill... reads
        // the project's own message from the child.)
        assertThatThrownBy(() -> stream.selectExpr("id", "softmax(x, softmax_state(x) OVER (PARTITION BY g)) AS p")
                .writeStream().format("noop").option("checkpointLocation", root.resolve("refused-cp").toString())
                .start().awaitTermination(30_000))
                .hasMessageContaining("NON_TIME_WINDOW_NOT_SUPPORTED_IN_STREAMING");
    }

    // ---- helpers ------------------------------------------------------------------------------

    private static ChildJvm start(String name, Path checkpoints, Path output, Path control, long hangBatch) {
        List<String> classpath = new ArrayList<>();
        classpath.add(ItEnvironment.jobJar().toString());
        classpath.add(ItEnvironment.testClasses());
        classpath.addAll(ItEnvironment.testDependencyClasspath());
        List<String> jvm = new ArrayList<>(List.of("-Xmx1g", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"));
        jvm.addAll(ItEnvironment.sparkJvmOptions());
        jvm.add("-Dlog4j2.configurationFile=" + ItEnvironment.log4jConfig());
        List<String> args = new ArrayList<>(List.of(input.toString(), checkpoints.toString(), output.toString(),
                control.toString()));
        if (hangBatch >= 0) {
            args.add(Long.toString(hangBatch));
        }
        ChildJvm child = ChildJvm.start(name, root.resolve("runs").resolve(name), classpath, jvm,
                StreamingAggregationMain.class.getName(), args);
        CHILDREN.add(child);
        System.err.printf("StreamingIT: run %s, pid %d%n", name, child.pid());
        return child;
    }

    private static void awaitFile(ChildJvm child, Path file) {
        Poll.untilTrue(child.name() + " to write " + file, WAIT, Duration.ofMillis(100), () -> {
            if (!child.isAlive()) {
                throw new Poll.Abort(child.name() + " exited; stderr ends:\n" + ChildJvm.lastLines(child.stderr(), 40));
            }
            return Files.exists(file);
        }, () -> ChildJvm.lastLines(child.stderr(), 10));
    }

    /** File {@code index} of the aggregation test's input, moved into the source directory whole. */
    private static void addFile(int index) throws IOException {
        Path staging = root.resolve("staging");
        Files.createDirectories(staging);
        Path file = writeFile(staging, index, 1000 + index);
        Files.move(file, input.resolve(file.getFileName()), StandardCopyOption.ATOMIC_MOVE);
        // Later files are newer: the source reads them in this order.
        input.resolve(file.getFileName()).toFile().setLastModified(System.currentTimeMillis() + index * 1000L);
    }

    private static void writeFiles(Path dir, int count, long seed) throws IOException {
        Files.createDirectories(dir);
        for (int i = 0; i < count; i++) {
            writeFile(dir, i, seed + i);
        }
    }

    /**
     * 40 rows {@code id,g,x}: values over many binades (up to +-1e300, exp of 700), nulls, a
     * NaN in group nan, -inf beside finite values in ninf and only -inf in allninf, a null key.
     */
    private static Path writeFile(Path dir, int index, long seed) throws IOException {
        Random random = new Random(seed);
        List<String> lines = new ArrayList<>(List.of("id,g,x"));
        for (int row = 0; row < 40; row++) {
            long id = index * 1000L + row;
            String g = GROUPS.get(row % GROUPS.size());
            double x = switch (g) {
                case "wide" -> Math.scalb(random.nextDouble() - 0.5, random.nextInt(2000) - 1000);
                case "nan" -> index == 2 && row == 4 ? Double.NaN : random.nextGaussian() * 100;
                case "ninf" -> row % 3 == 0 ? Double.NEGATIVE_INFINITY : 700 + random.nextGaussian();
                case "allninf" -> Double.NEGATIVE_INFINITY;
                default -> random.nextGaussian() * 30;
            };
            String text = row % 13 == 5 ? "" : Double.isNaN(x) ? "NaN"
                    : x == Double.NEGATIVE_INFINITY ? "-Inf" : Double.toString(x);
            lines.add(id + "," + g + "," + text);
        }
        Path file = dir.resolve(String.format("part-%02d.csv", index));
        Files.write(file, lines, StandardCharsets.UTF_8);
        return file;
    }

    /** Group to the row's other columns, doubles as raw bits and binaries as hex: equal only when the bytes are. */
    private static Map<String, String> canonical(Dataset<Row> rows) {
        Map<String, String> byGroup = new TreeMap<>();
        for (Row row : rows.collectAsList()) {
            String group = row.isNullAt(0) ? "<null>" : row.getString(0);
            StringBuilder text = new StringBuilder();
            for (int i = 1; i < row.length(); i++) {
                text.append(rows.columns()[i]).append('=').append(canonical(row.get(i))).append(' ');
            }
            assertThat(byGroup.put(group, text.toString())).as("one row for group %s", group).isNull();
        }
        return byGroup;
    }

    private static String canonical(Object value) {
        if (value == null) {
            return "null";
        } else if (value instanceof Double d) {
            return "0x" + Long.toHexString(Double.doubleToRawLongBits(d));
        } else if (value instanceof byte[] bytes) {
            return HexFormat.of().formatHex(bytes);
        } else if (value instanceof Row row) {
            StringBuilder text = new StringBuilder("{");
            for (int i = 0; i < row.length(); i++) {
                text.append(row.schema().fieldNames()[i]).append('=').append(canonical(row.get(i))).append(',');
            }
            return text.append('}').toString();
        }
        return value.toString();
    }

    private static Map<Long, String> bitsById(Dataset<Row> rows) {
        Map<Long, String> bits = new TreeMap<>();
        for (Row row : rows.collectAsList()) {
            bits.put(row.getLong(0), canonical(row.get(1)) + " " + canonical(row.get(2)));
        }
        return bits;
    }

    private static List<Path> batches(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().startsWith("batch-")).sorted().toList();
        }
    }

    private static List<String> names(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> !n.startsWith(".")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

}
