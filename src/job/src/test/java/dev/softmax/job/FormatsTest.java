/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.softmax.spark.SharedSpark;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** JSON, ORC and compressed CSV inputs: format from the file names, output in the input's format. */
class FormatsTest {

    @TempDir
    Path dir;

    @Test
    void gzippedCsvIsCsv() throws IOException {
        Path file = dir.resolve("in/scores.csv.gz");
        Files.createDirectories(file.getParent());
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file))) {
            out.write("g,x\na,0\na,0\n".getBytes(StandardCharsets.UTF_8));
        }
        JobRunner.Result result = JobRunner.run("--input", file.toString(), "--value-column", "x", "--output",
                dir.resolve("out").toString()).succeeded();
        assertThat(result.out()).contains("(csv)");
        assertThat(JobRunner.readCsv(dir.resolve("out"))).extracting(r -> r.get("prob")).containsExactly("0.5", "0.5");
    }

    @Test
    void jsonLinesWithAMalformedRecord() {
        Path file = JobRunner.write(dir.resolve("in/events.jsonl"),
                "{\"id\": 1, \"score\": 2.0}",
                "{\"id\": 2, \"score\": \"-inf\"}",
                "{\"id\": 3, \"score\": ",
                "{\"id\": 4, \"score\": 2.0}");
        assertThat(JobRunner.run("--input", file.toString(), "--value-column", "score", "--output",
                dir.resolve("out").toString()).badInputLine())
                .contains("malformed record '{\"id\": 3, \"score\": '");

        JobRunner.run("--input", file.toString(), "--value-column", "score", "--output", dir.resolve("out").toString(),
                "--bad-rows", dir.resolve("bad").toString()).succeeded();
        SparkSession spark = SharedSpark.root();
        List<Row> out = spark.read().json(dir.resolve("out").toString()).orderBy("id").collectAsList();
        assertThat(out).extracting(r -> r.<Long>getAs("id")).containsExactly(1L, 2L, 4L);
        assertThat(out).extracting(r -> r.<Double>getAs("prob")).containsExactly(0.5, 0.0, 0.5);
        Row bad = spark.read().json(dir.resolve("bad").toString()).head();
        assertThat(bad.<String>getAs(ParsedInput.BAD_ROW_TEXT)).isEqualTo("{\"id\": 3, \"score\": ");
    }

    @Test
    void orcInAndOut() {
        SparkSession spark = SharedSpark.root();
        Path orc = dir.resolve("in-orc");
        spark.range(6).selectExpr("id % 2 AS g", "CAST(id AS INT) AS x").write().orc(orc.toString());
        JobRunner.Result result = JobRunner.run("--input", orc.toString(), "--value-column", "x", "--group-by", "g",
                "--output", dir.resolve("out").toString()).succeeded();
        assertThat(result.out()).contains("output        file:" + dir.resolve("out") + " (orc)");
        Dataset<Row> out = spark.read().orc(dir.resolve("out").toString());
        assertThat(out.columns()).containsExactly("g", "x", "prob", "log_prob");
        assertThat(out.schema().apply("x").dataType()).isEqualTo(DataTypes.DoubleType);
        double sum = out.filter("g = 0").agg(org.apache.spark.sql.functions.sum("prob")).head().getDouble(0);
        assertThat(sum).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-15));
    }

    /** A quoted empty field reads as null, as in pandas (with RFC 4180 quoting, Spark does not tell them apart). */
    @Test
    void csvQuotingAsPandasAndSpreadsheetsWriteItRoundTrips() {
        Path file = JobRunner.write(dir.resolve("in/docs.csv"),
                "q,title,score",
                "q1,\"a \"\"quoted\"\" word, and a comma\",1.0",
                "q1,back\\slash,1.0",
                "q1,\"\",1.0");
        JobRunner.run("--input", file.toString(), "--value-column", "score", "--output",
                dir.resolve("out").toString()).succeeded();
        assertThat(JobRunner.readCsv(dir.resolve("out"))).extracting(r -> r.get("title"))
                .containsExactlyInAnyOrder("a \"quoted\" word, and a comma", "back\\slash", null);
    }
}
