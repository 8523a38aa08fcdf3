/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.softmax.spark.SharedSpark;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The output is replaced all at once or not at all; leftovers of dead runs are handled. */
class AtomicOutputTest {

    @TempDir
    Path dir;

    private Path input;
    private Path output;
    private List<Map<String, String>> oldRows;

    @BeforeEach
    void oldOutput() {
        input = JobRunner.write(dir.resolve("in/scores.csv"), "query_id,score", "q1,1.0", "q1,2.0", "q2,3.0");
        output = dir.resolve("out");
        JobRunner.run("--input", input.toString(), "--value-column", "score", "--output", output.toString())
                .succeeded();
        oldRows = JobRunner.readCsv(output);
        assertThat(oldRows).hasSize(3);
    }

    @Test
    void aRunThatFailsWhileCommittingKeepsTheOldOutput() {
        JobRunner.Result result = JobRunner.run("--input", input.toString(), "--value-column", "score",
                "--group-by", "query_id", "--output", output.toString(), "--overwrite",
                "--conf", "spark.sql.sources.outputCommitterClass=" + FailingOutputCommitter.class.getName());
        assertThat(result.exitCode()).as(result.err()).isEqualTo(1);
        assertThat(result.err()).startsWith("softmax: failed: ").contains("disk full (simulated");
        assertThat(result.out()).isEmpty();
        assertThat(JobRunner.readCsv(output)).isEqualTo(oldRows);
        assertThat(JobRunner.list(dir)).containsExactly("in", "out");
    }

    @Test
    void aBadFileFoundLateIsBadInputAndKeepsTheOldOutput() throws IOException {
        Path parquetInput = dir.resolve("parquet-in");
        SharedSpark.root().read().option("header", "true").option("inferSchema", "true").csv(input.toString())
                .write().parquet(parquetInput.toString());
        Files.writeString(parquetInput.resolve("part-99999-broken.parquet"), "PAR1 this is not parquet PAR1");
        JobRunner.Result result = JobRunner.run("--input", parquetInput.toString(), "--value-column", "score",
                "--output", output.toString(), "--output-format", "csv", "--overwrite");
        assertThat(result.badInputLine()).startsWith("softmax: --input: cannot read ")
                .contains("part-99999-broken.parquet");
        assertThat(JobRunner.readCsv(output)).isEqualTo(oldRows);
        assertThat(JobRunner.list(dir)).containsExactly("in", "out", "parquet-in");
    }

    @Test
    void staleTemporaryOutputOfADeadRunIsDeletedAtStart() throws IOException {
        Path stale = dir.resolve(".out" + AtomicOutput.TEMPORARY_MARK + "20240101-000000-deadbeef");
        JobRunner.write(stale.resolve("part-00000.csv"), "half,written");
        JobRunner.Result result = JobRunner.run("--input", input.toString(), "--value-column", "score",
                "--output", output.toString(), "--overwrite").succeeded();
        assertThat(stale).doesNotExist();
        assertThat(result.err()).contains("deleted file:" + stale);
        assertThat(JobRunner.list(dir)).containsExactly("in", "out");
    }

    @Test
    void backupLeftByADriverKilledBetweenTheMovesIsReportedAndKept() {
        Path backup = dir.resolve(".out" + AtomicOutput.BACKUP_MARK + "20240101-000000-deadbeef");
        JobRunner.write(backup.resolve("part-00000.csv"), "query_id,score,prob,log_prob", "q9,1.0,1.0,0.0");
        JobRunner.Result result = JobRunner.run("--input", input.toString(), "--value-column", "score",
                "--output", output.toString(), "--overwrite").succeeded();
        assertThat(result.err()).contains("found file:" + backup).contains("nothing is lost");
        assertThat(backup.resolve("part-00000.csv")).exists();
        assertThat(JobRunner.readCsv(output)).hasSize(3);
    }

    @Test
    void overwriteReplacesTheWholeDirectory() throws IOException {
        Files.writeString(output.resolve("stray-file.txt"), "from before");
        JobRunner.run("--input", input.toString(), "--value-column", "score", "--output", output.toString(),
                "--overwrite", "--output-format", "json").succeeded();
        assertThat(JobRunner.list(output)).doesNotContain("stray-file.txt").contains("_SUCCESS")
                .anyMatch(name -> name.endsWith(".json"));
        assertThat(JobRunner.list(dir)).containsExactly("in", "out");
    }
}
