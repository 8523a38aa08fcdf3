package dev.softmax.job;

import java.io.File;
import org.apache.spark.sql.SparkSession;

/**
 * The one local SparkSession of the test JVM (DESIGN.md section 5: one SparkContext per JVM).
 * The Spark layer's tests have their own helper (package-private dev.softmax.spark.SharedSpark)
 * with the same settings; whichever runs first creates the session and the other gets it from
 * {@code getOrCreate()}. Job tests pass it to {@link SoftmaxJob#run(SparkSession, String...)},
 * which works in a new session of it. Logging: src/test/resources/log4j2-test.properties.
 */
final class JobTestSpark {

    private static SparkSession session;

    private JobTestSpark() {
    }

    static synchronized SparkSession session() {
        if (session == null || session.sparkContext().isStopped()) {
            File warehouse = new File("target/spark-warehouse").getAbsoluteFile();
            session = SparkSession.builder()
                    .master("local[2]")
                    .appName("spark-softmax-tests")
                    .config("spark.ui.enabled", "false")
                    .config("spark.sql.shuffle.partitions", "4")
                    .config("spark.sql.warehouse.dir", warehouse.toURI().toString())
                    .config("spark.driver.host", "127.0.0.1")
                    .config("spark.sql.adaptive.enabled", "true")
                    .getOrCreate();
            SparkSession created = session;
            Runtime.getRuntime().addShutdownHook(new Thread(created::stop, "stop-job-test-spark"));
        }
        return session;
    }
}
