package dev.softmax.job;

import java.io.File;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.config.Configurator;
import org.apache.spark.sql.SparkSession;

/**
 * The one local SparkSession of the test JVM (DESIGN.md section 5: one SparkContext per JVM),
 * created on first use and stopped by a shutdown hook. Job tests pass it to
 * {@link SoftmaxJob#run(SparkSession, String...)}, which works in a new session of it.
 */
final class JobTestSpark {

    private static SparkSession session;

    private JobTestSpark() {
    }

    static synchronized SparkSession session() {
        SparkSession active = SparkSession.getActiveSession().isDefined()
                ? SparkSession.getActiveSession().get() : null;
        if (active != null && !active.sparkContext().isStopped()) {
            return active;
        }
        if (session == null) {
            Configurator.setRootLevel(Level.WARN);
            session = SparkSession.builder()
                    .master("local[2]")
                    .appName("spark-softmax job tests")
                    .config("spark.ui.enabled", "false")
                    .config("spark.sql.shuffle.partitions", "4")
                    .config("spark.sql.warehouse.dir", new File("target/spark-warehouse").getAbsolutePath())
                    .getOrCreate();
            // Spark installs its default log4j profile (INFO) when the context starts.
            Configurator.setRootLevel(Level.WARN);
            SparkSession created = session;
            Runtime.getRuntime().addShutdownHook(new Thread(created::stop));
        }
        return session;
    }
}
