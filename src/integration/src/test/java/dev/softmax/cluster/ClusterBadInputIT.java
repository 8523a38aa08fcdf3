/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.apache.spark.sql.functions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Bad input on the cluster, where Spark retries a failing task 4 times on any executor: each
 * case ends with the documented error (exit 2, one line "softmax: ..." naming the file) and
 * nothing written, or with the documented bad-rows handling; never with exit 0 and other
 * numbers.
 *
 * <p>Not covered, because no reader can tell: a CSV file cut exactly at the end of a line or
 * within the value's digits ("0.5214" cut to "0.52" is a number), a changed digit in a CSV
 * file (CSV has no checksum).
 */
@ExtendWith(ClusterExtension.class)
class ClusterBadInputIT {

    private static final double MARKED = 1234.5678;

    /** The run's job error lines; exactly one, which is returned. */
    private static String badInputLine(SparkApp.Result result) {
        assertThat(result.exitCode()).as("exit code; stderr in %s", result.dir()).isEqualTo(2);
        List<String> lines = result.jobErrors();
        assertThat(lines).as("the job's lines on stderr (%s)", result.dir()).hasSize(1);
        return lines.get(0);
    }

    private static void assertNothingWritten(Path out) throws IOException {
        assertThat(out).doesNotExist();
        try (Stream<Path> siblings = Files.list(out.getParent())) {
            assertThat(siblings.map(p -> p.getFileName().toString())).as("no temporary output left")
                    .noneMatch(name -> name.startsWith("." + out.getFileName()));
        }
    }

    private static String retries(SparkApp.Result result) {
        return result.logLines("Lost task ").size() + " task failures in the driver log";
    }

    /** Parquet files written by Spark, without Hadoop's .crc sidecars (as after a copy by another tool). */
    private static Path parquetInput(Path dir, boolean compressed) throws IOException {
        Path in = dir.resolve("in");
        dev.softmax.spark.SharedSpark.root().range(0, 40_000, 1, 4)
                .select(functions.expr("concat('g', pmod(id, 50))").as("g"),
                        functions.expr("CASE WHEN id = 12345 THEN " + MARKED
                                + "D ELSE (pmod(id, 1000) - 500) / 7.0 END").as("x"))
                .write().option("compression", compressed ? "snappy" : "none").parquet(in.toString());
        try (Stream<Path> files = Files.list(in)) {
            for (Path file : files.filter(f -> f.getFileName().toString().startsWith(".")).toList()) {
                Files.delete(file);
            }
        }
        return in;
    }

    private static List<Path> parquetFiles(Path in) throws IOException {
        try (Stream<Path> files = Files.list(in)) {
            return files.filter(f -> f.toString().endsWith(".parquet")).sorted().toList();
        }
    }

    private static List<String> parquetArgs(Path in, Path out) {
        return List.of("--input", in.toString(), "--value-column", "x", "--group-by", "g", "--output", out.toString());
    }

    @Test
    void truncatedParquetFile(StandaloneCluster cluster) throws IOException {
        Path dir = ClusterData.outputRoot("bad-truncated-parquet");
        Path in = parquetInput(dir, true);
        Path victim = parquetFiles(in).get(2);
        byte[] bytes = Files.readAllBytes(victim);
        Files.write(victim, Arrays.copyOf(bytes, bytes.length / 2));
        Path out = dir.resolve("out");

        SparkApp.Result result = cluster.submitLight("bad-truncated-parquet", List.of(), parquetArgs(in, out)).await();

        assertThat(badInputLine(result)).startsWith("softmax: --input: cannot read ")
                .contains(victim.getFileName().toString());
        assertNothingWritten(out);
        Observations.record(String.format("bad input, truncated Parquet file: exit 2 in %.1f s, %s", result.seconds(),
                retries(result)));
    }

