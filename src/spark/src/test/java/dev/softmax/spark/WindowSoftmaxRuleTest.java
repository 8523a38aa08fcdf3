/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.spark;

import static dev.softmax.spark.SparkTestSupport.assertRowsMatchCore;
import static dev.softmax.spark.SparkTestSupport.expectedNormalizers;
import static dev.softmax.spark.SparkTestSupport.frame;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.softmax.core.Normalizer;
import dev.softmax.core.SoftmaxMode;
import dev.softmax.spark.catalyst.GroupedSoftmax;
import dev.softmax.spark.catalyst.GroupedSoftmaxExec;
import dev.softmax.spark.catalyst.WindowSoftmaxRule;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.catalyst.plans.logical.Window;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * SQL's window form of the grouped softmax runs as {@link GroupedSoftmax} ({@link WindowSoftmaxRule}):
 * the same bits as the Window plan (the rule excluded) and as the core, NULL keys, NaN and
 * infinities included; the forms the rule does not cover keep the Window.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WindowSoftmaxRuleTest {

    private static final String EXCLUDED = "spark.sql.optimizer.excludedRules";

    private SparkSession spark;
    private Map<String, List<Double>> groups;
    private List<Row> rows;

    @BeforeAll
    void start() {
        spark = SharedSpark.newSessionWithFunctions();
        groups = SoftmaxCases.groups();
        rows = SparkTestSupport.rows(groups);
        frame(spark, rows, 4, 11).createOrReplaceTempView("t");
    }

    @AfterEach
    void include() {
        spark.conf().unset(EXCLUDED);
        spark.conf().unset("spark.sql.adaptive.enabled");
    }

    @ParameterizedTest(name = "adaptive {0}")
    @ValueSource(booleans = {false, true})
    void everyFormIsRewrittenAndIsTheCoreBitForBit(boolean adaptive) {
        spark.conf().set("spark.sql.adaptive.enabled", Boolean.toString(adaptive));
        String sql = "SELECT g, id, x, softmax(x, softmax_state(x) OVER (PARTITION BY g)) AS prob,"
                + " log_softmax(x, softmax_state(x) OVER (PARTITION BY g)) AS log_prob,"
                + " logsumexp(x) OVER (PARTITION BY g) AS lse FROM t";
        Dataset<Row> result = spark.sql(sql);
        assertRewritten(result);
        List<Row> collected = result.collectAsList();
        Map<String, Normalizer> expected = expectedNormalizers(groups, 1.0, SoftmaxMode.EXACT);
        assertRowsMatchCore(collected, expected, 1.0, rows.size(), "window rewritten");
        for (Row row : collected) {
            Double lse = SparkTestSupport.expectedSqlLogSumExp(expected.get(SparkTestSupport.key(row.getAs("g"))));
            Double actual = row.getAs("lse");
            if (lse == null) {
                assertThat(actual).as("lse of " + row).isNull();
            } else {
                SparkTestSupport.assertSameBits(actual, lse, "lse of " + row);
            }
        }
        assertSameBitsAsWindow(sql, collected);
    }

    @Test
    void temperatureKeysAndOtherValuesAreRewrittenWithTheWindowBits() {
        for (String sql : List.of(
                "SELECT id, softmax(x / 0.5, softmax_state(x / 0.5) OVER (PARTITION BY g)) AS prob,"
                        + " logsumexp(x / 0.5) OVER (PARTITION BY g) AS lse FROM t",
                "SELECT id, 1 - softmax(x, softmax_state(x) OVER (PARTITION BY g, day)) AS prob,"
                        + " log_softmax(x, softmax_state(x) OVER (PARTITION BY g, day)) AS log_prob FROM t",
                "SELECT id, log_softmax(CAST(id AS INT), softmax_state(CAST(id AS INT)) OVER (PARTITION BY day))"
                        + " AS log_prob, logsumexp(x) OVER (PARTITION BY day) AS lse FROM t",
                // another x than the state's: NULL where the group has no value ("all null"), as the window
                "SELECT id, softmax(x + 1, softmax_state(x) OVER (PARTITION BY g)) AS prob,"
                        + " log_softmax(CAST(id AS DOUBLE), softmax_state(x) OVER (PARTITION BY g)) AS log_prob"
                        + " FROM t")) {
            Dataset<Row> result = spark.sql(sql);
            assertRewritten(result);
            assertSameBitsAsWindow(sql, result.collectAsList());
        }
    }

    /**
     * Many groups per task: the rewritten form takes the grouped plan's third way (normalizers
     * folded next to the rows, no sort), with the window's bits.
     */
    @Test
    void manyGroupsAreFoldedNextToTheRowsWithTheWindowBits() {
        spark.range(0, 30_000, 1, 2).selectExpr("id", "id % 12000 AS g", "sin(id) * 30 AS x")
                .createOrReplaceTempView("many");
        String sql = "SELECT id, softmax(x, softmax_state(x) OVER (PARTITION BY g)) AS prob,"
                + " logsumexp(x) OVER (PARTITION BY g) AS lse FROM many";
        Dataset<Row> result = spark.sql(sql);
        List<Row> collected = result.collectAsList();
        assertRewritten(result);
        GroupedSoftmaxExec exec = null;
        for (SparkTestSupport.PlanNode node : SparkTestSupport.nodes(result.queryExecution().executedPlan())) {
            if (node.plan instanceof GroupedSoftmaxExec) {
                exec = (GroupedSoftmaxExec) node.plan;
            }
        }
        assertThat(exec).as("GroupedSoftmaxExec").isNotNull();
        assertThat(exec.decision()).startsWith("folded next to the rows");
        assertSameBitsAsWindow(sql, collected);
    }

    @Test
    void otherFormsKeepTheWindow() {
        for (String sql : List.of(
                "SELECT id, softmax(x, softmax_state(x) OVER (PARTITION BY g ORDER BY id)) AS prob FROM t",
                "SELECT id, logsumexp(x) OVER (PARTITION BY g ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)"
                        + " AS lse FROM t",
                "SELECT id, softmax(x, softmax_state(x) OVER (PARTITION BY g)) AS prob,"
                        + " row_number() OVER (PARTITION BY g ORDER BY id) AS n FROM t",
                "SELECT id, softmax(x, softmax_state(x) OVER (PARTITION BY g)) AS prob,"
                        + " count(x) OVER (PARTITION BY g) AS n FROM t",
                "SELECT id, length(softmax_state(x) OVER (PARTITION BY g)) AS n FROM t",
                "SELECT id, softmax(x, softmax_state(x) OVER ()) AS prob FROM t",
                "SELECT id, softmax(x, softmax_state(x) OVER (PARTITION BY g, day)) AS prob,"
                        + " log_softmax(x, softmax_state(x) OVER (PARTITION BY day)) AS log_prob FROM t")) {
            Dataset<Row> result = spark.sql(sql);
            LogicalPlan optimized = result.queryExecution().optimizedPlan();
            assertThat(optimized.find(p -> p instanceof Window).isDefined()).as(sql).isTrue();
            assertThat(optimized.find(p -> p instanceof GroupedSoftmax).isDefined()).as(sql).isFalse();
            List<Row> collected = result.collectAsList();
            assertThat(collected).as(sql).hasSize(rows.size());
            if (!sql.contains("ROWS BETWEEN")) { // without ORDER BY, a running frame has no fixed rows
                assertSameBitsAsWindow(sql, collected);
            }
        }
    }

    @Test
    void fastModeKeepsTheWindow() {
        spark.conf().set(dev.softmax.spark.catalyst.SoftmaxFunctionRegistry.MODE_CONF, "fast");
        try {
            Dataset<Row> result = spark.sql(
                    "SELECT id, softmax(x, softmax_state(x) OVER (PARTITION BY g)) AS prob FROM t");
            assertThat(result.queryExecution().optimizedPlan().find(p -> p instanceof Window).isDefined()).isTrue();
        } finally {
            spark.conf().unset(dev.softmax.spark.catalyst.SoftmaxFunctionRegistry.MODE_CONF);
        }
    }

    private static void assertRewritten(Dataset<Row> result) {
        LogicalPlan optimized = result.queryExecution().optimizedPlan();
        assertThat(optimized.find(p -> p instanceof GroupedSoftmax).isDefined()).as(optimized.toString()).isTrue();
        assertThat(optimized.find(p -> p instanceof Window).isDefined()).as(optimized.toString()).isFalse();
        assertThat(result.queryExecution().executedPlan().toString()).contains("GroupedSoftmax");
    }

    /** The same query with the rule excluded (Spark's Window): every column but id, bit for bit, by id. */
    private void assertSameBitsAsWindow(String sql, List<Row> rewritten) {
        spark.conf().set(EXCLUDED, WindowSoftmaxRule.class.getName());
        try {
            Dataset<Row> window = spark.sql(sql);
            assertThat(window.queryExecution().optimizedPlan().find(p -> p instanceof GroupedSoftmax).isDefined())
                    .as("excluded").isFalse();
            Map<Long, Row> byId = new HashMap<>();
            for (Row row : window.collectAsList()) {
                byId.put(row.<Long>getAs("id"), row);
            }
            assertThat(rewritten).hasSize(byId.size());
            for (Row row : rewritten) {
                Row other = byId.get(row.<Long>getAs("id"));
                for (int i = 0; i < row.size(); i++) {
                    Object a = row.get(i);
                    Object b = other.get(i);
                    if (a instanceof Double && b instanceof Double) {
                        if (Double.doubleToRawLongBits((Double) a) != Double.doubleToRawLongBits((Double) b)) {
                            fail(sql + ": column " + i + " of " + row + " differs from the window's " + other);
                        }
                    } else {
                        assertThat(a).as(sql + ": column " + i + " of " + row).isEqualTo(b);
                    }
                }
            }
        } finally {
            spark.conf().unset(EXCLUDED);
        }
    }
}
