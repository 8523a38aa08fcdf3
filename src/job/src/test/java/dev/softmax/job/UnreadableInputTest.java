/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.softmax.spark.SharedSpark;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Input files Spark cannot read, or must not read silently: exit 2 naming the file, nothing
 * written. (The cluster tests, dev.softmax.cluster.ClusterBadInputIT, run the same on a real
 * cluster, with Spark's task retries.)
 */
class UnreadableInputTest {

    /** A value whose 8 bytes occur once in the file: the test flips a bit in them. */
    private static final double MARKED = 1234.5678;

    @TempDir
    Path dir;

    /**
     * A Parquet file written by Spark without compression, so that the doubles are in it byte
     * for byte, and without the .crc sidecar files of Hadoop's local file system (as after a
     * copy by any other tool, or on an object store), which would catch a change on their own.
     */
    private Path parquet() throws Exception {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            rows.add(RowFactory.create("g" + (i % 7), i == 500 ? MARKED : i / 10.0));
        }
        StructType schema = new StructType().add("g", DataTypes.StringType).add("x", DataTypes.DoubleType);
        Path out = dir.resolve("in");
        SharedSpark.newSession().createDataFrame(rows, schema).coalesce(1).write().option("compression", "none")
                .parquet(out.toString());
        try (Stream<Path> files = Files.list(out)) {
            for (Path sidecar : files.filter(f -> f.getFileName().toString().endsWith(".crc")).toList()) {
                Files.delete(sidecar);
            }
        }
        try (Stream<Path> files = Files.list(out)) {
            return files.filter(f -> f.toString().endsWith(".parquet")).findFirst().orElseThrow();
        }
    }

    private JobRunner.Result run(Path input) {
        return JobRunner.run("--input", input.toString(), "--value-column", "x", "--group-by", "g",
                "--output", dir.resolve("out").toString());
    }

    @Test
    void truncatedParquetFileIsBadInputNamingTheFile() throws Exception {
        Path file = parquet();
        byte[] bytes = Files.readAllBytes(file);
        Files.write(file, java.util.Arrays.copyOf(bytes, bytes.length / 2));

        String line = run(file.getParent()).badInputLine();
        assertThat(line).startsWith("softmax: --input: cannot read ").contains(file.getFileName().toString())
                .contains("FAILED_READ_FILE.CANNOT_READ_FILE_FOOTER");
        assertThat(dir.resolve("out")).doesNotExist();
    }

    @Test
    void flippedBitInAParquetPageIsCaughtByItsChecksumNotReadAsAnotherValue() throws Exception {
        Path file = parquet();
        byte[] bytes = Files.readAllBytes(file);
        byte[] marked = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putDouble(MARKED).array();
        // ISO-8859-1 maps each byte to one char, so the string index is the byte index
        int at = new String(bytes, StandardCharsets.ISO_8859_1)
                .indexOf(new String(marked, StandardCharsets.ISO_8859_1));
        assertThat(at).as("the marked value in the file").isPositive();
        bytes[at + 3] ^= 0x10; // still a finite double, a different one
        Files.write(file, bytes);

        String line = run(file.getParent()).badInputLine();
        assertThat(line).startsWith("softmax: --input: cannot read ").contains(file.getFileName().toString())
                .contains("CRC checksum verification failed");
        assertThat(dir.resolve("out")).doesNotExist();
    }
}
