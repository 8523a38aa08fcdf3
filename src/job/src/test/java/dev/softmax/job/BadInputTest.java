/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.softmax.spark.SharedSpark;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each row of the bad-input table of issue 5: a clear error, exit code 2, nothing lost. */
class BadInputTest {

    @TempDir
    Path dir;

    private Path scores() {
        return JobRunner.write(dir.resolve("in/scores.csv"),
                "query_id,doc_id,score",
                "q1,d1,1.5",
                "q1,d2,-0.5",
                "q2,d3,2.0");
    }

    private String output() {
        return dir.resolve("out").toString();
    }

    @Test
    void missingInputPath() {
        String missing = dir.resolve("nowhere/scores.csv").toString();
        assertThat(JobRunner.run("--input", missing, "--value-column", "score", "--output", output()).badInputLine())
                .isEqualTo("softmax: --input: no such file or directory: " + missing);
        assertThat(dir.resolve("out")).doesNotExist();
    }

    @Test
    void emptyGlob() {
        scores();
        String glob = dir.resolve("in/*.parquet").toString();
        assertThat(JobRunner.run("--input", glob, "--value-column", "score", "--output", output()).badInputLine())
                .isEqualTo("softmax: --input: the glob " + glob + " matches no file");
    }

    @Test
    void oneMissingPathAmongSeveral() {
        String missing = dir.resolve("in/other.csv").toString();
        assertThat(JobRunner.run("--input", scores().toString(), missing, "--value-column", "score",
                "--output", output()).badInputLine()).endsWith(missing);
    }

    @Test
    void formatNotKnownFromTheFileNames() {
        Path file = JobRunner.write(dir.resolve("in/scores.txt"), "query_id,score", "q1,1");
        assertThat(JobRunner.run("--input", file.toString(), "--value-column", "score", "--output", output())
                .badInputLine()).contains("cannot tell the format of").contains("--input-format");
        JobRunner.run("--input", file.toString(), "--input-format", "csv", "--value-column", "score",
                "--output", output()).succeeded();
    }

    @Test
    void missingValueColumnListsTheColumns() {
        assertThat(JobRunner.run("--input", scores().toString(), "--value-column", "logit", "--output", output())
                .badInputLine())
                .isEqualTo("softmax: --value-column: the input has no column 'logit'; "
                        + "its columns: query_id, doc_id, score");
    }

    @Test
    void missingGroupColumnListsTheColumns() {
        assertThat(JobRunner.run("--input", scores().toString(), "--value-column", "score", "--group-by",
                "query_id,session", "--output", output()).badInputLine())
                .isEqualTo("softmax: --group-by: the input has no column 'session'; "
                        + "its columns: query_id, doc_id, score");
    }

    @Test
    void inputAlreadyHasAnOutputColumn() {
        Path file = JobRunner.write(dir.resolve("in/scores.csv"), "query_id,score,prob", "q1,1.5,0.2");
        assertThat(JobRunner.run("--input", file.toString(), "--value-column", "score", "--output", output())
                .badInputLine()).contains("already has a column 'prob'");
        // Writing log_prob only does not clash.
        JobRunner.run("--input", file.toString(), "--value-column", "score", "--outputs", "log_prob",
                "--output", output()).succeeded();
        assertThat(JobRunner.csvHeader(dir.resolve("out"))).containsExactly("query_id", "score", "prob", "log_prob");
    }

    @Test
    void badCsvRowsFailNamingFileValueAndLineAndWriteNothing() {
        Path file = JobRunner.write(dir.resolve("in/scores.csv"),
                "query_id,doc_id,score",
                "q1,d1,1.5",
                "q1,d2,abc",
                "q2,d3,2.0");
        String line = JobRunner.run("--input", file.toString(), "--value-column", "score", "--output", output())
                .badInputLine();
        assertThat(line).contains(file.toUri().getPath()).contains("value 'abc' in column 'score' is not a number")
                .contains("1 bad row in all").contains("--bad-rows");
        assertThat(dir.resolve("out")).doesNotExist();
        assertThat(JobRunner.list(dir)).containsExactly("in");
    }

    @Test
    void malformedCsvLineFailsShowingTheLine() {
        Path file = JobRunner.write(dir.resolve("in/scores.csv"),
                "query_id,doc_id,score",
                "q1,d1,1.5",
                "q1,d2,0.5,extra",
                "q2,d3,2.0");
        String line = JobRunner.run("--input", file.toString(), "--value-column", "score", "--output", output())
                .badInputLine();
        assertThat(line).contains(file.toUri().getPath()).contains("malformed line 'q1,d2,0.5,extra'");
        assertThat(dir.resolve("out")).doesNotExist();
    }

