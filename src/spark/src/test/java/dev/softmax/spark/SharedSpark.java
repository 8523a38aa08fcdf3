/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.spark;

import java.io.File;
import org.apache.spark.sql.SparkSession;

/**
 * The one local SparkSession of the test JVM (Spark allows one SparkContext per JVM):
 * created on first use, stopped by a shutdown hook. Each test class takes its own
 * {@link #newSession()} (own conf, temp views and functions; shared SparkContext). The job's
 * tests use it too: {@code SoftmaxJob.run(SharedSpark.root(), ...)} works in a new session of it.
 */
public final class SharedSpark {

    private static SparkSession root;

    private SharedSpark() {}

    /** The shared session itself. */
    public static synchronized SparkSession root() {
        if (root == null) {
            File warehouse = new File("target/spark-warehouse").getAbsoluteFile();
            root = SparkSession.builder()
                    .master("local[2]")
                    .appName("spark-softmax-tests")
                    .config("spark.ui.enabled", "false")
                    .config("spark.sql.shuffle.partitions", "4")
                    .config("spark.sql.warehouse.dir", warehouse.toURI().toString())
                    .config("spark.driver.host", "127.0.0.1")
                    .config("spark.sql.adaptive.enabled", "true")
                    .getOrCreate();
            SparkSession session = root;
            Runtime.getRuntime().addShutdownHook(new Thread(session::stop, "stop-shared-spark"));
        }
        return root;
    }

    /** A fresh session over the shared SparkContext. */
    public static SparkSession newSession() {
        return root().newSession();
    }

    /** A fresh session, made the active one, with the project's SQL functions registered. */
    public static SparkSession newSessionWithFunctions() {
        SparkSession session = newSession();
        SparkSession.setActiveSession(session);
        SparkSoftmax.register(session);
        return session;
    }
}
