/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Faults injected into real runs on the standalone cluster, each run compared bit for bit with
 * the local-mode run of the same input (which the clean cluster run equals, see
 * {@link ClusterEquivalenceIT}): exact mode gives the same bits however Spark retries.
 *
 * <p>Mid-stage, reliably: the driver's REST API is polled every 50 ms for the stage to hit,
 * recognized by what its finished tasks wrote (the aggregate stage: many shuffle records per
 * task, one per group, where the row-count stage before it writes one; the write stage: output
 * records), once at least one of its 16 tasks has finished and at least 3 have not, so that
 * both executors are busy with it. The driver log (scheduler at INFO) must then show a task of that
 * very stage lost.
 */
@ExtendWith(ClusterExtension.class)
class ClusterFaultsIT {

    private static final Duration STAGE_TIMEOUT = Duration.ofMinutes(3);

    /** The stage that folds the rows into per-group states: thousands of shuffle records per finished task. */
    private static final Predicate<SparkApp.Stage> AGGREGATE_STAGE = stage -> stage.isActive() && midway(stage)
            && stage.shuffleWriteRecords() > 100L * stage.complete();

    /** The stage that writes the output files. */
    private static final Predicate<SparkApp.Stage> WRITE_STAGE = stage -> stage.isActive() && midway(stage)
            && stage.outputRecords() > 0;

    /**
     * At least one task of the stage finished, at least 3 still to finish, and two running, so
     * that both executors (one core each) are busy with it and either one killed loses a task of
     * it: a window of 13 of its 16 tasks, seconds long, for a poll every 50 ms. (Without the
     * last condition a poll could fall between one executor's tasks, and the executor killed
     * then was idle: seen once, "1/16 tasks done, 1 running", nothing lost.)
     */
    private static boolean midway(SparkApp.Stage stage) {
        return stage.tasks() >= 8 && stage.complete() >= 1 && stage.complete() <= stage.tasks() - 3
                && stage.active() >= 2;
    }

    @Test
    void executorKilledDuringTheAggregateStage(StandaloneCluster cluster) {
        executorKilledDuring("aggregate", AGGREGATE_STAGE, cluster);
    }

    @Test
    void executorKilledDuringTheWriteStage(StandaloneCluster cluster) {
        executorKilledDuring("write", WRITE_STAGE, cluster);
    }

    private static void executorKilledDuring(String stageName, Predicate<SparkApp.Stage> which,
            StandaloneCluster cluster) {
        ClusterData.Reference local = ClusterData.reference(ClusterData.Table.FAULTS);
        Path out = ClusterData.outputRoot("fault-executor-" + stageName).resolve("grouped");
        SparkApp app = cluster.submit("fault-executor-" + stageName, ClusterData.GENERATED_CONF,
                ClusterData.generatedArgs(ClusterData.Table.FAULTS, out));

        SparkApp.Stage hit = app.awaitStage("the " + stageName + " stage midway", STAGE_TIMEOUT, which);
        Map<Integer, List<ProcessHandle>> executors = cluster.executors(app.appId());
        assertThat(executors).as("executors of %s", app.appId()).isNotEmpty();
        ProcessHandle victim = executors.values().iterator().next().get(0);
        Processes.kill9(victim);
        SparkApp.Result result = app.await().succeeded();

        Observations.Retries retries = Observations.Retries.of(result, hit.id());
        Observations.record(String.format("executor (pid %d) killed during the %s stage (%s): finished in %.1f s"
                + " (%s); %s", victim.pid(), stageName, hit, result.seconds(),
                ClusterData.cleanSeconds(ClusterData.Table.FAULTS), retries));
        assertThat(retries.hitTheStage()).as("a task of stage %d lost or rerun (driver log %s)", hit.id(),
                result.dir()).isTrue();
        assertThat(Outputs.parquetDifference(local.dir(), local.fingerprint(), out)).isNull();
        assertThat(ClusterData.comparableSummary(result.out()))
                .isEqualTo(ClusterData.comparableSummary(local.summary()));
    }

