/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.cluster;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat_ws;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.xxhash64;

import dev.softmax.spark.SharedSpark;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;

/**
 * Compares what two runs of the job wrote, bit for bit.
 *
 * <p>CSV: Spark writes doubles as {@code Double.toString}, which gives every double its own
 * text (-0.0 included), so the sorted data lines of two outputs are equal exactly when the
 * rows and their bits are. Parquet: read with the test JVM's local session, each row becomes
 * one text holding every column, doubles as their raw IEEE bits in hex (so -0.0, 0.0 and NaN
 * payloads differ, where Spark's own comparisons would call them equal); two outputs are equal
 * when their row counts and the sum of a 64-bit hash of those texts are, and on a difference
 * the rows in one and not the other are shown.
 */
public final class Outputs {

    private static final UserDefinedFunction BITS = functions.udf(
            (UDF1<Double, String>) x -> x == null ? "null" : Long.toHexString(Double.doubleToRawLongBits(x)),
            DataTypes.StringType);

    private Outputs() {
    }

    /** Count and hash sum of the rows of a Parquet output: equal for equal multisets of rows, bit for bit. */
    public record Fingerprint(long rows, String hashSum) {
    }

    /** Every row as one text: columns in name order, doubles as raw bits. */
    static Dataset<Row> rowTexts(Path parquetDirectory) {
        SparkSession spark = SharedSpark.root();
        Dataset<Row> rows = spark.read().parquet(parquetDirectory.toString());
        List<Column> parts = new ArrayList<>();
        List<String> names = new ArrayList<>(List.of(rows.columns()));
        names.sort(null);
        for (String name : names) {
            StructField field = rows.schema().apply(name);
            Column value = field.dataType().equals(DataTypes.DoubleType) ? BITS.apply(col(name))
                    : coalesce(col(name).cast(DataTypes.StringType), lit("null"));
            parts.add(lit(name + "="));
            parts.add(value);
        }
        return rows.select(concat_ws("", parts.toArray(Column[]::new)).as("row"));
    }

    public static Fingerprint fingerprint(Path parquetDirectory) {
        Row row = rowTexts(parquetDirectory)
                .agg(count(lit(1)), sum(xxhash64(col("row")).cast(DataTypes.createDecimalType(20, 0))))
                .head();
        return new Fingerprint(row.getLong(0), row.isNullAt(1) ? "0" : row.getDecimal(1).toPlainString());
    }

    /** Up to {@code limit} rows of {@code a} that {@code b} lacks (as many times as they occur), as texts. */
    static List<String> rowsOnlyIn(Path a, Path b, int limit) {
        return rowTexts(a).exceptAll(rowTexts(b)).limit(limit).collectAsList().stream().map(r -> r.getString(0))
                .toList();
    }

    /** A message saying how two Parquet outputs differ, or null if they hold the same rows, bit for bit. */
    public static String parquetDifference(Path expected, Fingerprint expectedPrint, Path actual) {
        Fingerprint actualPrint = fingerprint(actual);
        if (actualPrint.equals(expectedPrint)) {
            return null;
        }
        return actual + " differs from " + expected + ": " + actualPrint + " vs " + expectedPrint
                + "; rows only in the first: " + rowsOnlyIn(actual, expected, 5)
                + "; rows only in the second: " + rowsOnlyIn(expected, actual, 5);
    }

    /** The data lines of a CSV output (header lines left out), sorted. */
    public static List<String> csvLines(Path directory) {
        List<String> lines = new ArrayList<>();
        for (Path file : dataFiles(directory, ".csv")) {
            try {
                List<String> fileLines = Files.readAllLines(file, StandardCharsets.UTF_8);
                lines.addAll(fileLines.subList(Math.min(1, fileLines.size()), fileLines.size()));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        lines.sort(null);
        return lines;
    }

    /** The data files of an output directory with this suffix, sorted. */
    static List<Path> dataFiles(Path directory, String suffix) {
        try (Stream<Path> files = Files.list(directory)) {
            return files.filter(f -> f.getFileName().toString().endsWith(suffix)).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every file under a directory (relative name to SHA-256 of its bytes): to see that it did not change. */
    public static Map<String, String> snapshot(Path directory) {
        Map<String, String> files = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(directory)) {
            for (Path file : walk.filter(Files::isRegularFile).toList()) {
                MessageDigest digest = MessageDigest.getInstance("SHA-256");
                files.put(directory.relativize(file).toString(),
                        HexFormat.of().formatHex(digest.digest(Files.readAllBytes(file))));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        return files;
    }

    /** The names in a directory, sorted. */
    public static List<String> list(Path directory) {
        try (Stream<Path> files = Files.list(directory)) {
            return files.map(f -> f.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
