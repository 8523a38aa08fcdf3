/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.spark;

import static dev.softmax.spark.SparkTestSupport.assertRowsMatchCore;
import static dev.softmax.spark.SparkTestSupport.expectedNormalizers;
import static dev.softmax.spark.SparkTestSupport.frame;
import static dev.softmax.spark.SparkTestSupport.key;
import static org.assertj.core.api.Assertions.assertThat;

import dev.softmax.core.Normalizer;
import dev.softmax.core.SoftmaxMode;
import dev.softmax.spark.catalyst.SoftmaxFunctionRegistry;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * ANSI on and off give the same results (no DIVIDE_BY_ZERO, no overflow error, all -inf
 * groups NaN), and the fast mode stays within the core's documented bound of the core's fast
 * result on the same values (its last bits depend on the order).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ModesAndAnsiTest {

    /**
     * Fast mode: the plain online fold's error grows with the rescales (FastLogSumExp's
     * Javadoc; the core's FastModeTest measures it on a long ascending run). The bound allows
     * each of two fast runs in different orders 121,000 ulps of prob: generous, so that it
     * catches a wrong result, not the drift.
     */
    private static final double FAST_RELATIVE_BOUND = 2 * 121_000 * 0x1p-52;

    private SparkSession spark;
    private Map<String, List<Double>> groups;
    private List<Row> rows;

    @BeforeAll
    void start() {
        spark = SharedSpark.newSessionWithFunctions();
        groups = SoftmaxCases.groups();
        rows = SparkTestSupport.rows(groups);
    }

    @ParameterizedTest(name = "spark.sql.ansi.enabled={0}")
    @ValueSource(booleans = {true, false})
    void ansiOnAndOffGiveTheSameBits(boolean ansi) {
        spark.conf().set("spark.sql.ansi.enabled", Boolean.toString(ansi));
        try {
            Dataset<Row> df = frame(spark, rows, 3, ansi ? 1 : 2);
            df.createOrReplaceTempView("t_ansi");
            Map<String, Normalizer> expected = expectedNormalizers(groups, 0.5, SoftmaxMode.EXACT);
            List<Row> sql = spark.sql("SELECT g, id, x, softmax(x / 0.5, s) AS prob, "
                    + "log_softmax(x / 0.5, s) AS log_prob "
                    + "FROM (SELECT *, softmax_state(x / 0.5) OVER (PARTITION BY g) AS s FROM t_ansi)").collectAsList();
            assertRowsMatchCore(sql, expected, 0.5, rows.size(), "SQL, ANSI " + ansi);
            List<Row> api = SoftmaxFunctions.softmax(df, "x", SoftmaxOptions.defaults().groupBy("g").temperature(0.5))
                    .select("g", "id", "x", "prob", "log_prob").collectAsList();
            assertRowsMatchCore(api, expected, 0.5, rows.size(), "DataFrame API, ANSI " + ansi);
            Row arrays = spark.sql("SELECT "
                    + "array_softmax(array(CAST('-Infinity' AS DOUBLE), CAST('-Infinity' AS DOUBLE))), "
                    + "array_logsumexp(array()), array_logsumexp(array(1E308, 1E308))").first();
            assertThat(arrays.getList(0)).containsExactly(Double.NaN, Double.NaN);
            assertThat(arrays.getDouble(1)).isEqualTo(Double.NEGATIVE_INFINITY);
            assertThat(arrays.getDouble(2)).isEqualTo(1e308 + Math.log(2));
        } finally {
            spark.conf().unset("spark.sql.ansi.enabled");
        }
    }

    @ParameterizedTest(name = "{0} partitions")
    @ValueSource(ints = {1, 8})
    void fastModeIsWithinTheCoresBound(int partitions) {
        Dataset<Row> df = frame(spark, rows, partitions, 40 + partitions);
        df.createOrReplaceTempView("t_fast");
        Map<String, Normalizer> expected = expectedNormalizers(groups, 1.0, SoftmaxMode.FAST);

        List<Row> api = SoftmaxFunctions.softmax(df, "x", SoftmaxOptions.defaults().groupBy("g").mode(SoftmaxMode.FAST))
                .select("g", "id", "x", "prob", "log_prob").collectAsList();
        assertWithinFastBound(api, expected, "DataFrame API, fast, " + partitions + " partitions");

        spark.conf().set(SoftmaxFunctionRegistry.MODE_CONF, "fast");
        try {
            List<Row> sql = spark.sql("SELECT g, id, x, softmax(x, s) AS prob, log_softmax(x, s) AS log_prob "
                    + "FROM (SELECT *, softmax_state(x) OVER (PARTITION BY g) AS s FROM t_fast)").collectAsList();
            assertWithinFastBound(sql, expected, "SQL, fast, " + partitions + " partitions");
        } finally {
            spark.conf().unset(SoftmaxFunctionRegistry.MODE_CONF);
        }
    }

    private void assertWithinFastBound(List<Row> result, Map<String, Normalizer> expected, String path) {
        assertThat(result).as(path).hasSize(rows.size());
        for (Row row : result) {
            Double x = row.getAs("x");
            String where = path + ", group '" + key(row.getAs("g")) + "', x " + x;
            if (x == null) {
                assertThat(row.<Object>getAs("prob")).as(where).isNull();
                continue;
            }
            Normalizer normalizer = expected.get(key(row.getAs("g")));
            assertClose(row.getAs("prob"), normalizer.prob(x), where + ": prob");
            assertClose(row.getAs("log_prob"), normalizer.logProb(x), where + ": log_prob");
        }
    }

    private static void assertClose(double actual, double expected, String what) {
        if (Double.isNaN(expected) || Double.isInfinite(expected) || expected == 0) {
            SparkTestSupport.assertSameBits(actual, expected, what);
            return;
        }
        double error = Math.abs(actual - expected);
        // log_prob near 0 is an absolute quantity: bound it by the error of the log normalizer.
        double scale = Math.max(Math.abs(expected), 1.0);
        assertThat(error).as(what + ": " + actual + " vs " + expected).isLessThanOrEqualTo(FAST_RELATIVE_BOUND * scale);
    }
}