    @Test
    void workerKilledTheJobFinishesOnTheOther(StandaloneCluster cluster) {
        ClusterData.Reference local = ClusterData.reference(ClusterData.Table.FAULTS);
        Path out = ClusterData.outputRoot("fault-worker").resolve("grouped");
        SparkApp app = cluster.submit("fault-worker", ClusterData.GENERATED_CONF,
                ClusterData.generatedArgs(ClusterData.Table.FAULTS, out));

        SparkApp.Stage hit = app.awaitStage("the aggregate stage midway", STAGE_TIMEOUT, AGGREGATE_STAGE);
        long killedAt = System.nanoTime();
        List<ProcessHandle> orphans = cluster.killWorker(1);
        // The Worker's executor loses its Worker and exits by itself (its WorkerWatcher).
        Poll.untilTrue("the executors of the killed Worker to exit by themselves", Duration.ofSeconds(60),
                Duration.ofMillis(100), () -> orphans.stream().noneMatch(ProcessHandle::isAlive),
                () -> "alive: " + orphans.stream().filter(ProcessHandle::isAlive).map(ProcessHandle::pid).toList());
        double orphansGone = (System.nanoTime() - killedAt) / 1e9;
        Poll.untilTrue("the Master to mark the killed Worker DEAD", Duration.ofSeconds(90), StandaloneCluster.POLL,
                () -> !"ALIVE".equals(cluster.workerState(cluster.worker(1).port())), cluster::describe);
        double workerDead = (System.nanoTime() - killedAt) / 1e9;
        SparkApp.Result result = app.await().succeeded();

        Observations.Retries retries = Observations.Retries.of(result, hit.id());
        Observations.record(String.format("Worker 1 killed during the aggregate stage (%s): its executor exited"
                + " %.1f s later, the Master marked the Worker dead after %.1f s, the job finished on Worker 0 in"
                + " %.1f s (%s); %s", hit, orphansGone, workerDead, result.seconds(),
                ClusterData.cleanSeconds(ClusterData.Table.FAULTS), retries));
        assertThat(retries.hitTheStage()).as("a task of stage %d lost or rerun (driver log %s)", hit.id(),
                result.dir()).isTrue();
        assertThat(Outputs.parquetDifference(local.dir(), local.fingerprint(), out)).isNull();
    }

    @Test
    void driverKilledMidWriteLeavesThePreviousOutput(StandaloneCluster cluster) throws IOException {
        Path root = ClusterData.outputRoot("fault-driver");
        Path out = root.resolve("scores");
        ClusterData.runLocal(ClusterData.sampleArgs(out));
        Map<String, String> before = Outputs.snapshot(out);

        SparkApp app = cluster.submit("fault-driver", ClusterData.GENERATED_CONF,
                ClusterData.generatedArgs(ClusterData.Table.FAULTS, out));
        SparkApp.Stage hit = app.awaitStage("the write stage midway", STAGE_TIMEOUT, WRITE_STAGE);
        String appId = app.appId();
        app.kill9();
        long killedAt = System.nanoTime();

        // The previous output is untouched; the partial one is only in the hidden temporary sibling.
        assertThat(Outputs.snapshot(out)).as("the previous output, file by file").isEqualTo(before);
        List<String> siblings = Outputs.list(root);
        assertThat(siblings).as("the output's folder").hasSize(2).contains("scores")
                .anyMatch(name -> name.startsWith(".scores.softmax-tmp-"));
        Path temporary = root.resolve(siblings.stream().filter(n -> n.startsWith(".scores.softmax-tmp-")).findFirst()
                .orElseThrow());
        long partFiles;
        try (var files = Files.walk(temporary)) {
            partFiles = files.filter(f -> f.getFileName().toString().startsWith("part-")).count();
        }

        // The cluster lets the application go and stops its executors.
        Poll.untilTrue("the Master to end " + appId + " and the Workers to stop its executors",
                Duration.ofSeconds(90), StandaloneCluster.POLL,
                () -> cluster.masterJson().path("activeapps").size() == 0 && cluster.executors(appId).isEmpty(),
                cluster::describe);
        double released = (System.nanoTime() - killedAt) / 1e9;

        // The next run for the same output deletes the stale temporary sibling and says so.
        ClusterData.LocalRun next = ClusterData.runLocal(ClusterData.sampleArgs(out));
        assertThat(next.err()).contains("deleted ").contains(temporary.getFileName().toString());
        assertThat(Outputs.list(root)).containsExactly("scores");

        Observations.record(String.format("driver killed during the write stage (%s; %d part files in the"
                + " temporary sibling): previous output intact, nothing partial at the output path; the Master"
                + " released the application and its executors %.1f s later; the next run deleted the sibling",
                hit, partFiles, released));
    }
}
