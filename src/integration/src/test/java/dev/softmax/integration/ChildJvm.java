/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.integration;

import dev.softmax.cluster.Processes;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A child JVM of an integration suite: its stdout and stderr in files under its own folder,
 * registered with the cluster tests' {@link Processes} (killed by pid at the end, also by the
 * shutdown hook when a test fails), stopped by pid with {@link #stop()} or {@link #kill9()}.
 */
public final class ChildJvm {

    private final String name;
    private final Process process;
    private final Path dir;
    private final long startNanos = System.nanoTime();

    private ChildJvm(String name, Process process, Path dir) {
        this.name = name;
        this.process = process;
        this.dir = dir;
    }

    /** What a finished child left: exit code, stdout, stderr and wall time. */
    public record Result(String name, int exitCode, String out, String err, double seconds) {

        public Result succeeded() {
            if (exitCode != 0) {
                throw new AssertionError(name + ": exit code " + exitCode + ", expected 0; stderr ends:\n"
                        + lastLines(err, 40) + "\nstdout ends:\n" + lastLines(out, 20));
            }
            return this;
        }
    }

    /**
     * Starts {@code java [jvmOptions] -cp CLASSPATH MAIN ARGS} (or, with a main ending in
     * {@code .java}, the single-file source launcher) with stdout and stderr in {@code dir}.
     */
    public static ChildJvm start(String name, Path dir, List<String> classpath, List<String> jvmOptions,
            String main, List<String> args) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.add("-cp");
        command.add(String.join(File.pathSeparator, classpath));
        command.add(main);
        command.addAll(args);
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("command.txt"), String.join("\n", command) + "\n", StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile());
        builder.environment().put("SPARK_LOCAL_IP", ItEnvironment.HOST);
        builder.environment().remove("SPARK_HOME");
        builder.environment().remove("SPARK_CONF_DIR");
        builder.redirectOutput(dir.resolve("stdout.txt").toFile());
        builder.redirectError(dir.resolve("stderr.txt").toFile());
        builder.redirectInput(ProcessBuilder.Redirect.PIPE);
        try {
            Process process = builder.start();
            Processes.register(process.toHandle());
            return new ChildJvm(name, process, dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + command, e);
        }
    }

    public String name() {
        return name;
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public Path dir() {
        return dir;
    }

    /** Waits for the child to exit; kills it (and fails) after {@code timeout}. */
    public Result await(Duration timeout) {
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                Processes.killTree(process.toHandle(), Duration.ZERO);
                throw new AssertionError(name + ": still running after " + timeout.toSeconds()
                        + " s, killed; stderr ends:\n"
                        + lastLines(stderr(), 40));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(name + ": interrupted", e);
        }
        return new Result(name, process.exitValue(), stdout(), stderr(), (System.nanoTime() - startNanos) / 1e9);
    }

    /** SIGTERM to the child and its descendants, SIGKILL after 10 s to what is left. */
    public void stop() {
        Processes.killTree(process.toHandle(), Duration.ofSeconds(10));
    }

    /** SIGKILL, now: no shutdown hook runs in the child. */
    public void kill9() {
        Processes.kill9(process.toHandle());
    }

    public String stdout() {
        return read(dir.resolve("stdout.txt"));
    }

    public String stderr() {
        return read(dir.resolve("stderr.txt"));
    }

    private static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static String lastLines(String text, int count) {
        List<String> lines = text.lines().toList();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - count), lines.size()));
    }
}
