/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.cluster;

import static org.apache.spark.sql.functions.expr;

import dev.softmax.job.RepositoryFiles;
import dev.softmax.job.SoftmaxJob;
import dev.softmax.spark.SharedSpark;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The inputs of the cluster tests and their local-mode references, each made once per suite:
 * {@code sample-data/retrieval_scores.csv} grouped by query_id (CSV in, CSV out) and the
 * generated grouped {@link Table}s (Parquet).
 *
 * <p>The references are the job itself in local mode, in process, on the test JVM's
 * {@code local[2]} session ({@link SoftmaxJob#run}) with its 4 shuffle partitions and 2 input
 * partitions per table.
 */
final class ClusterData {

    static final Path SAMPLE = RepositoryFiles.sampleData("retrieval_scores.csv");
    static final int FILES = 16;
    /**
     * Spark conf of the cluster runs on the generated tables: one task per file (16), where
     * Spark would pack them into 2 partitions (one per core), so that every stage has tasks to
     * lose and to retry.
     */
    static final List<String> GENERATED_CONF = List.of("spark.sql.files.minPartitionNum=" + FILES);

    /** The generated tables: the same columns and value mix, from row numbers 0 to rows - 1. */
    enum Table {
        /** The equivalence table, a few million rows. */
        LARGE("grouped-2m", 2_000_000),
        /** The fault table: smaller, so that a run with a fault stays short, with stages of 16 tasks still. */
        FAULTS("grouped-500k", 500_000);

        final String dirName;
        final long rows;

        Table(String dirName, long rows) {
            this.dirName = dirName;
            this.rows = rows;
        }
    }

    /** Uniform in [0, 1) from the row number. */
    private static final String UNIFORM = "(CAST(pmod(xxhash64(id, 13), 4294967296) AS DOUBLE) / 4294967296.0)";
    /** Which of the value distributions a row takes: 0 to 99. */
    private static final String KIND = "pmod(xxhash64(id, 17), 100)";
    private static final String GROUP = "CASE WHEN pmod(id, 100003) = 5 THEN NULL"
            + " WHEN pmod(id, 400009) = 1 THEN 'all_neg_inf'"
            + " WHEN pmod(id, 10) = 0 THEN 'hot'"
            + " ELSE concat('g', lpad(CAST(pmod(xxhash64(id, 11), 2000) AS STRING), 4, '0')) END";
    private static final String VALUE = "CASE WHEN pmod(id, 400009) = 1 THEN CAST('-Infinity' AS DOUBLE)"
            + " WHEN id = 100001 THEN CAST('NaN' AS DOUBLE)"
            + " WHEN id = 100003 THEN CAST('Infinity' AS DOUBLE)"
            + " WHEN pmod(id, 50021) = 3 THEN NULL"
            + " WHEN pmod(id, 70001) = 9 THEN CAST('-Infinity' AS DOUBLE)"
            + " WHEN " + KIND + " < 60 THEN (" + UNIFORM + " - 0.5) * 40"
            + " WHEN " + KIND + " < 80 THEN (" + UNIFORM + " - 0.5) * 1400"
            + " WHEN " + KIND + " < 90 THEN " + UNIFORM + " * 1e-3"
            + " WHEN " + KIND + " < 95 THEN -" + UNIFORM + " * 1e300"
            + " ELSE CAST(pmod(xxhash64(id, 19), 10) AS DOUBLE) END";

    private static final Map<Table, Path> GENERATED = new EnumMap<>(Table.class);
    private static final Map<Table, Reference> REFERENCES = new EnumMap<>(Table.class);
    /** Wall time of the clean cluster run of each table, once measured (to tell what a fault added). */
    private static final Map<Table, Double> CLEAN_SECONDS = new java.util.concurrent.ConcurrentHashMap<>();
    private static Path sampleReference;

    private ClusterData() {
    }

    /** A local-mode output, its fingerprint and the job's summary. */
    record Reference(Path dir, Outputs.Fingerprint fingerprint, String summary) {
    }

    static Path dataRoot() {
        return Path.of("target", "cluster", "data").toAbsolutePath();
    }

    /** A fresh folder for outputs of one test, under target/cluster/out. */
    static Path outputRoot(String name) {
        Path dir = Path.of("target", "cluster", "out", name).toAbsolutePath();
        deleteTree(dir);
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return dir;
    }

    /** The job's arguments for the sample data, grouped by query_id. */
    static List<String> sampleArgs(Path output, String... more) {
        List<String> args = new ArrayList<>(List.of("--input", SAMPLE.toString(), "--value-column", "score",
                "--group-by", "query_id", "--output", output.toString(), "--overwrite"));
        args.addAll(List.of(more));
        return args;
    }

    /** The job's arguments for a generated table, grouped by g. */
    static List<String> generatedArgs(Table table, Path output, String... more) {
        List<String> args = new ArrayList<>(List.of("--input", generated(table).toString(), "--value-column", "x",
                "--group-by", "g", "--output", output.toString(), "--overwrite"));
        args.addAll(List.of(more));
        return args;
    }

    static void cleanSeconds(Table table, double seconds) {
        CLEAN_SECONDS.put(table, seconds);
    }

    /** The clean cluster run's time, or "not measured in this run" (a test run alone). */
    static String cleanSeconds(Table table) {
        Double seconds = CLEAN_SECONDS.get(table);
        return seconds == null ? "clean run not measured in this suite run"
                : String.format("clean run %.1f s", seconds);
    }

    /**
     * A generated table (Parquet, {@value #FILES} files of the test JVM's local session, from
     * hashes of the row number: the same rows on every run), written on first use and reused
     * while target/ holds it (with the same definition, kept in a file _DEFINITION beside it).
     * 2,000 hashed groups {@code g0000..g1999}, one group
     * {@code hot} with a tenth of all rows (in every file, so its partial states merge across
     * tasks), a few rows with a null key, a group of -inf only; values over [-20, 20),
     * [-700, 700), [0, 0.001), down to -1e300, small integers (ties), one NaN, one +inf, some
     * -inf and nulls.
     */
    static synchronized Path generated(Table table) {
        Path dir = GENERATED.get(table);
        if (dir == null) {
            dir = dataRoot().resolve(table.dirName);
            String definition = table.rows + " rows in " + FILES + " files\ng: " + GROUP + "\nx: " + VALUE + "\n";
            Path definitionFile = dir.resolve("_DEFINITION");
            if (!definition.equals(readOrNull(definitionFile))) {
                Path temporary = dataRoot().resolve("." + table.dirName + "-writing");
                deleteTree(temporary);
                deleteTree(dir);
                long start = System.nanoTime();
                SharedSpark.root().range(0, table.rows, 1, FILES)
                        .select(expr(GROUP).as("g"), expr("id").as("item"), expr(VALUE).as("x"))
                        .write().parquet(temporary.toString());
                try {
                    Files.writeString(temporary.resolve("_DEFINITION"), definition);
                    Files.move(temporary, dir);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                System.err.printf("cluster tests: generated %,d rows in %s in %.1f s%n", table.rows, dir,
                        (System.nanoTime() - start) / 1e9);
            }
            GENERATED.put(table, dir);
        }
        return dir;
    }

    /** A generated table through the job in local mode. */
    static synchronized Reference reference(Table table) {
        Reference reference = REFERENCES.get(table);
        if (reference == null) {
            Path out = dataRoot().resolve("reference-" + table.dirName);
            String summary = runLocal(generatedArgs(table, out)).out();
            reference = new Reference(out, Outputs.fingerprint(out), summary);
            REFERENCES.put(table, reference);
        }
        return reference;
    }

    /** The sample data through the job in local mode (CSV). */
    static synchronized Path sampleReference() {
        if (sampleReference == null) {
            Path out = dataRoot().resolve("reference-sample");
            runLocal(sampleArgs(out));
            sampleReference = out;
        }
        return sampleReference;
    }

    /** What a run of the job in this JVM printed: the summary (stdout) and its notices (stderr). */
    record LocalRun(String out, String err) {
    }

    /** Runs the job in this JVM on the local[2] session; fails on a non-zero exit. */
    static LocalRun runLocal(List<String> args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        long start = System.nanoTime();
        int code = SoftmaxJob.run(SharedSpark.root(), new PrintWriter(out), new PrintWriter(err),
                args.toArray(String[]::new));
        if (code != 0) {
            throw new AssertionError("local run " + args + ": exit code " + code + "; stderr: " + err);
        }
        System.err.printf("cluster tests: local-mode reference %s in %.1f s%n", args.get(args.indexOf("--output") + 1),
                (System.nanoTime() - start) / 1e9);
        return new LocalRun(out.toString(), err.toString());
    }

    /** The summary lines that must agree between two runs of the same input (not time, not output path). */
    static List<String> comparableSummary(String summary) {
        return summary.lines().filter(line -> !line.startsWith("time") && !line.startsWith("output")).toList();
    }

    private static String readOrNull(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file) : null;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
