/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.softmax.core.Normalizer;
import dev.softmax.core.Softmax;
import dev.softmax.core.SoftmaxMode;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --weight-column}: weights read and validated as the value column is (bad weight text
 * is a bad row), outputs bit for bit the core's weighted prob and log_prob, a weight 0 masks its
 * row, and the summary counts the negative-weight groups among the NaN groups.
 */
class WeightColumnTest {

    @TempDir
    Path dir;

    @Test
    void weightedSoftmaxPerGroup() {
        Path file = JobRunner.write(dir.resolve("in/scores.csv"),
                "query_id,doc_id,score,w",
                "q1,d1,1.5,0.25",
                "q1,d2,2.5,2",
                "q1,d3,9.0,0",
                "q2,d4,2.0,1",
                "q2,d5,3.0,-1",
                "q3,d6,1.0,",
                "q3,d7,4.0,0.5",
                "q3,d8,5.0,abc");
        String badRows = dir.resolve("bad").toString();
        JobRunner.Result result = JobRunner.run("--input", file.toString(), "--value-column", "score",
                "--weight-column", "w", "--group-by", "query_id", "--output", dir.resolve("out").toString(),
                "--bad-rows", badRows).succeeded();
        assertThat(result.out()).contains("input rows    8 (0 with a null score, 1 bad)")
                .contains("NaN groups    1 (0 with a NaN, 0 with +inf, 0 all -inf, 1 with a negative weight)");

        Normalizer q1 = Softmax.normalizer(new double[] {1.5, 2.5, 9.0}, new double[] {0.25, 2, 0}, SoftmaxMode.EXACT);
        Normalizer q3 = Softmax.normalizer(new double[] {4.0}, new double[] {0.5}, SoftmaxMode.EXACT);
        Map<String, double[]> expected = Map.of(
                "d1", new double[] {q1.prob(1.5, 0.25), q1.logProb(1.5, 0.25)},
                "d2", new double[] {q1.prob(2.5, 2), q1.logProb(2.5, 2)},
                "d3", new double[] {0.0, Double.NEGATIVE_INFINITY},
                "d4", new double[] {Double.NaN, Double.NaN},
                "d5", new double[] {Double.NaN, Double.NaN},
                "d7", new double[] {q3.prob(4.0, 0.5), q3.logProb(4.0, 0.5)});
        List<Map<String, String>> written = JobRunner.readCsv(dir.resolve("out"));
        assertThat(written).extracting(row -> row.get("doc_id"))
                .containsExactlyInAnyOrder("d1", "d2", "d3", "d4", "d5", "d6", "d7");
        for (Map<String, String> row : written) {
            double[] e = expected.get(row.get("doc_id"));
            if (e == null) { // d6: a null weight gives null outputs
                assertThat(row.get("prob")).isNull();
                continue;
            }
            assertThat(Double.doubleToRawLongBits(Double.parseDouble(row.get("prob")))).as(row.toString())
                    .isEqualTo(Double.doubleToRawLongBits(e[0]));
            assertThat(Double.doubleToRawLongBits(Double.parseDouble(row.get("log_prob")))).as(row.toString())
                    .isEqualTo(Double.doubleToRawLongBits(e[1]));
        }
        List<Map<String, String>> bad = JobRunner.readCsv(dir.resolve("bad"));
        assertThat(bad).hasSize(1);
        assertThat(bad.get(0)).containsEntry("doc_id", "d8").containsEntry("w", "abc")
                .containsEntry(ParsedInput.BAD_ROW_REASON, "weight is not a number");
    }

    @Test
    void badWeightWithoutBadRowsFailsNamingTheColumn() {
        Path file = JobRunner.write(dir.resolve("in/scores.csv"), "g,score,w", "a,1.0,2", "a,2.0,x");
        assertThat(JobRunner.run("--input", file.toString(), "--value-column", "score", "--weight-column", "w",
                "--output", dir.resolve("out").toString()).badInputLine())
                .contains("value 'x' in column 'w' is not a number");
        assertThat(JobRunner.run("--input", file.toString(), "--value-column", "score", "--weight-column", "v",
                "--output", dir.resolve("out").toString()).badInputLine())
                .contains("--weight-column: the input has no column 'v'");
    }
}
