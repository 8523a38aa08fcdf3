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
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Every process the cluster tests start (Master, Workers, drivers, and the executors the
 * Workers start for them), so that each one is killed at the end, by pid: in
 * {@link #stopAll()} (the fixture's close) and in a shutdown hook, also when a test fails.
 *
 * <p>The pids go to a file under target/ as well: a test JVM killed outright (SIGKILL runs no
 * shutdown hook) leaves them there, and the next run kills whatever is still alive of them,
 * identified by pid and start time, before it starts its own cluster.
 */
public final class Processes {

    private static final Set<ProcessHandle> STARTED = new LinkedHashSet<>();
    private static Path pidFile;
    private static boolean hookInstalled;

    private Processes() {
    }

    /**
     * Kills what a previous run left (listed in {@code file}) and records this run's processes
     * there from now on.
     */
    static synchronized void usePidFile(Path file) {
        if (Files.exists(file)) {
            try {
                for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                    String[] fields = line.strip().split(" ");
                    if (fields.length != 2) {
                        continue;
                    }
                    Optional<ProcessHandle> handle = ProcessHandle.of(Long.parseLong(fields[0]));
                    Optional<Instant> start = handle.flatMap(h -> h.info().startInstant());
                    if (handle.isPresent() && start.isPresent() && start.get().toString().equals(fields[1])) {
                        System.err.println("cluster tests: killing pid " + fields[0] + ", left by an earlier run");
                        killTree(handle.get(), Duration.ZERO);
                    }
                }
                Files.delete(file);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        pidFile = file;
    }

    /** Records a process (and, at stop, its descendants) to kill at the end. */
    public static synchronized void register(ProcessHandle process) {
        STARTED.add(process);
        if (!hookInstalled) {
            Runtime.getRuntime().addShutdownHook(new Thread(Processes::stopAll, "stop-cluster-processes"));
            hookInstalled = true;
        }
        if (pidFile != null) {
            String start = process.info().startInstant().map(Instant::toString).orElse("?");
            try {
                Files.writeString(pidFile, process.pid() + " " + start + "\n", StandardCharsets.UTF_8,
                        StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /**
     * Sends SIGTERM to a process and its descendants, waits up to {@code grace} for them to
     * exit, then sends SIGKILL to whatever is left. The descendants are listed first: a parent
     * that dies first leaves its children to init, out of reach of {@code descendants()}.
     */
    public static void killTree(ProcessHandle process, Duration grace) {
        List<ProcessHandle> all = new ArrayList<>(process.descendants().toList());
        all.add(process);
        if (!grace.isZero()) {
            all.forEach(ProcessHandle::destroy);
            for (ProcessHandle p : all) {
                try {
                    p.onExit().get(Math.max(1, grace.toMillis()), TimeUnit.MILLISECONDS);
                } catch (Exception e) {
                    break; // the rest get SIGKILL below
                }
            }
        }
        for (ProcessHandle p : all) {
            if (p.isAlive()) {
                p.destroyForcibly();
            }
        }
        for (ProcessHandle p : all) {
            try {
                p.onExit().get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                System.err.println("cluster tests: pid " + p.pid() + " still alive after SIGKILL");
            }
        }
    }

    /** Sends SIGKILL to one process, now, and waits until it is gone. */
    public static void kill9(ProcessHandle process) {
        process.destroyForcibly();
        try {
            process.onExit().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("pid " + process.pid() + " still alive 10 s after SIGKILL", e);
        }
    }

    /** Kills every registered process that is still alive, with its descendants. */
    static synchronized void stopAll() {
        List<ProcessHandle> reversed = new ArrayList<>(STARTED);
        java.util.Collections.reverse(reversed); // drivers and Workers before the Master
        for (ProcessHandle process : reversed) {
            if (process.isAlive() || process.descendants().findAny().isPresent()) {
                killTree(process, Duration.ofSeconds(10));
            }
        }
        STARTED.clear();
        if (pidFile != null) {
            try {
                Files.deleteIfExists(pidFile);
            } catch (IOException e) {
                // nothing left to kill; a stale file is checked by pid and start time
            }
        }
    }

    /** The command line of a live process from /proc, arguments separated by spaces; "" if gone. */
    static String commandLine(long pid) {
        try {
            byte[] bytes = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline"));
            return new String(bytes, StandardCharsets.UTF_8).replace('\0', ' ').strip();
        } catch (IOException e) {
            return "";
        }
    }
}