    /**
     * One bit flipped in the 8 bytes of a double in an uncompressed Parquet page: read without
     * checking the page's CRC, it is another finite value, silently. The job checks the CRC.
     */
    @Test
    void flippedBitInAParquetDataPage(StandaloneCluster cluster) throws IOException {
        Path dir = ClusterData.outputRoot("bad-corrupted-parquet");
        Path in = parquetInput(dir, false);
        byte[] marked = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putDouble(MARKED).array();
        Path victim = null;
        for (Path file : parquetFiles(in)) {
            byte[] bytes = Files.readAllBytes(file);
            // ISO-8859-1 maps each byte to one char, so the string index is the byte index
            int at = new String(bytes, StandardCharsets.ISO_8859_1)
                    .indexOf(new String(marked, StandardCharsets.ISO_8859_1));
            if (at >= 0) {
                bytes[at + 3] ^= 0x10;
                Files.write(file, bytes);
                victim = file;
            }
        }
        assertThat(victim).as("the file holding the marked value").isNotNull();
        Path out = dir.resolve("out");

        SparkApp.Result result = cluster.submitLight("bad-corrupted-parquet", List.of(), parquetArgs(in, out)).await();

        assertThat(badInputLine(result)).startsWith("softmax: --input: cannot read ")
                .contains(victim.getFileName().toString()).contains("CRC checksum verification failed");
        assertNothingWritten(out);
        Observations.record(String.format("bad input, one bit flipped in a Parquet data page: exit 2 in %.1f s, %s",
                result.seconds(), retries(result)));
    }

    private static List<String> csvArgs(Path in, Path out, String... more) {
        List<String> args = new ArrayList<>(List.of("--input", in.toString(), "--value-column", "score",
                "--group-by", "query_id", "--output", out.toString()));
        args.addAll(List.of(more));
        return args;
    }

    /** The sample file cut in the middle of a line (its last line is then "q0060,d0", two fields of three). */
    @Test
    void truncatedCsvFile(StandaloneCluster cluster) throws IOException {
        Path dir = ClusterData.outputRoot("bad-truncated-csv");
        byte[] sample = Files.readAllBytes(ClusterData.SAMPLE);
        int lineStart = lastIndexOf(sample, (byte) '\n', sample.length / 2) + 1;
        Path in = Files.createDirectories(dir.resolve("in")).resolve("scores.csv");
        Files.write(in, Arrays.copyOf(sample, lineStart + 8));
        String lastLine = new String(sample, lineStart, 8, StandardCharsets.UTF_8);
        Path out = dir.resolve("out");

        SparkApp.Result result = cluster.submitLight("bad-truncated-csv", List.of(), csvArgs(in, out)).await();

        assertThat(badInputLine(result)).isEqualTo("softmax: bad row in " + in.toUri()
                + ": malformed line '" + lastLine + "'; 1 bad row in all, nothing written"
                + " (pass --bad-rows DIR to set them aside and go on)");
        assertNothingWritten(out);
        Observations.record(String.format("bad input, CSV cut mid-line: exit 2 in %.1f s", result.seconds()));
    }

    /** Binary garbage (NUL, 0xFF, a stray quote, bytes that are not UTF-8) in the middle of the sample file. */
    @Test
    void corruptedCsvFile(StandaloneCluster cluster) throws IOException {
        Path dir = ClusterData.outputRoot("bad-corrupted-csv");
        byte[] sample = Files.readAllBytes(ClusterData.SAMPLE);
        int at = lastIndexOf(sample, (byte) '\n', sample.length / 2) + 10;
        byte[] garbage = {0, (byte) 0xFF, (byte) 0xFE, '"', 1, 2, 3, (byte) 0x80, (byte) 0x81};
        System.arraycopy(garbage, 0, sample, at, garbage.length);
        Path in = Files.createDirectories(dir.resolve("in")).resolve("scores.csv");
        Files.write(in, sample);
        Path out = dir.resolve("out");

        SparkApp.Result result = cluster.submitLight("bad-corrupted-csv", List.of(), csvArgs(in, out)).await();

        assertThat(badInputLine(result)).startsWith("softmax: bad row in ").contains("scores.csv")
                .endsWith("1 bad row in all, nothing written (pass --bad-rows DIR to set them aside and go on)");
        assertNothingWritten(out);
        Observations.record(String.format("bad input, binary garbage in a CSV line: exit 2 in %.1f s",
                result.seconds()));
    }

    private static int lastIndexOf(byte[] bytes, byte b, int before) {
        for (int i = before; i >= 0; i--) {
            if (bytes[i] == b) {
                return i;
            }
        }
        return -1;
    }

