/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One run of the job in its own driver JVM (SparkSubmit): its process, its stdout and stderr
 * in files under target/cluster/apps/, and, while it runs, its web UI's REST API
 * ({@code /api/v1/applications/APP/stages} ...).
 */
final class SparkApp {

    static final Duration RUN_TIMEOUT = Duration.ofMinutes(4);
    private static final Pattern UI =
            Pattern.compile("Started \\S*ServerConnector@\\S*\\{[^}]*\\}\\{([0-9.]+:[0-9]+)\\}");

    private final String name;
    private final Process process;
    private final Path dir;
    private final List<String> command;
    private final long startNanos = System.nanoTime();
    private long endNanos;
    private String uiUrl;
    private String appId;

    SparkApp(String name, Process process, Path dir, List<String> command) {
        this.name = name;
        this.process = process;
        this.dir = dir;
        this.command = List.copyOf(command);
    }

    /** What a run left: exit code, stdout, stderr, wall time. */
    record Result(String name, int exitCode, String out, String err, double seconds, Path dir) {

        /** Exit code 0, or an AssertionError showing the end of stderr. */
        Result succeeded() {
            if (exitCode != 0) {
                throw new AssertionError(name + ": exit code " + exitCode + ", expected 0; stderr ("
                        + dir.resolve("stderr.txt") + ") ends:\n" + lastLines(err, 40));
            }
            return this;
        }

        /** The job's own error lines on stderr ("softmax: ..."), among Spark's log lines. */
        List<String> jobErrors() {
            return err.lines().filter(line -> line.startsWith("softmax: ")).toList();
        }

        /** Lines of the driver log that contain {@code text}. */
        List<String> logLines(String text) {
            return err.lines().filter(line -> line.contains(text)).toList();
        }
    }

    static String lastLines(String text, int count) {
        List<String> lines = text.lines().toList();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - count), lines.size()));
    }

    String name() {
        return name;
    }

    Process process() {
        return process;
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** Waits for the driver to exit; kills it (and fails) if it runs longer than {@code timeout}. */
    Result await(Duration timeout) {
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                Processes.killTree(process.toHandle(), Duration.ZERO);
                throw new AssertionError(name + ": still running after " + timeout.toSeconds() + " s, killed; stderr ("
                        + dir.resolve("stderr.txt") + ") ends:\n" + lastLines(stderr(), 40));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(name + ": interrupted", e);
        }
        if (endNanos == 0) {
            endNanos = System.nanoTime();
        }
        return new Result(name, process.exitValue(), stdout(), stderr(), (endNanos - startNanos) / 1e9, dir);
    }

    Result await() {
        return await(RUN_TIMEOUT);
    }

    /** Kills the driver with SIGKILL. */
    void kill9() {
        Processes.kill9(process.toHandle());
        endNanos = System.nanoTime();
    }

    String stdout() {
        return read(dir.resolve("stdout.txt"));
    }

    String stderr() {
        return read(dir.resolve("stderr.txt"));
    }

    private static String read(Path file) {
        try {
            return new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The web UI's address, from the driver's log line of its one Jetty server,
     * "Started ...ServerConnector@...{HTTP/1.1, (http/1.1)}{127.0.0.1:PORT}".
     */
    String uiUrl() {
        if (uiUrl == null) {
            uiUrl = Poll.until(name + ": the driver's web UI (log line 'Started ...ServerConnector')",
                    StandaloneCluster.START_TIMEOUT, Duration.ofMillis(100), () -> {
                        Matcher m = UI.matcher(stderr());
                        if (m.find()) {
                            return "http://" + m.group(1);
                        }
                        if (!process.isAlive()) {
                            throw new Poll.Abort("the driver exited with " + process.exitValue());
                        }
                        return null;
                    }, () -> lastLines(stderr(), 20));
        }
        return uiUrl;
    }

    /** The application id, from the REST API. */
    String appId() {
        if (appId == null) {
            appId = Poll.until(name + ": the application id from " + uiUrl() + "/api/v1/applications",
                    StandaloneCluster.START_TIMEOUT, Duration.ofMillis(100), () -> {
                        if (!process.isAlive()) {
                            throw new Poll.Abort("the driver exited with " + process.exitValue());
                        }
                        JsonNode apps = StandaloneCluster.fetchJson(uiUrl() + "/api/v1/applications");
                        return apps.size() > 0 ? apps.get(0).path("id").asText() : null;
                    }, () -> "no application yet");
        }
        return appId;
    }

    /** GET on the application's REST API, e.g. {@code "stages"}. */
    JsonNode rest(String path) {
        return StandaloneCluster.fetchJson(uiUrl() + "/api/v1/applications/" + appId() + "/" + path);
    }

    /**
     * One stage attempt as the REST API lists it, with the metrics of its finished tasks:
     * records written to the shuffle and to output files.
     */
    record Stage(int id, int attempt, String status, String name, int tasks, int active, int complete, int failed,
            int killed, long shuffleWriteRecords, long outputRecords) {

        static Stage of(JsonNode node) {
            return new Stage(node.path("stageId").asInt(), node.path("attemptId").asInt(),
                    node.path("status").asText(), node.path("name").asText(), node.path("numTasks").asInt(),
                    node.path("numActiveTasks").asInt(), node.path("numCompleteTasks").asInt(),
                    node.path("numFailedTasks").asInt(), node.path("numKilledTasks").asInt(),
                    node.path("shuffleWriteRecords").asLong(), node.path("outputRecords").asLong());
        }

        boolean isActive() {
            return "ACTIVE".equals(status);
        }

        @Override
        public String toString() {
            return "stage " + id + "." + attempt + " " + status + ": " + complete + "/" + tasks + " tasks done, "
                    + active + " running, " + failed + " failed, " + killed + " killed; " + shuffleWriteRecords
                    + " shuffle records, " + outputRecords + " output records written";
        }
    }

    /**
     * Polls the stages every 50 ms until one satisfies {@code condition} and returns it; fails
     * if the driver exits first or after {@code timeout}.
     */
    Stage awaitStage(String what, Duration timeout, java.util.function.Predicate<Stage> condition) {
        List<List<Stage>> seen = new ArrayList<>();
        return Poll.until(name + ": " + what, timeout, Duration.ofMillis(50), () -> {
            if (!process.isAlive()) {
                throw new Poll.Abort("the driver exited with " + process.exitValue() + " first");
            }
            List<Stage> stages = stages();
            seen.clear();
            seen.add(stages);
            return stages.stream().filter(condition).findFirst().orElse(null);
        }, () -> seen.isEmpty() ? "no stages" : seen.get(0).toString());
    }

    /** Every stage attempt of the application so far. */
    List<Stage> stages() {
        List<Stage> stages = new ArrayList<>();
        for (JsonNode node : rest("stages")) {
            stages.add(Stage.of(node));
        }
        return stages;
    }

    /** The partition indexes of the tasks launched so far in a stage attempt (REST task list). */
    java.util.Set<Integer> launchedTaskIndexes(Stage stage) {
        java.util.Set<Integer> indexes = new java.util.TreeSet<>();
        for (JsonNode task : rest("stages/" + stage.id() + "/" + stage.attempt() + "/taskList?length=10000")) {
            indexes.add(task.path("index").asInt());
        }
        return indexes;
    }

    @Override
    public String toString() {
        return name + " (" + dir + "): " + String.join(" ", command);
    }
}
