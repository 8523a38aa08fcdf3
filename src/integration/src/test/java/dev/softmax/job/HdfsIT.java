/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.softmax.cluster.Outputs;
import dev.softmax.cluster.Poll;
import dev.softmax.integration.ChildJvm;
import dev.softmax.integration.ItEnvironment;
import dev.softmax.spark.SharedSpark;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The job against a real HDFS: Hadoop's MiniDFSCluster (NameNode and DataNode on 127.0.0.1, in
 * a child JVM of its own, {@code MiniHdfsMain}) and the packaged job jar run by SparkSubmit in
 * child JVMs ({@code --master local[2]}), with {@code hdfs://} inputs, outputs and bad-rows
 * directories. Each HDFS output is compared bit for bit with the same job run on local files
 * (in this JVM's local session, {@link JobRunner}: a different JVM and partitioning). The
 * inputs are put on HDFS in 16 KiB blocks, so the 51 KB sample spans four blocks.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HdfsIT {

    private static final Duration START_TIMEOUT = Duration.ofSeconds(120);
    private static final Duration RUN_TIMEOUT = Duration.ofMinutes(3);
    /** Two rows the job sets aside: a value that is not a number and a line with a field too many. */
    private static final List<String> BAD_LINES = List.of("q0001,dbad01,abc", "q0002,dbad02,1.5,extra");

    private static Path root;
    private static ChildJvm namenode;
    private static String hdfs;
    private static FileSystem fs;
    private static Path localInput;
    private static int runs;

    @BeforeAll
    static void startMiniHdfs() throws IOException {
        root = ItEnvironment.freshDirectory("hdfs");
        Path uriFile = root.resolve("hdfs-uri.txt");
        List<String> classpath = new ArrayList<>();
        classpath.add(ItEnvironment.testClasses());
        classpath.addAll(ItEnvironment.testDependencyClasspath());
        long start = System.nanoTime();
        namenode = ChildJvm.start("mini-hdfs", root.resolve("mini-hdfs"), classpath,
                List.of("-Xmx512m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                        "-Dlog4j2.configurationFile=" + ItEnvironment.log4jConfig()),
                "dev.softmax.integration.MiniHdfsMain",
                List.of(root.resolve("dfs").toString(), uriFile.toString()));
        hdfs = Poll.until("the mini HDFS to write its URI to " + uriFile, START_TIMEOUT, Duration.ofMillis(200), () -> {
            if (!namenode.isAlive()) {
                throw new Poll.Abort("MiniHdfsMain exited; its stderr ends:\n"
                        + ChildJvm.lastLines(namenode.stderr(), 40));
            }
            try {
                return Files.exists(uriFile) ? Files.readString(uriFile, StandardCharsets.UTF_8).strip() : null;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, () -> ChildJvm.lastLines(namenode.stderr(), 20));
        System.err.printf("HdfsIT: mini HDFS up at %s in %.1f s (pid %d)%n", hdfs, (System.nanoTime() - start) / 1e9,
                namenode.pid());
        assertThat(hdfs).startsWith("hdfs://127.0.0.1:");
        Configuration client = new Configuration();
        client.setLong("dfs.blocksize", 16 * 1024); // a client setting: the inputs this test puts span blocks
        fs = FileSystem.newInstance(URI.create(hdfs), client);

        List<String> lines = new ArrayList<>(Files.readAllLines(ItEnvironment.sample(), StandardCharsets.UTF_8));
        lines.addAll(BAD_LINES);
        localInput = root.resolve("local/in/scores.csv");
        Files.createDirectories(localInput.getParent());
        Files.write(localInput, lines, StandardCharsets.UTF_8);
        fs.mkdirs(hdfsPath("/data/in"));
        fs.copyFromLocalFile(new org.apache.hadoop.fs.Path(localInput.toUri()), hdfsPath("/data/in/scores.csv"));
        assertThat(fs.getFileBlockLocations(fs.getFileStatus(hdfsPath("/data/in/scores.csv")), 0, Long.MAX_VALUE))
                .as("blocks of the CSV input on HDFS").hasSizeGreaterThan(1);
    }

    @AfterAll
    static void stopMiniHdfs() throws IOException {
        if (fs != null) {
            fs.close();
        }
        if (namenode != null) {
            namenode.stop();
        }
    }

    @Test
    @Order(1)
    void csvWithBadRowsOnHdfsHasTheBitsOfALocalRun() throws IOException {
        JobRunner.Result local = JobRunner.run("--input", localInput.toString(), "--value-column", "score",
                "--group-by", "query_id", "--output", root.resolve("local/out-csv").toString(),
                "--bad-rows", root.resolve("local/bad-csv").toString()).succeeded();
        ChildJvm.Result onHdfs = job("csv-hdfs", "--input", hdfs + "/data/in/scores.csv", "--value-column", "score",
                "--group-by", "query_id", "--output", hdfs + "/data/out/csv", "--bad-rows", hdfs + "/data/bad/csv")
                .succeeded();

        assertThat(onHdfs.out()).contains("input rows    2370 (4 with a null score, 2 bad)")
                .contains("bad rows      2 written to " + hdfs + "/data/bad/csv")
                .contains("rows written  2368").contains("output        " + hdfs + "/data/out/csv (csv)");
        assertThat(local.out()).contains("input rows    2370 (4 with a null score, 2 bad)");

        List<String> expected = Outputs.csvLines(root.resolve("local/out-csv"));
        assertThat(expected).hasSize(2368);
        assertThat(Outputs.csvLines(fetch("/data/out/csv", "out-csv"))).isEqualTo(expected);

        // The bad rows: the same, but for the file they came from.
        List<String> localBad = Outputs.csvLines(root.resolve("local/bad-csv")).stream()
                .map(line -> line.replace(localInput.toUri().toString(), "INPUT")).toList();
        List<String> hdfsBad = Outputs.csvLines(fetch("/data/bad/csv", "bad-csv")).stream()
                .map(line -> line.replace(hdfs + "/data/in/scores.csv", "INPUT")).toList();
        assertThat(hdfsBad).hasSize(2).isEqualTo(localBad).anyMatch(line -> line.contains("abc"))
                .anyMatch(line -> line.contains("q0002,dbad02,1.5,extra"));
        assertThat(listNames("/data/out")).containsExactly("csv");
    }

    @Test
    @Order(2)
    void parquetOnHdfsHasTheBitsOfALocalRun() throws IOException {
        Path localParquet = root.resolve("local/in-parquet");
        SharedSpark.root().read().option("header", "true").csv(ItEnvironment.sample().toString()).repartition(3)
                .write().parquet(localParquet.toString());
        fs.copyFromLocalFile(new org.apache.hadoop.fs.Path(localParquet.toUri()), hdfsPath("/data/in-parquet"));

        JobRunner.run("--input", localParquet.toString(), "--value-column", "score", "--group-by", "query_id",
                "--output", root.resolve("local/out-parquet").toString()).succeeded();
        ChildJvm.Result onHdfs = job("parquet-hdfs", "--input", hdfs + "/data/in-parquet", "--value-column", "score",
                "--group-by", "query_id", "--output", hdfs + "/data/out/parquet").succeeded();
        assertThat(onHdfs.out()).contains("output        " + hdfs + "/data/out/parquet (parquet)")
                .contains("rows written  2368");

        Path expected = root.resolve("local/out-parquet");
        Outputs.Fingerprint print = Outputs.fingerprint(expected);
        assertThat(print.rows()).isEqualTo(2368);
        assertThat(Outputs.parquetDifference(expected, print, fetch("/data/out/parquet", "out-parquet"))).isNull();
    }

    @Test
    @Order(3)
    void aRunThatFailsAtJobCommitOnHdfsLeavesThePreviousOutputIntact() throws IOException {
        Map<String, String> before = Outputs.snapshot(fetch("/data/out/csv", "before-failure"));
        Map<String, String> badBefore = Outputs.snapshot(fetch("/data/bad/csv", "bad-before-failure"));

        ChildJvm.Result failed = job("csv-hdfs-failing-commit", "--input", hdfs + "/data/in/scores.csv",
                "--value-column", "score", "--group-by", "query_id", "--temperature", "2",
                "--output", hdfs + "/data/out/csv", "--bad-rows", hdfs + "/data/bad/csv", "--overwrite",
                "--conf", "spark.sql.sources.outputCommitterClass=" + FailingOutputCommitter.class.getName());
        assertThat(failed.exitCode()).as(failed.err()).isEqualTo(1);
        assertThat(failed.err()).contains("softmax: failed: ").contains("disk full (simulated");

        assertThat(Outputs.snapshot(fetch("/data/out/csv", "after-failure"))).isEqualTo(before);
        assertThat(Outputs.snapshot(fetch("/data/bad/csv", "bad-after-failure"))).isEqualTo(badBefore);
        // Nothing left beside them: the temporary siblings were deleted, no backup was made.
        assertThat(listNames("/data/out")).containsExactly("csv", "parquet");
        assertThat(listNames("/data/bad")).containsExactly("csv");
    }

    @Test
    @Order(4)
    void overwriteOnHdfsReplacesTheOutputAllAtOnce() throws IOException {
        List<String> before = Outputs.csvLines(fetch("/data/out/csv", "before-overwrite"));
        ChildJvm.Result result = job("csv-hdfs-overwrite", "--input", hdfs + "/data/in/scores.csv",
                "--value-column", "score", "--group-by", "query_id", "--temperature", "2",
                "--output", hdfs + "/data/out/csv", "--bad-rows", hdfs + "/data/bad/csv", "--overwrite").succeeded();
        assertThat(result.out()).contains("rows written  2368").contains("temperature 2");

        List<String> after = Outputs.csvLines(fetch("/data/out/csv", "after-overwrite"));
        assertThat(after).hasSize(2368).isNotEqualTo(before);
        assertThat(listNames("/data/out/csv")).contains("_SUCCESS");
        assertThat(listNames("/data/out")).containsExactly("csv", "parquet");
        assertThat(listNames("/data/bad")).containsExactly("csv");
    }

    // ---- helpers ------------------------------------------------------------------------------

    /**
     * Runs the packaged job jar in a SparkSubmit JVM, local[2], with the job's test classes on its
     * classpath (where FailingOutputCommitter lives: the job module's test jar).
     */
    private static ChildJvm.Result job(String name, String... jobArgs) {
        List<String> classpath = new ArrayList<>(ItEnvironment.sparkClasspath());
        classpath.add(ItEnvironment.classLocation(FailingOutputCommitter.class));
        // The C1 compiler and the serial GC: a short application costs half the CPU (see StandaloneCluster.LIGHT_JVM).
        List<String> jvm = new ArrayList<>(List.of("-Xmx1g", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"));
        jvm.addAll(ItEnvironment.sparkJvmOptions());
        jvm.add("-Dlog4j2.configurationFile=" + ItEnvironment.log4jConfig());
        List<String> args = new ArrayList<>(List.of("--master", "local[2]", "--conf", "spark.ui.enabled=false",
                "--conf", "spark.ui.showConsoleProgress=false", "--class", "dev.softmax.job.SoftmaxJob",
                ItEnvironment.jobJar().toString()));
        args.addAll(List.of(jobArgs));
        ChildJvm child = ChildJvm.start(name, root.resolve("runs").resolve(String.format("%02d-%s", ++runs, name)),
                classpath, jvm, "org.apache.spark.deploy.SparkSubmit", args);
        ChildJvm.Result result = child.await(RUN_TIMEOUT);
        System.err.printf("HdfsIT: %s exit %d in %.1f s%n", name, result.exitCode(), result.seconds());
        return result;
    }

    private static org.apache.hadoop.fs.Path hdfsPath(String path) {
        return new org.apache.hadoop.fs.Path(path);
    }

    /** Copies an HDFS directory to a fresh local one (under target/it/hdfs/fetched) and returns it. */
    private static Path fetch(String hdfsDirectory, String localName) throws IOException {
        Path local = root.resolve("fetched").resolve(localName);
        assertThat(local).doesNotExist();
        Files.createDirectories(local.getParent());
        fs.copyToLocalFile(false, hdfsPath(hdfsDirectory), new org.apache.hadoop.fs.Path(local.toUri()), true);
        return local;
    }

    /** The names in an HDFS directory, sorted (hidden siblings included). */
    private static List<String> listNames(String hdfsDirectory) throws IOException {
        List<String> names = new ArrayList<>();
        for (FileStatus status : fs.listStatus(hdfsPath(hdfsDirectory))) {
            names.add(status.getPath().getName());
        }
        names.sort(null);
        return names;
    }
}
