/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.spark;

import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;

import dev.softmax.core.LogSumExpAccumulator;
import dev.softmax.core.Normalizer;
import dev.softmax.core.SoftmaxMode;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.execution.aggregate.HashAggregateExec;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * {@link FastSoftmaxAggregate}, the fast mode's code-generated aggregate, gives the bits of
 * the core's {@code FastLogSumExp} folding the same values in the same order (one partition:
 * the fast mode's last bits depend on the order, by design) for {@code logsumexp}, the state
 * bytes and the normalizer, with a temperature; and it runs in Spark's hash aggregate.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FastSoftmaxAggregateTest {

    private SparkSession spark;
    private Map<String, List<Double>> groups;
    private Dataset<Row> df;

    @BeforeAll
    void start() {
        spark = SharedSpark.newSession();
        groups = SoftmaxCases.groups();
        List<Row> rows = SparkTestSupport.rows(groups);
        JavaSparkContext context = JavaSparkContext.fromSparkContext(spark.sparkContext());
        // One partition, rows in order: each group's values are folded in list order.
        df = spark.createDataFrame(context.parallelize(rows, 1), SparkTestSupport.SCHEMA).cache();
    }

    private Map<String, LogSumExpAccumulator> expected(double temperature) {
        Map<String, LogSumExpAccumulator> expected = new HashMap<>();
        groups.forEach((group, values) -> expected.put(SparkTestSupport.key(group),
                SparkTestSupport.accumulate(values, temperature, SoftmaxMode.FAST)));
        return expected;
    }

    @Test
    void logsumexpAndStateAreTheCoresBits() {
        Map<String, LogSumExpAccumulator> expected = expected(1.0);
        List<Row> result = df.groupBy("g").agg(
                SoftmaxFunctions.logsumexp(col("x"), SoftmaxMode.FAST).as("lse"),
                SoftmaxFunctions.softmax_state(col("x"), SoftmaxMode.FAST).as("s")).collectAsList();
        assertThat(result).hasSize(groups.size());
        for (Row row : result) {
            LogSumExpAccumulator accumulator = expected.get(SparkTestSupport.key(row.getAs("g")));
            String where = "group " + row.getAs("g");
            if (accumulator.isEmpty()) {
                assertThat(row.<Object>getAs("lse")).as(where).isNull();
                assertThat(row.<Object>getAs("s")).as(where).isNull();
                continue;
            }
            SparkTestSupport.assertSameBits(row.getAs("lse"), accumulator.finish().logSumExp(), where + ": logsumexp");
            assertThat(row.<byte[]>getAs("s")).as(where + ": state").isEqualTo(accumulator.toBytes());
        }
    }

    @Test
    void normalizersWithATemperatureAreTheCoresBits() {
        Map<String, LogSumExpAccumulator> expected = expected(0.25);
        SoftmaxOptions options = SoftmaxOptions.defaults().groupBy("g").mode(SoftmaxMode.FAST).temperature(0.25);
        List<Row> result = SoftmaxFunctions.normalizers(df, "x", options).collectAsList();
        assertThat(result).hasSize(groups.size());
        for (Row row : result) {
            Normalizer normalizer = expected.get(SparkTestSupport.key(row.getAs("g"))).finish();
            String where = "group " + row.getAs("g");
            assertThat(row.<String>getAs(NormalizerColumns.MODE)).as(where).isEqualTo("fast");
            assertThat(row.<Double>getAs(NormalizerColumns.TEMPERATURE)).as(where).isEqualTo(0.25);
            assertThat(row.<String>getAs(NormalizerColumns.STATUS)).as(where).isEqualTo(normalizer.status().name());
            assertThat(row.<Long>getAs(NormalizerColumns.COUNT)).as(where).isEqualTo(normalizer.count());
            assertThat(row.<Long>getAs(NormalizerColumns.MAX_COUNT)).as(where).isEqualTo(normalizer.maxCount());
            SparkTestSupport.assertSameBits(row.getAs(NormalizerColumns.MAX), normalizer.max(), where + ": max");
            SparkTestSupport.assertSameBits(row.getAs(NormalizerColumns.LOG_NORMALIZER_HIGH),
                    normalizer.logNormalizerHigh(), where + ": log d");
        }
    }

    @Test
    void runsInTheCodeGeneratedHashAggregate() {
        SparkTestSupport.assertRunsIn(df.groupBy("g").agg(SoftmaxFunctions.logsumexp(col("x"), SoftmaxMode.FAST)),
                plan -> plan instanceof HashAggregateExec hash && hash.supportCodegen()
                        && plan.toString().contains("logsumexp("), "a code-generated HashAggregate of logsumexp");
    }
}
