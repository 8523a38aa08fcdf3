/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the faults did to a run, as the driver's log tells it (the scheduler logs at INFO in
 * the cluster tests), written to stderr and to target/cluster/observations.txt.
 */
final class Observations {

    private static final Pattern TASK_ATTEMPT = Pattern.compile("Starting task \\d+\\.(\\d+) in stage (\\d+)\\.(\\d+)");

    private Observations() {
    }

    /**
     * Tasks lost and retried, stages re-attempted: counted from the driver log. "In the stage"
     * counts for the stage a fault hit: its tasks lost, and its tasks started again (a task
     * attempt above 0, or any task of a later attempt of that stage).
     */
    record Retries(int lostTasks, int lostInStage, int retriedInStage, int retriedTasks, int stageReattempts,
            int resubmittedTasks, int executorsLost) {

        static Retries of(SparkApp.Result result, int stage) {
            List<String> lost = result.logLines("Lost task ");
            int lostInStage = (int) lost.stream().filter(line -> line.contains(" in stage " + stage + ".")).count();
            int retried = 0;
            int retriedInStage = 0;
            java.util.Set<String> reattempts = new java.util.TreeSet<>();
            for (String line : result.logLines("Starting task ")) {
                // "Starting task 3.1 in stage 5.0 (TID 40) ...": attempt 1 of task 3 in attempt 0 of stage 5
                Matcher task = TASK_ATTEMPT.matcher(line);
                if (!task.find()) {
                    continue;
                }
                boolean retry = !task.group(1).equals("0") || !task.group(3).equals("0");
                if (retry) {
                    retried++;
                    if (task.group(2).equals(Integer.toString(stage))) {
                        retriedInStage++;
                    }
                }
                if (!task.group(3).equals("0")) {
                    reattempts.add(task.group(2) + "." + task.group(3));
                }
            }
            return new Retries(lost.size(), lostInStage, retriedInStage, retried, reattempts.size(),
                    result.logLines("Resubmitted ").size(),
                    result.logLines("is now LOST").size() + result.logLines("Lost executor ").size());
        }

        /** Whether the fault hit the stage while it ran: a task of it lost or started again. */
        boolean hitTheStage() {
            return lostInStage + retriedInStage > 0;
        }

        @Override
        public String toString() {
            return lostTasks + " tasks lost (" + lostInStage + " of the stage hit), " + retriedTasks
                    + " task attempts rerun (" + retriedInStage + " of the stage hit), " + resubmittedTasks
                    + " finished map tasks resubmitted, " + stageReattempts + " stage re-attempts, " + executorsLost
                    + " executor-lost lines";
        }
    }

    static void record(String line) {
        System.err.println("cluster tests: " + line);
        Path file = Path.of("target", "cluster", "observations.txt");
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, line + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
