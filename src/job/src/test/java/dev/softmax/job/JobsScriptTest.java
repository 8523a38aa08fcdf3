/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code jobs/softmax} with a {@code SPARK_HOME}: it reads the installation's Spark version and
 * refuses, with exit code 2 and one line naming the version and the supported lines, a Spark the
 * project does not build for, before it builds or starts anything.
 */
class JobsScriptTest {

    @Test
    void anUnsupportedSparkHomeExitsTwoNamingItsVersionAndTheSupportedLines(@TempDir Path sparkHome)
            throws Exception {
        Files.createDirectories(sparkHome.resolve("jars"));
        Files.createFile(sparkHome.resolve("jars/spark-core_2.12-3.4.1.jar"));

        Run run = script(sparkHome, "--input", "in.csv", "--value-column", "x", "--output", "out");

        assertThat(run.exitCode).isEqualTo(2);
        assertThat(run.stderr).contains("has Spark 3.4.1 (Scala 2.12)")
                .contains("supported: 3.5 (Scala 2.12 or 2.13), 4.0, 4.1 and 4.2 (Scala 2.13)");
    }

    @Test
    void aSparkHomeWithoutSparkExitsTwo(@TempDir Path sparkHome) throws Exception {
        Run run = script(sparkHome, "--help");

        assertThat(run.exitCode).isEqualTo(2);
        assertThat(run.stderr).contains("cannot tell the Spark version of SPARK_HOME=" + sparkHome);
    }

    private record Run(int exitCode, String stderr) {}

    private static Run script(Path sparkHome, String... arguments) throws IOException, InterruptedException {
        String[] command = new String[arguments.length + 2];
        command[0] = "bash";
        command[1] = RepositoryFiles.file("jobs/softmax").toString();
        System.arraycopy(arguments, 0, command, 2, arguments.length);
        ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        builder.environment().put("SPARK_HOME", sparkHome.toString());
        Process process = builder.start();
        String stderr = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("jobs/softmax ended").isTrue();
        return new Run(process.exitValue(), stderr);
    }
}
