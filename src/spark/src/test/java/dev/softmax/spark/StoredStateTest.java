/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.spark;

import static dev.softmax.spark.SparkTestSupport.accumulate;
import static dev.softmax.spark.SparkTestSupport.assertRowsMatchCore;
import static dev.softmax.spark.SparkTestSupport.expectedNormalizers;
import static dev.softmax.spark.SparkTestSupport.frame;
import static dev.softmax.spark.SparkTestSupport.key;
import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;

import dev.softmax.core.LogSumExpAccumulator;
import dev.softmax.core.SoftmaxMode;
import java.io.File;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * States kept in a table and merged later (daily partitions merged into one normalizer) give
 * the same bytes, and so the same outputs, as one pass over all the data.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StoredStateTest {

    private SparkSession spark;
    private Map<String, List<Double>> groups;
    private List<Row> rows;

    @BeforeAll
    void start() {
        spark = SharedSpark.newSessionWithFunctions();
        groups = SoftmaxCases.groups();
        rows = SparkTestSupport.rows(groups);
        frame(spark, rows, 5, 21).createOrReplaceTempView("t");
    }

    @Test
    void mergingStoredDailyStatesIsOnePass() {
        File table = new File("target/spark-tests/daily-states").getAbsoluteFile();
        spark.sql("SELECT g, day, softmax_state(x) AS s FROM t GROUP BY g, day")
                .write().mode("overwrite").parquet(table.toURI().toString());
        spark.read().parquet(table.toURI().toString()).createOrReplaceTempView("daily");

        Map<String, byte[]> onePass = states(spark.sql("SELECT g, softmax_state(x) AS s FROM t GROUP BY g"));
        Map<String, byte[]> merged = states(spark.sql("SELECT g, softmax_state_merge(s) AS s FROM daily GROUP BY g"));
        // Two levels: days 0 and 1 first, then with day 2, as a weekly then monthly roll-up would.
        Map<String, byte[]> twoLevels = states(spark.sql("SELECT g, softmax_state_merge(s) AS s FROM ("
                + "SELECT g, softmax_state_merge(s) AS s FROM daily GROUP BY g, day < 2) GROUP BY g"));
        Map<String, byte[]> api = states(spark.table("daily").groupBy("g")
                .agg(SoftmaxFunctions.softmax_state_merge(col("s")).as("s")));

        assertThat(onePass).hasSize(groups.size());
        for (Map.Entry<String, byte[]> group : onePass.entrySet()) {
            LogSumExpAccumulator core = accumulate(groups.get(group.getKey()), 1.0, SoftmaxMode.EXACT);
            byte[] expected = core.isEmpty() ? null : core.toBytes();
            assertThat(group.getValue()).as("one pass, group " + group.getKey()).isEqualTo(expected);
            assertThat(merged.get(group.getKey())).as("merged, group " + group.getKey()).isEqualTo(expected);
            assertThat(twoLevels.get(group.getKey())).as("merged twice, group " + group.getKey()).isEqualTo(expected);
            assertThat(api.get(group.getKey())).as("DataFrame merge, group " + group.getKey()).isEqualTo(expected);
        }

        List<Row> applied = spark.sql("SELECT t.g, id, x, softmax(x, m.s) AS prob, log_softmax(x, m.s) AS log_prob "
                + "FROM t JOIN (SELECT g, softmax_state_merge(s) AS s FROM daily GROUP BY g) m ON t.g <=> m.g")
                .collectAsList();
        assertRowsMatchCore(applied, expectedNormalizers(groups, 1.0, SoftmaxMode.EXACT), 1.0, rows.size(),
                "softmax with merged stored states");
    }

    private static Map<String, byte[]> states(Dataset<Row> result) {
        Map<String, byte[]> states = new HashMap<>();
        for (Row row : result.collectAsList()) {
            states.put(key(row.getAs("g")), row.getAs("s"));
        }
        return states;
    }
}