    @Test
    void badRowsSetAsideWithBadRowsOption() {
        Path file = JobRunner.write(dir.resolve("in/scores.csv"),
                "query_id,doc_id,score",
                "q1,d1,1.5",
                "q1,d2,abc",
                "q1,d3,0.5,extra",
                "q2,d4,2.0",
                "q2,d5,");
        String badRows = dir.resolve("bad").toString();
        JobRunner.Result result = JobRunner.run("--input", file.toString(), "--value-column", "score",
                "--group-by", "query_id", "--output", output(), "--bad-rows", badRows).succeeded();
        assertThat(result.out()).contains("input rows    5 (1 with a null score, 2 bad)")
                .contains("bad rows      2 written to file:" + badRows)
                .contains("rows written  3");

        List<Map<String, String>> written = JobRunner.readCsv(dir.resolve("out"));
        assertThat(written).extracting(row -> row.get("doc_id")).containsExactlyInAnyOrder("d1", "d4", "d5");
        assertThat(written).filteredOn(row -> row.get("doc_id").equals("d1"))
                .extracting(row -> row.get("prob")).containsExactly("1.0");

        List<Map<String, String>> bad = JobRunner.readCsv(dir.resolve("bad"));
        assertThat(bad).hasSize(2);
        Map<String, String> notANumber = bad.stream().filter(r -> "d2".equals(r.get("doc_id"))).findFirst()
                .orElseThrow();
        assertThat(notANumber).containsEntry("score", "abc")
                .containsEntry(ParsedInput.BAD_ROW_REASON, "value is not a number")
                .containsEntry(ParsedInput.BAD_ROW_FILE, file.toUri().toString())
                .containsEntry(ParsedInput.BAD_ROW_TEXT, null);
    }

    @Test
    void badRowsKeepTheRawMalformedLine() {
        Path file = JobRunner.write(dir.resolve("in/scores.csv"),
                "query_id,doc_id,score",
                "q1,d1,1.5",
                "q1,d3,0.5,extra");
        JobRunner.run("--input", file.toString(), "--value-column", "score", "--output", output(),
                "--bad-rows", dir.resolve("bad").toString()).succeeded();
        Dataset<Row> bad = SharedSpark.root().read().option("header", "true").csv(dir.resolve("bad").toString());
        Row row = bad.head();
        assertThat(row.<String>getAs(ParsedInput.BAD_ROW_TEXT)).isEqualTo("q1,d3,0.5,extra");
        assertThat(row.<String>getAs(ParsedInput.BAD_ROW_REASON)).isEqualTo("malformed line");
    }

    @Test
    void stringValueColumnInParquetIsParsedAndBadValuesAreBadRows() {
        SparkSession spark = SharedSpark.root();
        StructType schema = new StructType().add("id", DataTypes.IntegerType).add("score", DataTypes.StringType);
        Path parquet = dir.resolve("in/scores.parquet");
        spark.createDataFrame(List.of(
                RowFactory.create(1, "1.5"), RowFactory.create(2, "-inf"), RowFactory.create(3, "oops"),
                RowFactory.create(4, null)), schema)
                .coalesce(1).write().parquet(parquet.toString());

        assertThat(JobRunner.run("--input", parquet.toString(), "--value-column", "score", "--output", output())
                .badInputLine()).contains("value 'oops' in column 'score' is not a number");
        assertThat(dir.resolve("out")).doesNotExist();

        JobRunner.run("--input", parquet.toString(), "--value-column", "score", "--output", output(),
                "--bad-rows", dir.resolve("bad").toString()).succeeded();
        Dataset<Row> out = spark.read().parquet(output()).orderBy("id");
        assertThat(out.schema().apply("score").dataType()).isEqualTo(DataTypes.DoubleType);
        List<Row> rows = out.collectAsList();
        assertThat(rows).extracting(r -> r.getInt(0)).containsExactly(1, 2, 4);
        assertThat(rows.get(0).<Double>getAs("prob")).isEqualTo(1.0);
        assertThat(rows.get(1).<Double>getAs("prob")).isEqualTo(0.0);
        assertThat(rows.get(1).<Double>getAs("log_prob")).isEqualTo(Double.NEGATIVE_INFINITY);
        assertThat(rows.get(2).<Double>getAs("prob")).isNull();

        Dataset<Row> bad = spark.read().parquet(dir.resolve("bad").toString());
        assertThat(bad.columns()).containsExactly("id", "score", ParsedInput.BAD_ROW_FILE, ParsedInput.BAD_ROW_REASON);
        assertThat(bad.collectAsList()).extracting(r -> r.getString(1)).containsExactly("oops");
    }

    @Test
    void outputExistsNeedsOverwrite() throws Exception {
        String input = scores().toString();
        JobRunner.run("--input", input, "--value-column", "score", "--output", output()).succeeded();
        assertThat(JobRunner.run("--input", input, "--value-column", "score", "--output", output()).badInputLine())
                .isEqualTo("softmax: --output: file:" + dir.resolve("out")
                        + " already exists; pass --overwrite to replace it");
        JobRunner.run("--input", input, "--value-column", "score", "--group-by", "query_id", "--output", output(),
                "--overwrite").succeeded();
        assertThat(JobRunner.readCsv(dir.resolve("out"))).filteredOn(r -> r.get("query_id").equals("q2"))
                .extracting(r -> r.get("prob")).containsExactly("1.0");
        assertThat(JobRunner.list(dir)).containsExactly("in", "out");
    }

