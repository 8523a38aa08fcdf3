/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Ten applications in a row on the same cluster, the Master and Workers never restarted: the
 * Workers' threads, open files and heap (after a full GC) come back to where they were, no
 * executor process is left behind, and every run writes the same bits.
 */
@ExtendWith(ClusterExtension.class)
class ClusterSoakIT {

    private static final int APPLICATIONS = 10;
    /** Measured after this many applications: class loading and lazily grown thread pools settle in the first. */
    private static final int WARM_UP = 2;
    /** Growth allowed over 8 applications; measured: 1 thread, 1 fd, 1 MiB of heap at most. */
    private static final int THREAD_SLACK = 5;
    private static final int FILE_SLACK = 10;
    private static final long HEAP_SLACK_KB = 8 << 10;
    private static final long METASPACE_SLACK_KB = 4 << 10;

    /** What one daemon JVM holds, from /proc and jcmd. */
    record Usage(int threads, int openFiles, long heapKb, long metaspaceKb) {
        @Override
        public String toString() {
            return threads + " threads, " + openFiles + " fds" + (heapKb < 0 ? ""
                    : ", heap " + (heapKb >> 10) + " MiB, metaspace " + (metaspaceKb >> 10) + " MiB");
        }
    }

    static Usage usage(long pid, boolean withHeap) {
        int threads;
        int files;
        try {
            Matcher m = Pattern.compile("(?m)^Threads:\\s+(\\d+)").matcher(
                    Files.readString(Path.of("/proc", Long.toString(pid), "status"), StandardCharsets.UTF_8));
            threads = m.find() ? Integer.parseInt(m.group(1)) : -1;
            try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
                files = (int) fds.count();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("pid " + pid + " gone?", e);
        }
        long heap = -1;
        long metaspace = -1;
        if (withHeap) {
            jcmd(pid, "GC.run");
            String info = jcmd(pid, "GC.heap_info");
            Matcher used = Pattern.compile("heap\\s+total \\d+K, used (\\d+)K").matcher(info);
            Matcher meta = Pattern.compile("Metaspace\\s+used (\\d+)K").matcher(info);
            assertThat(used.find() && meta.find()).as("jcmd GC.heap_info of %d: %s", pid, info).isTrue();
            heap = Long.parseLong(used.group(1));
            metaspace = Long.parseLong(meta.group(1));
        }
        return new Usage(threads, files, heap, metaspace);
    }

    private static String jcmd(long pid, String command) {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        try {
            Process process = new ProcessBuilder(jcmd.toString(), Long.toString(pid), command).redirectErrorStream(true)
                    .start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
                process.destroyForcibly();
                throw new AssertionError("jcmd " + pid + " " + command + " failed: " + output);
            }
            return output;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    @Test
    void tenApplicationsLeaveNoThreadsFilesHeapOrProcessesBehind(StandaloneCluster cluster) {
        Path out = ClusterData.outputRoot("soak").resolve("scores");
        List<Long> pids = List.of(cluster.master().pid(), cluster.worker(0).pid(), cluster.worker(1).pid());
        List<String> names = List.of("Master", "Worker 0", "Worker 1");
        List<List<Usage>> series = new ArrayList<>();
        List<Usage> baseline = null;
        List<String> firstOutput = null;
        long start = System.nanoTime();
        for (int i = 1; i <= APPLICATIONS; i++) {
            // The sample data, one softmax over the whole column, over the same output each time.
            SparkApp.Result result = cluster.submitLight("soak-" + i, List.of(), List.of("--input",
                    ClusterData.SAMPLE.toString(), "--value-column", "score", "--output", out.toString(),
                    "--overwrite")).await().succeeded();
            List<String> lines = Outputs.csvLines(out);
            if (firstOutput == null) {
                firstOutput = lines;
            } else {
                assertThat(lines).as("output of application %d", i).isEqualTo(firstOutput);
            }
            cluster.awaitHealthy(); // the application is gone and its executors too
            assertThat(List.of(cluster.master().pid(), cluster.worker(0).pid(), cluster.worker(1).pid()))
                    .as("the same Master and Workers").isEqualTo(pids);
            boolean withHeap = i == WARM_UP || i == APPLICATIONS;
            List<Usage> now = pids.stream().map(pid -> usage(pid, withHeap)).toList();
            series.add(now);
            if (i == WARM_UP) {
                baseline = now;
            }
            System.err.printf("cluster tests: soak application %d in %.1f s: %s%n", i, result.seconds(), now);
        }
        List<Usage> end = series.get(series.size() - 1);
        StringBuilder report = new StringBuilder(String.format("soak, %d applications in %.0f s; after application"
                + " %d -> after %d:", APPLICATIONS, (System.nanoTime() - start) / 1e9, WARM_UP, APPLICATIONS));
        for (int d = 0; d < pids.size(); d++) {
            report.append(' ').append(names.get(d)).append(' ').append(baseline.get(d)).append(" -> ")
                    .append(end.get(d)).append(';');
        }
        report.append(" threads per application:");
        for (int d = 0; d < pids.size(); d++) {
            int index = d;
            report.append(' ').append(names.get(d)).append(' ')
                    .append(series.stream().map(u -> u.get(index).threads()).toList());
        }
        report.append("; fds:");
        for (int d = 0; d < pids.size(); d++) {
            int index = d;
            report.append(' ').append(names.get(d)).append(' ')
                    .append(series.stream().map(u -> u.get(index).openFiles()).toList());
        }
        Observations.record(report.toString());

        for (int d = 0; d < pids.size(); d++) {
            Usage before = baseline.get(d);
            Usage after = end.get(d);
            String what = names.get(d) + " after " + APPLICATIONS + " applications vs after " + WARM_UP;
            assertThat(after.threads()).as(what + ": threads").isLessThanOrEqualTo(before.threads() + THREAD_SLACK);
            assertThat(after.openFiles()).as(what + ": open files")
                    .isLessThanOrEqualTo(before.openFiles() + FILE_SLACK);
            assertThat(after.heapKb()).as(what + ": heap KiB after a full GC")
                    .isLessThanOrEqualTo(before.heapKb() + HEAP_SLACK_KB);
            assertThat(after.metaspaceKb()).as(what + ": metaspace KiB")
                    .isLessThanOrEqualTo(before.metaspaceKb() + METASPACE_SLACK_KB);
        }
    }
}
