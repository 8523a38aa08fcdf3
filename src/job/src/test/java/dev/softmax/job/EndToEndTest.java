/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.softmax.core.LogSumExpAccumulator;
import dev.softmax.core.Normalizer;
import dev.softmax.core.SoftmaxMode;
import dev.softmax.spark.SharedSpark;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job's main class end to end on the files of sample-data/, its prob and log_prob checked
 * bit for bit against the core: one {@link LogSumExpAccumulator} per group over value / T,
 * finished, then {@link Normalizer#prob} and {@link Normalizer#logProb} of each row.
 */
class EndToEndTest {

    private static final Path RETRIEVAL = RepositoryFiles.sampleData("retrieval_scores.csv");
    private static final Path LOGITS = RepositoryFiles.sampleData("class_logits.csv");

    @TempDir
    Path dir;

    /** One input row: its group, a key naming the row, and its value (null: none). */
    private record InputRow(String group, String key, Double value) {
    }

    /** prob and log_prob the core gives each row, by row key; null for a null value. */
    private static Map<String, double[]> reference(List<InputRow> rows, double temperature, SoftmaxMode mode) {
        Map<String, LogSumExpAccumulator> accumulators = new LinkedHashMap<>();
        for (InputRow row : rows) {
            LogSumExpAccumulator accumulator = accumulators.computeIfAbsent(row.group(),
                    g -> LogSumExpAccumulator.create(mode));
            if (row.value() != null) {
                accumulator.accept(row.value() / temperature);
            }
        }
        Map<String, Normalizer> normalizers = new HashMap<>();
        accumulators.forEach((group, accumulator) -> normalizers.put(group, accumulator.finish()));
        Map<String, double[]> expected = new HashMap<>();
        for (InputRow row : rows) {
            Normalizer normalizer = normalizers.get(row.group());
            expected.put(row.key(), row.value() == null ? null : new double[] {
                normalizer.prob(row.value() / temperature), normalizer.logProb(row.value() / temperature)});
        }
        return expected;
    }

    /** The sample file's rows: group from column 0, key from columns 0 and 1, value from column 2. */
    private static List<InputRow> sample(Path file) throws IOException {
        List<InputRow> rows = new ArrayList<>();
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        for (String line : lines.subList(1, lines.size())) {
            String[] fields = line.split(",", -1);
            Double value = ValueText.parseOrNull(fields[2]);
            assertThat(value != null || ValueText.isBlank(fields[2])).as(line).isTrue();
            rows.add(new InputRow(fields[0], fields[0] + "/" + fields[1], value));
        }
        return rows;
    }

    private static void assertSameBits(String key, Double actual, double expected, String column) {
        assertThat(actual).as("%s of %s", column, key).isNotNull();
        assertThat(Double.doubleToLongBits(actual)).as("%s of %s: %s, core %s", column, key, actual, expected)
                .isEqualTo(Double.doubleToLongBits(expected));
    }

    private static Double parse(String csvField) {
        return csvField == null ? null : Double.valueOf(csvField);
    }

    @Test
    void retrievalScoresCsvPerQueryMatchTheCoreBitForBit() throws IOException {
        List<InputRow> input = sample(RETRIEVAL);
        Path out = dir.resolve("retrieval");
        JobRunner.Result result = JobRunner.run("--input", RETRIEVAL.toString(), "--value-column", "score",
                "--group-by", "query_id", "--output", out.toString()).succeeded();
        assertThat(result.out())
                .contains("input rows    2368 (4 with a null score, 0 bad)")
                .contains("groups        120 (by query_id)")
                .contains("NaN groups    1 (1 with a NaN, 0 with +inf, 0 all -inf)")
                .contains("rows written  2368 (prob, log_prob added)")
                .contains("output        file:" + out.toAbsolutePath() + " (csv)")
                .contains("mode          exact, temperature 1");

        Map<String, double[]> expected = reference(input, 1.0, SoftmaxMode.EXACT);
        List<Map<String, String>> rows = JobRunner.readCsv(out);
        assertThat(rows).hasSize(input.size());
        assertThat(JobRunner.csvHeader(out)).containsExactly("query_id", "doc_id", "score", "prob", "log_prob");
        int checked = 0;
        for (Map<String, String> row : rows) {
            String key = row.get("query_id") + "/" + row.get("doc_id");
            assertThat(expected).containsKey(key);
            double[] want = expected.get(key);
            if (want == null) {
                assertThat(row.get("score")).isNull();
                assertThat(row.get("prob")).isNull();
                assertThat(row.get("log_prob")).isNull();
                continue;
            }
            assertSameBits(key, parse(row.get("prob")), want[0], "prob");
            assertSameBits(key, parse(row.get("log_prob")), want[1], "log_prob");
            checked++;
        }
        assertThat(checked).isEqualTo(2364);
        // The numpy "nan" of query q0042 makes its whole group NaN; -inf scores get prob 0.
        assertThat(rows).filteredOn(r -> r.get("query_id").equals("q0042")).extracting(r -> r.get("prob"))
                .containsOnly("NaN");
        assertThat(rows).filteredOn(r -> "-Infinity".equals(r.get("score"))).extracting(r -> r.get("prob"))
                .containsExactly("0.0", "0.0");
    }

    @Test
    void retrievalScoresParquetMatchTheCoreBitForBit() throws IOException {
        List<InputRow> input = sample(RETRIEVAL);
        SparkSession spark = SharedSpark.root();
        StructType schema = new StructType().add("query_id", DataTypes.StringType)
                .add("doc_id", DataTypes.StringType).add("score", DataTypes.DoubleType);
        List<Row> rows = new ArrayList<>();
        for (InputRow row : input) {
            rows.add(RowFactory.create(row.group(), row.key().substring(row.group().length() + 1), row.value()));
        }
        Path parquet = dir.resolve("scores-parquet");
        spark.createDataFrame(rows, schema).repartition(3).write().parquet(parquet.toString());

        Path out = dir.resolve("out");
        JobRunner.run("--input", parquet.toString(), "--value-column", "score", "--group-by", "query_id",
                "--output", out.toString()).succeeded();
        Map<String, double[]> expected = reference(input, 1.0, SoftmaxMode.EXACT);
        List<Row> written = spark.read().parquet(out.toString()).collectAsList();
        assertThat(written).hasSize(input.size());
        for (Row row : written) {
            String key = row.getString(0) + "/" + row.getString(1);
            double[] want = expected.get(key);
            if (want == null) {
                assertThat(row.isNullAt(3)).isTrue();
                assertThat(row.isNullAt(4)).isTrue();
            } else {
                assertSameBits(key, row.getDouble(3), want[0], "prob");
                assertSameBits(key, row.getDouble(4), want[1], "log_prob");
            }
        }
    }

    @Test
    void classLogitsWithTemperatureOnManyPartitionsMatchTheCoreBitForBit() throws IOException {
        List<InputRow> input = sample(LOGITS);
        Path out = dir.resolve("logits");
        // Small splits: the file is read as about ten partitions, so groups are folded in pieces
        // and merged; the exact mode still gives the core's bits.
        JobRunner.run("--input", LOGITS.toString(), "--value-column", "logit", "--group-by", "example_id",
                "--temperature", "2", "--output", out.toString(), "--output-format", "parquet",
                "--conf", "spark.sql.files.maxPartitionBytes=8192").succeeded();
        Map<String, double[]> expected = reference(input, 2.0, SoftmaxMode.EXACT);
        List<Row> written = SharedSpark.root().read().parquet(out.toString()).collectAsList();
        assertThat(written).hasSize(3000);
        for (Row row : written) {
            String key = row.getString(0) + "/" + row.getString(1);
            assertSameBits(key, row.getDouble(3), expected.get(key)[0], "prob");
            assertSameBits(key, row.getDouble(4), expected.get(key)[1], "log_prob");
        }
    }

    @Test
    void fastModeAndOneOutputColumnOverTheWholeColumn() throws IOException {
        List<InputRow> input = sample(LOGITS);
        List<InputRow> oneGroup = input.stream().map(r -> new InputRow("all", r.key(), r.value())).toList();
        Path out = dir.resolve("fast");
        JobRunner.Result result = JobRunner.run("--input", LOGITS.toString(), "--value-column", "logit",
                "--mode", "fast", "--outputs", "log_prob", "--output", out.toString(), "--output-format", "json")
                .succeeded();
        assertThat(result.out()).contains("groups        1 (one group: the whole column)")
                .contains("mode          fast, temperature 1");
        Map<String, double[]> expected = reference(oneGroup, 1.0, SoftmaxMode.EXACT);
        // JSON has no NaN or infinity: Spark writes them as strings, which a double column reads back.
        StructType schema = new StructType().add("example_id", DataTypes.StringType)
                .add("class", DataTypes.StringType).add("logit", DataTypes.DoubleType)
                .add("log_prob", DataTypes.DoubleType);
        List<Row> written = SharedSpark.root().read().schema(schema).json(out.toString()).collectAsList();
        assertThat(SharedSpark.root().read().json(out.toString()).columns())
                .containsExactlyInAnyOrder("example_id", "class", "logit", "log_prob");
        assertThat(written).hasSize(3000);
        for (Row row : written) {
            String key = row.<String>getAs("example_id") + "/" + row.<String>getAs("class");
            double logProb = row.<Double>getAs("log_prob");
            double want = expected.get(key)[1];
            if (Double.isInfinite(want)) {
                assertThat(logProb).isEqualTo(want);
            } else {
                // The fast mode is plain doubles: close to the exact value, not bit for bit.
                assertThat(Math.abs(logProb - want)).as(key).isLessThanOrEqualTo(1e-12 * Math.max(1, Math.abs(want)));
            }
        }
    }

    @Test
    void groupColumnsNamedLikeTheNormalizerColumnsAndNullKeys() {
        Path file = JobRunner.write(dir.resolve("in/clash.csv"),
                "status,count,max,x", "a,1,2,1.0", "a,1,2,2.0", "b,1,3,3.0", ",,,5.0", ",,,5.0");
        JobRunner.run("--input", file.toString(), "--value-column", "x", "--group-by", "status,count,max",
                "--output", dir.resolve("out").toString()).succeeded();
        List<Map<String, String>> rows = JobRunner.readCsv(dir.resolve("out"));
        assertThat(JobRunner.csvHeader(dir.resolve("out")))
                .containsExactly("status", "count", "max", "x", "prob", "log_prob");
        assertThat(rows).extracting(r -> r.get("status") + " " + r.get("x") + " " + r.get("prob"))
                .containsExactlyInAnyOrder("a 1.0 0.2689414213699951", "a 2.0 0.7310585786300049", "b 3.0 1.0",
                        "null 5.0 0.5", "null 5.0 0.5");
    }
}