    @Test
    void outputInsideAnInputDirectoryOrGlob() {
        scores();
        String inputDir = dir.resolve("in").toString();
        assertThat(JobRunner.run("--input", inputDir, "--value-column", "score", "--output",
                dir.resolve("in/out").toString()).badInputLine()).contains("is inside the input");
        assertThat(JobRunner.run("--input", dir.resolve("*").toString(), "--value-column", "score", "--output",
                dir.resolve("out").toString()).badInputLine()).contains("is inside the input " + dir.resolve("*"));
        assertThat(JobRunner.run("--input", dir.resolve("in/scores.csv").toString(), "--value-column", "score",
                "--output", inputDir, "--overwrite").badInputLine()).contains("contains the input");
        assertThat(JobRunner.run("--input", inputDir, "--value-column", "score", "--output", output(),
                "--bad-rows", dir.resolve("in/bad").toString()).badInputLine()).startsWith("softmax: --bad-rows: ");
        assertThat(JobRunner.list(dir)).containsExactly("in");
        assertThat(JobRunner.list(dir.resolve("in"))).containsExactly("scores.csv");
    }

    @Test
    void emptyInputWritesAnEmptyOutputWithTheFullSchema() {
        Path file = JobRunner.write(dir.resolve("in/scores.csv"), "query_id,doc_id,score");
        JobRunner.Result result = JobRunner.run("--input", file.toString(), "--value-column", "score",
                "--group-by", "query_id", "--output", output()).succeeded();
        assertThat(result.out()).contains("input rows    0").contains("groups        0").contains("rows written  0");
        assertThat(JobRunner.csvHeader(dir.resolve("out"))).containsExactly("query_id", "doc_id", "score", "prob",
                "log_prob");
        assertThat(JobRunner.readCsv(dir.resolve("out"))).isEmpty();

        Path parquetOut = dir.resolve("out-parquet");
        JobRunner.run("--input", file.toString(), "--value-column", "score", "--output", parquetOut.toString(),
                "--output-format", "parquet").succeeded();
        Dataset<Row> empty = SharedSpark.root().read().parquet(parquetOut.toString());
        assertThat(empty.columns()).containsExactly("query_id", "doc_id", "score", "prob", "log_prob");
        assertThat(empty.schema().apply("prob").dataType()).isEqualTo(DataTypes.DoubleType);
        assertThat(empty.count()).isZero();
    }

    @Test
    void everyValueSpellingOfTheReadme() {
        Path file = JobRunner.write(dir.resolve("in/scores.csv"),
                "g,x",
                "a,1", "a,-inf", "a,-Infinity", "a,",
                "b,nan", "b,1",
                "c,inf", "c,2",
                "d,+Inf", "e,Infinity", "f,NaN", "g,-inf", "g,-Inf", "h,INF", "i,NAN");
        JobRunner.Result result = JobRunner.run("--input", file.toString(), "--value-column", "x", "--group-by", "g",
                "--output", output()).succeeded();
        assertThat(result.out()).contains("input rows    15 (1 with a null x, 0 bad)")
                .contains("NaN groups    8 (3 with a NaN, 4 with +inf, 1 all -inf)");
        List<Map<String, String>> rows = JobRunner.readCsv(dir.resolve("out"));
        assertThat(rows).filteredOn(r -> r.get("g").equals("a"))
                .extracting(r -> r.get("x") + " " + r.get("prob") + " " + r.get("log_prob"))
                .containsExactlyInAnyOrder("1.0 1.0 0.0", "-Infinity 0.0 -Infinity", "-Infinity 0.0 -Infinity",
                        "null null null");
        assertThat(rows).filteredOn(r -> !r.get("g").equals("a"))
                .extracting(r -> r.get("prob") + " " + r.get("log_prob")).containsOnly("NaN NaN");
    }

    @Test
    void csvFilesWhoseHeadersDifferAreRefusedNotMisread() {
        Path first = JobRunner.write(dir.resolve("in/a.csv"), "g,x", "a,1");
        Path second = JobRunner.write(dir.resolve("in/b.csv"), "x,g", "2,a");
        String line = JobRunner.run("--input", first.toString(), second.toString(), "--value-column", "x",
                "--output", output()).badInputLine();
        assertThat(line).isEqualTo("softmax: --input: the header of " + second.toUri()
                + " names the columns x, g, the first file's g, x (every CSV file must have the same columns in the"
                + " same order)");
        assertThat(JobRunner.list(dir)).containsExactly("in");
    }
}