    /**
     * One line of 32 MiB in a CSV file (a value field of 32 Mi 'x'), among ordinary lines,
     * with --bad-rows: the line is set aside whole, the other rows are written with the same
     * bits as in local mode without that line.
     */
    @Test
    void hugeSingleLineSetAsideWithBadRows(StandaloneCluster cluster) throws IOException {
        Path dir = ClusterData.outputRoot("bad-huge-line");
        List<String> lines = Files.readAllLines(ClusterData.SAMPLE, StandardCharsets.UTF_8);
        Path clean = Files.createDirectories(dir.resolve("clean")).resolve("scores.csv");
        Files.write(clean, lines, StandardCharsets.UTF_8);
        Path in = Files.createDirectories(dir.resolve("in")).resolve("scores.csv");
        int hugeLength = 32 << 20;
        try (OutputStream file = Files.newOutputStream(in)) {
            for (int i = 0; i < lines.size(); i++) {
                file.write((lines.get(i) + "\n").getBytes(StandardCharsets.UTF_8));
                if (i == lines.size() / 2) {
                    file.write("q0061,dHUGE,".getBytes(StandardCharsets.US_ASCII));
                    byte[] chunk = new byte[1 << 20];
                    Arrays.fill(chunk, (byte) 'x');
                    for (int c = 0; c < hugeLength >> 20; c++) {
                        file.write(chunk);
                    }
                    file.write('\n');
                }
            }
        }
        Path out = dir.resolve("out");
        Path bad = dir.resolve("bad");
        Path reference = dir.resolve("reference");
        ClusterData.runLocal(csvArgs(clean, reference));

        SparkApp.Result result = cluster.submitLight("bad-huge-line", List.of(),
                csvArgs(in, out, "--bad-rows", bad.toString())).await().succeeded();

        assertThat(result.out()).contains("input rows    2369 (4 with a null score, 1 bad)");
        assertThat(Outputs.csvLines(out)).isEqualTo(Outputs.csvLines(reference));
        List<String> badLines = Outputs.csvLines(bad);
        assertThat(badLines).hasSize(1);
        String badLine = badLines.get(0);
        assertThat(badLine).startsWith("q0061,dHUGE,").contains("value is not a number");
        assertThat(badLine.chars().filter(c -> c == 'x').count()).as("x in the bad row's value")
                .isEqualTo(hugeLength);
        Observations.record(String.format(Locale.ROOT, "bad input, a %d MiB line with --bad-rows: set aside whole,"
                + " the other rows as in local mode, in %.1f s", hugeLength >> 20, result.seconds()));
    }

    /**
     * A file deleted after the job listed it and before its task reads it: 16 CSV files, each
     * its own task, the one deleted the smallest, so the last to be read (Spark orders the
     * splits by size); deleted once the reading stage runs, while the REST task list shows that
     * its task (partition 15) has not been launched.
     */
    @Test
    void fileDeletedBetweenPlanningAndReading(StandaloneCluster cluster) throws IOException {
        Path dir = ClusterData.outputRoot("bad-deleted-file");
        Path in = Files.createDirectories(dir.resolve("in"));
        Path victim = null;
        for (int f = 0; f < 16; f++) {
            int rows = f == 15 ? 5_000 : 20_000;
            StringBuilder text = new StringBuilder("g,item,x\n");
            for (int i = 0; i < rows; i++) {
                long item = f * 100_000L + i;
                text.append('g').append(item % 97).append(',').append(item).append(',')
                        .append((item * 7919 % 10007) / 101.0).append('\n');
            }
            Path file = in.resolve(String.format("part-%02d.csv", f));
            Files.writeString(file, text, StandardCharsets.UTF_8);
            victim = file;
        }
        Path out = dir.resolve("out");
        SparkApp app = cluster.submitLight("bad-deleted-file", ClusterData.GENERATED_CONF, List.of(
                "--input", in.toString(), "--value-column", "x", "--group-by", "g", "--output", out.toString()));

        SparkApp.Stage reading = app.awaitStage("the stage reading the 16 files", Duration.ofMinutes(3),
                stage -> stage.isActive() && stage.tasks() == 16);
        java.util.Set<Integer> launched = app.launchedTaskIndexes(reading);
        assertThat(launched).as("tasks launched when the file is deleted (%s)", reading).doesNotContain(15);
        Files.delete(victim);
        SparkApp.Result result = app.await();

        assertThat(badInputLine(result)).startsWith("softmax: --input: cannot read ")
                .contains(victim.getFileName().toString());
        assertNothingWritten(out);
        Observations.record(String.format("bad input, a file deleted while the job read the others (tasks %s"
                + " launched then): exit 2 in %.1f s, %s", launched, result.seconds(), retries(result)));
    }
}
