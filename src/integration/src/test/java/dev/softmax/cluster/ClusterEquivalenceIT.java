/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The job on the standalone cluster writes the same rows, with the same prob and log_prob
 * bits, as in local mode (exact mode, the default): the cluster splits the input, merges the
 * partial states and partitions the shuffle differently (200 shuffle partitions coalesced by
 * adaptive execution, two executors) from the local[2] session (4 shuffle partitions).
 */
@ExtendWith(ClusterExtension.class)
class ClusterEquivalenceIT {

    @Test
    void sampleDataAsInLocalMode(StandaloneCluster cluster) {
        Path local = ClusterData.sampleReference();
        Path out = ClusterData.outputRoot("equivalence-sample").resolve("retrieval");

        SparkApp.Result result = cluster.submit("equivalence-sample", List.of(), ClusterData.sampleArgs(out))
                .await().succeeded();

        List<String> expected = Outputs.csvLines(local);
        assertThat(expected).hasSize(2368);
        assertThat(Outputs.csvLines(out)).as("rows written on the cluster, as text (Double.toString)")
                .isEqualTo(expected);
        assertThat(result.out()).contains("rows written  2368");
        Observations.record(String.format("clean run, sample data on the cluster: %.1f s", result.seconds()));
    }

    @Test
    void generatedTableOfTwoMillionRowsAsInLocalMode(StandaloneCluster cluster) {
        generatedTableAsInLocalMode(ClusterData.Table.LARGE, cluster);
    }

    /** The table of the fault tests, clean: what they compare with, and how long a clean run takes. */
    @Test
    void faultTableAsInLocalMode(StandaloneCluster cluster) {
        generatedTableAsInLocalMode(ClusterData.Table.FAULTS, cluster);
    }

    private static void generatedTableAsInLocalMode(ClusterData.Table table, StandaloneCluster cluster) {
        ClusterData.Reference local = ClusterData.reference(table);
        assertThat(local.fingerprint().rows()).isEqualTo(table.rows);
        Path out = ClusterData.outputRoot("equivalence-" + table.dirName).resolve("grouped");

        SparkApp.Result result = cluster.submit("equivalence-" + table.dirName, ClusterData.GENERATED_CONF,
                ClusterData.generatedArgs(table, out)).await().succeeded();

        assertThat(Outputs.parquetDifference(local.dir(), local.fingerprint(), out)).isNull();
        assertThat(ClusterData.comparableSummary(result.out()))
                .isEqualTo(ClusterData.comparableSummary(local.summary()));
        ClusterData.cleanSeconds(table, result.seconds());
        Observations.record(String.format("clean run, %,d generated rows on the cluster: %.1f s; %s", table.rows,
                result.seconds(), Observations.Retries.of(result, -1)));
    }
}
