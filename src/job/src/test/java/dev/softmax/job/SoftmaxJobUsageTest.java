/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.job;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Usage errors: exit 2 and one line on stderr, before Spark starts. */
class SoftmaxJobUsageTest {

    private static final String[] REQUIRED = {"--input", "in.csv", "--value-column", "score", "--output", "out"};

    private static String[] with(String... extra) {
        String[] args = new String[REQUIRED.length + extra.length];
        System.arraycopy(REQUIRED, 0, args, 0, REQUIRED.length);
        System.arraycopy(extra, 0, args, REQUIRED.length, extra.length);
        return args;
    }

    @Test
    void helpPrintsUsageAndExitsZero() {
        JobRunner.Result result = JobRunner.runWithoutSession("--help");
        assertThat(result.exitCode()).isZero();
        assertThat(result.out())
                .contains("jobs/softmax --input PATH [PATH...] --value-column COL --output DIR")
                .contains("--group-by", "--temperature", "--mode", "--input-format", "--output-format", "--outputs",
                        "--overwrite", "--bad-rows", "--master", "--conf");
        assertThat(result.err()).isEmpty();
    }

    @Test
    void missingRequiredOption() {
        String line = JobRunner.runWithoutSession("--input", "in.csv", "--output", "out").badInputLine();
        assertThat(line).contains("--value-column").contains("--help");
    }

    @Test
    void unknownOption() {
        assertThat(JobRunner.runWithoutSession(with("--colour", "red")).badInputLine()).contains("--colour");
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "-1", "-0.0", "nan", "NaN", "inf", "Infinity", "-inf", "hot", ""})
    void temperatureMustBeFiniteAndPositive(String temperature) {
        assertThat(JobRunner.runWithoutSession(with("--temperature", temperature)).badInputLine())
                .startsWith("softmax: --temperature: expected a finite number > 0, got ");
    }

    @Test
    void unknownMode() {
        assertThat(JobRunner.runWithoutSession(with("--mode", "approximate")).badInputLine())
                .isEqualTo("softmax: --mode: expected exact or fast, got 'approximate'");
    }

    @Test
    void unknownFormats() {
        assertThat(JobRunner.runWithoutSession(with("--input-format", "xlsx")).badInputLine())
                .isEqualTo("softmax: --input-format: unknown format 'xlsx'; accepted: csv, parquet, json, orc");
        assertThat(JobRunner.runWithoutSession(with("--output-format", "avro")).badInputLine())
                .isEqualTo("softmax: --output-format: unknown format 'avro'; accepted: csv, parquet, json, orc");
    }

    @Test
    void unknownOutputColumn() {
        assertThat(JobRunner.runWithoutSession(with("--outputs", "prob,logits")).badInputLine())
                .isEqualTo("softmax: --outputs: unknown output 'logits'; accepted: prob, log_prob");
    }

    @Test
    void confNeedsKeyAndValue() {
        assertThat(JobRunner.runWithoutSession(with("--conf", "spark.sql.shuffle.partitions")).badInputLine())
                .isEqualTo("softmax: --conf: expected key=value, got 'spark.sql.shuffle.partitions'");
    }

    @Test
    void noMasterAnywhereIsAUsageError() {
        assertThat(System.getProperty("spark.master")).isNull();
        assertThat(JobRunner.runWithoutSession(REQUIRED).badInputLine())
                .startsWith("softmax: no Spark master: pass --master local[*]");
    }
}
