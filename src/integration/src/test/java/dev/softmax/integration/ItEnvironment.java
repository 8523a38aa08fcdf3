/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.integration;

import dev.softmax.job.RepositoryFiles;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The paths and options the integration suites (HdfsIT, StreamingIT, ConnectIT) get from
 * failsafe's configuration in pom.xml, as system properties: nothing here guesses a path.
 */
public final class ItEnvironment {

    public static final String HOST = "127.0.0.1";

    private ItEnvironment() {
    }

    /** A system property set by pom.xml, or a failure saying to run through Maven. */
    public static String property(String name) {
        String value = System.getProperty(name);
        if (value == null || value.isBlank()) {
            throw new IllegalStateException("system property " + name + " is not set: run the integration tests"
                    + " through Maven (mvn verify), which sets it in failsafe's configuration");
        }
        return value;
    }

    /** The packaged job jar (target/spark-softmax-VERSION.jar): the project's classes as a user gets them. */
    public static Path jobJar() {
        Path jar = Path.of(property("softmax.cluster.jar")).toAbsolutePath();
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("no job jar at " + jar + ": the integration tests run in `mvn verify`,"
                    + " after `package`");
        }
        return jar;
    }

    /** Spark and Hadoop (compile and provided scope, no test jars), as written by the dependency plugin. */
    public static List<String> sparkClasspath() {
        return classpathFile("softmax.cluster.classpath");
    }

    /** Every test-scope dependency (Spark, the HDFS mini cluster, JUnit ...), without the project's own classes. */
    public static List<String> testDependencyClasspath() {
        return classpathFile("softmax.it.testClasspath");
    }

    /** The jar or folder a class was loaded from, for a child JVM's classpath. */
    public static String classLocation(Class<?> type) {
        try {
            return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException("no file location for " + type.getName(), e);
        }
    }

    /** target/test-classes. */
    public static String testClasses() {
        return property("softmax.it.testClasses");
    }

    /** The JVM options Spark needs on Java 17 (pom.xml's spark.jvm.options). */
    public static List<String> sparkJvmOptions() {
        return List.of(property("softmax.cluster.jvmOptions").strip().split("\\s+"));
    }

    /** conf/log4j2.properties: Spark's children log at WARN. */
    public static String log4jConfig() {
        return RepositoryFiles.file("conf/log4j2.properties").toString();
    }

    /** sample-data/retrieval_scores.csv. */
    public static Path sample() {
        return RepositoryFiles.sampleData("retrieval_scores.csv");
    }

    /** The entries of a classpath file written by maven-dependency-plugin's build-classpath. */
    public static List<String> classpathFile(String propertyName) {
        Path file = Path.of(property(propertyName));
        if (!Files.isRegularFile(file)) {
            throw new IllegalStateException("no classpath file " + file + " (system property " + propertyName
                    + "): it is written in the pre-integration-test phase of mvn verify");
        }
        try {
            String text = Files.readString(file, StandardCharsets.UTF_8).strip();
            List<String> entries = new ArrayList<>();
            for (String entry : text.split(File.pathSeparator)) {
                if (!entry.isBlank()) {
                    entries.add(entry);
                }
            }
            return entries;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A directory under target/it for one suite, emptied first. */
    public static Path freshDirectory(String name) {
        Path dir = Path.of("target", "it", name).toAbsolutePath();
        try {
            if (Files.exists(dir)) {
                try (var walk = Files.walk(dir)) {
                    for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                        Files.delete(p);
                    }
                }
            }
            Files.createDirectories(dir);
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A port free on the loopback address now (the child that binds it may still lose a race: it then exits). */
    public static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
