/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.softmax.spark.SharedSpark;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerEvent;
import org.apache.spark.sql.execution.ui.SparkListenerSQLExecutionStart;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job joins the per-group normalizers to the rows by a broadcast when their (cached,
 * hence known) size is within {@code spark.softmax.broadcastThreshold}, and by a sort-merge
 * join when told never to broadcast; the output is the same either way. The plans are read
 * from the SQL execution events Spark posts for the write.
 */
class JoinStrategyTest {

    private static final Path RETRIEVAL = RepositoryFiles.sampleData("retrieval_scores.csv");

    @TempDir
    Path dir;

    /** The physical plans of the SQL executions started while running {@code args}. */
    private static List<String> plansOf(String... args) throws java.util.concurrent.TimeoutException {
        SparkContext context = SharedSpark.root().sparkContext();
        List<String> plans = new ArrayList<>();
        SparkListener listener = new SparkListener() {
            @Override
            public void onOtherEvent(SparkListenerEvent event) {
                if (event instanceof SparkListenerSQLExecutionStart start) {
                    synchronized (plans) {
                        plans.add(start.physicalPlanDescription());
                    }
                }
            }
        };
        context.addSparkListener(listener);
        try {
            JobRunner.run(args).succeeded();
            context.listenerBus().waitUntilEmpty();
        } finally {
            context.removeSparkListener(listener);
        }
        synchronized (plans) {
            return List.copyOf(plans);
        }
    }

    private String[] job(String output, String... more) {
        List<String> args = new ArrayList<>(List.of("--input", RETRIEVAL.toString(), "--value-column", "score",
                "--group-by", "query_id", "--output", dir.resolve(output).toString()));
        args.addAll(List.of(more));
        return args.toArray(new String[0]);
    }

    @Test
    void normalizersWithinTheThresholdAreBroadcastAndNeverMeansASortMergeJoin() throws Exception {
        List<String> broadcast = plansOf(job("broadcast"));
        assertThat(broadcast).as("the write's plan, default threshold (128m)")
                .anyMatch(plan -> plan.contains("BroadcastHashJoin"))
                .noneMatch(plan -> plan.contains("SortMergeJoin"));

        List<String> merge = plansOf(job("merge", "--conf", SoftmaxBatch.BROADCAST_THRESHOLD + "=-1"));
        assertThat(merge).as("the write's plan, threshold -1")
                .anyMatch(plan -> plan.contains("SortMergeJoin"))
                .noneMatch(plan -> plan.contains("BroadcastHashJoin"));

        assertThat(JobRunner.readCsv(dir.resolve("merge")))
                .containsExactlyInAnyOrderElementsOf(JobRunner.readCsv(dir.resolve("broadcast")));
    }

    @Test
    void aThresholdThatIsNotASizeIsBadInput() {
        String line = JobRunner.run(job("never-written", "--conf", SoftmaxBatch.BROADCAST_THRESHOLD + "=lots"))
                .badInputLine();
        assertThat(line).contains(SoftmaxBatch.BROADCAST_THRESHOLD).contains("128m").contains("got lots");
        assertThat(dir.resolve("never-written")).doesNotExist();
    }
}
