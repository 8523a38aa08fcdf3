/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.spark.benchmark;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import org.apache.spark.SparkContext;
import org.apache.spark.executor.TaskMetrics;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerStageSubmitted;
import org.apache.spark.scheduler.SparkListenerTaskEnd;

/**
 * A {@link SparkListener} that records, per stage, how many records each task read (input
 * records plus shuffle records) and how long it ran, so that a run can say whether one task
 * held more than its share of the rows. Reset before a run, read after it.
 *
 * <p>Records are what Spark's task metrics count: rows for a shuffle read, cached column
 * batches (up to {@code spark.sql.inMemoryColumnarStorage.batchSize} = 10,000 rows each) for a
 * scan of cached data. The ratio {@code max / mean} of one stage compares like with like.
 */
final class TaskBalance extends SparkListener {

    /** What one stage's successful tasks read. */
    record Stage(int id, String name, int tasks, long records, long maxRecords, long millis, long maxMillis) {

        /** Records of the largest task over the mean per task: 1 when balanced. */
        double recordRatio() {
            return records == 0 ? 1 : maxRecords * (double) tasks / records;
        }

        /** Time of the longest task over the mean per task. */
        double timeRatio() {
            return millis == 0 ? 1 : maxMillis * (double) tasks / millis;
        }

        Stage add(long taskRecords, long taskMillis) {
            return new Stage(id, name, tasks + 1, records + taskRecords, Math.max(maxRecords, taskRecords),
                    millis + taskMillis, Math.max(maxMillis, taskMillis));
        }
    }

    private final Map<Integer, Stage> stages = new ConcurrentHashMap<>();
    private final Map<Integer, String> names = new ConcurrentHashMap<>();

    void reset() {
        stages.clear();
        names.clear();
    }

    @Override
    public void onStageSubmitted(SparkListenerStageSubmitted event) {
        names.put(event.stageInfo().stageId(), event.stageInfo().name());
    }

    @Override
    public void onTaskEnd(SparkListenerTaskEnd event) {
        TaskMetrics metrics = event.taskMetrics();
        if (metrics == null || !event.taskInfo().successful()) {
            return;
        }
        long records = metrics.inputMetrics().recordsRead() + metrics.shuffleReadMetrics().recordsRead();
        long millis = event.taskInfo().duration();
        int id = event.stageId();
        stages.compute(id, (key, stage) -> (stage == null
                ? new Stage(id, names.getOrDefault(id, ""), 0, 0, 0, 0, 0) : stage).add(records, millis));
    }

    /**
     * The stages of the run since the last {@link #reset()}, the one whose largest task read
     * the most records first. Waits until the listener bus has delivered every event.
     */
    List<Stage> stages(SparkContext context) {
        // private[spark] in Scala, public in the bytecode: the one way to wait for the events.
        try {
            context.listenerBus().waitUntilEmpty(60_000);
        } catch (TimeoutException e) {
            throw new IllegalStateException("Spark's listener bus did not drain in 60 s", e);
        }
        List<Stage> all = new ArrayList<>(stages.values());
        all.sort(Comparator.comparingLong(Stage::maxRecords).reversed());
        return all;
    }
}
