/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.spark;

import static dev.softmax.spark.SparkTestSupport.accumulate;
import static dev.softmax.spark.SparkTestSupport.assertRowsMatchCore;
import static dev.softmax.spark.SparkTestSupport.assertSameBits;
import static dev.softmax.spark.SparkTestSupport.expectedNormalizers;
import static dev.softmax.spark.SparkTestSupport.expectedSqlLogSumExp;
import static dev.softmax.spark.SparkTestSupport.frame;
import static dev.softmax.spark.SparkTestSupport.key;
import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.softmax.core.LogSumExpAccumulator;
import dev.softmax.core.Normalizer;
import dev.softmax.core.SoftmaxMode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Exact mode: every group of {@link SoftmaxCases} (special values, adversarial cases, a null
 * key, a skewed group holding most rows) through the DataFrame API and SQL, compared with the
 * core on the same values bit for bit, for 1, 3, 8 and 64 partitions, each in another shuffled
 * row order.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ExactModeTest {

    private static final String WINDOW_SQL =
            "SELECT g, id, x, softmax(x, s) AS prob, log_softmax(x, s) AS log_prob "
                    + "FROM (SELECT *, softmax_state(x) OVER (PARTITION BY g) AS s FROM t)";

    /** The grouped SQL form that scales: finished normalizers, broadcast, joined to the rows. */
    private static final String JOIN_SQL =
            "SELECT /*+ BROADCAST(n) */ t.g, t.id, t.x, softmax(t.x, n.s) AS prob, log_softmax(t.x, n.s) AS log_prob "
                    + "FROM t JOIN (SELECT g, softmax_normalizer(x) AS s FROM t GROUP BY g) n ON t.g <=> n.g";

    private SparkSession spark;
    private Map<String, List<Double>> groups;
    private List<Row> rows;
    private Map<String, Normalizer> expected;

    @BeforeAll
    void start() {
        spark = SharedSpark.newSessionWithFunctions();
        groups = SoftmaxCases.groups();
        groups.put("skewed", SoftmaxCases.skewed(10_000));
        rows = SparkTestSupport.rows(groups);
        expected = expectedNormalizers(groups, 1.0, SoftmaxMode.EXACT);
    }

    @ParameterizedTest(name = "{0} partitions")
    @ValueSource(ints = {1, 3, 8, 64})
    void groupedSoftmaxIsTheCoreBitForBit(int partitions) {
        Dataset<Row> df = frame(spark, rows, partitions, partitions);
        df.createOrReplaceTempView("t");

        List<Row> api = SoftmaxFunctions.softmax(df, "x", SoftmaxOptions.defaults().groupBy("g"))
                .select("g", "id", "x", "prob", "log_prob").collectAsList();
        assertRowsMatchCore(api, expected, 1.0, rows.size(), "DataFrame API, " + partitions + " partitions");

        List<Row> sql = spark.sql(WINDOW_SQL).collectAsList();
        assertRowsMatchCore(sql, expected, 1.0, rows.size(), "SQL window, " + partitions + " partitions");

        List<Row> joined = spark.sql(JOIN_SQL).collectAsList();
        assertRowsMatchCore(joined, expected, 1.0, rows.size(),
                "SQL join of normalizers, " + partitions + " partitions");

        assertAggregatesMatchCore(spark.sql("SELECT g, logsumexp(x) AS lse, softmax_state(x) AS s, "
                + "logsumexp_of_state(softmax_state(x)) AS lse_of_state FROM t GROUP BY g").collectAsList(),
                "SQL GROUP BY");
        assertAggregatesMatchCore(df.groupBy("g").agg(
                SoftmaxFunctions.logsumexp("x").as("lse"),
                SoftmaxFunctions.softmax_state(col("x")).as("s"),
                SoftmaxFunctions.logsumexp_of_state(SoftmaxFunctions.softmax_state("x")).as("lse_of_state"))
                .collectAsList(), "DataFrame groupBy");
    }

    private void assertAggregatesMatchCore(List<Row> result, String path) {
        assertThat(result).as(path).hasSize(groups.size());
        for (Row row : result) {
            String group = key(row.getAs("g"));
            Normalizer normalizer = expected.get(group);
            Double lse = expectedSqlLogSumExp(normalizer);
            String where = path + ", group '" + group + "'";
            if (lse == null) {
                assertThat(row.<Object>getAs("lse")).as(where + ": logsumexp").isNull();
                assertThat(row.<Object>getAs("s")).as(where + ": state").isNull();
                assertThat(row.<Object>getAs("lse_of_state")).as(where + ": logsumexp_of_state").isNull();
            } else {
                assertSameBits(row.getAs("lse"), lse, where + ": logsumexp");
                assertSameBits(row.getAs("lse_of_state"), lse, where + ": logsumexp_of_state");
                byte[] state = row.getAs("s");
                assertThat(state).as(where + ": state bytes").isEqualTo(
                        accumulate(groups.get(group), 1.0, SoftmaxMode.EXACT).toBytes());
            }
        }
    }

    @ParameterizedTest(name = "{0} partitions")
    @ValueSource(ints = {1, 3, 8, 64})
    void globalSoftmaxIsTheCoreBitForBit(int partitions) {
        Map<String, List<Double>> finite = new LinkedHashMap<>();
        for (String name : List.of("many binades", "ascending", "with nulls", "one far above", SoftmaxCases.NULL_KEY)) {
            finite.put(name, groups.get(name));
        }
        List<Row> data = SparkTestSupport.rows(finite);
        Map<String, Normalizer> global = globalExpectation(finite);
        Dataset<Row> df = frame(spark, data, partitions, 100 + partitions);
        df.createOrReplaceTempView("t_global");

        List<Row> api = SoftmaxFunctions.softmax(df, "x").select("g", "id", "x", "prob", "log_prob").collectAsList();
        assertRowsMatchCore(api, global, 1.0, data.size(), "global DataFrame API, " + partitions + " partitions");

        List<Row> sql = spark.sql("SELECT g, id, x, softmax(x, (SELECT softmax_state(x) FROM t_global)) AS prob, "
                + "log_softmax(x, (SELECT softmax_state(x) FROM t_global)) AS log_prob FROM t_global").collectAsList();
        assertRowsMatchCore(sql, global, 1.0, data.size(), "global SQL, " + partitions + " partitions");

        Row lse = spark.sql("SELECT logsumexp(x) FROM t_global").first();
        assertSameBits(lse.getDouble(0), global.values().iterator().next().logSumExp(), "global logsumexp");
    }

    /** The same normalizer (of all the values) under every group name. */
    private static Map<String, Normalizer> globalExpectation(Map<String, List<Double>> data) {
        List<Double> all = new ArrayList<>();
        data.values().forEach(all::addAll);
        Normalizer normalizer = accumulate(all, 1.0, SoftmaxMode.EXACT).finish();
        Map<String, Normalizer> global = new LinkedHashMap<>();
        for (String group : data.keySet()) {
            global.put(group, normalizer);
        }
        return global;
    }

    /** Each special group alone as the whole column: the global path follows the same policy. */
    @Test
    void globalSoftmaxOfSpecialColumns() {
        for (String name : List.of("nan", "nan and +inf", "+inf", "all -inf", "all null", "-inf beside finite",
                "subnormals and zeros", "max value twice", "single row")) {
            Map<String, List<Double>> one = new LinkedHashMap<>();
            one.put(name, groups.get(name));
            List<Row> data = SparkTestSupport.rows(one);
            Map<String, Normalizer> global = globalExpectation(one);
            Dataset<Row> df = frame(spark, data, 3, name.hashCode());
            List<Row> api = SoftmaxFunctions.softmax(df, "x").select("g", "id", "x", "prob", "log_prob")
                    .collectAsList();
            assertRowsMatchCore(api, global, 1.0, data.size(), "global DataFrame API, '" + name + "'");
            df.createOrReplaceTempView("t_special");
            List<Row> sql = spark.sql("SELECT g, id, x, softmax(x, s) AS prob, log_softmax(x, s) AS log_prob "
                    + "FROM (SELECT *, softmax_state(x) OVER () AS s FROM t_special)").collectAsList();
            assertRowsMatchCore(sql, global, 1.0, data.size(), "global SQL window, '" + name + "'");
        }
    }

    @ParameterizedTest(name = "temperature {0}")
    @ValueSource(doubles = {0.5, 3.0})
    void temperatureDividesTheValues(double temperature) {
        Dataset<Row> df = frame(spark, rows, 3, 5);
        df.createOrReplaceTempView("t_temperature");
        Map<String, Normalizer> scaled = expectedNormalizers(groups, temperature, SoftmaxMode.EXACT);

        List<Row> api = SoftmaxFunctions.softmax(df, "x",
                        SoftmaxOptions.defaults().groupBy("g").temperature(temperature))
                .select("g", "id", "x", "prob", "log_prob").collectAsList();
        assertRowsMatchCore(api, scaled, temperature, rows.size(), "DataFrame API, T = " + temperature);

        String t = Double.toString(temperature);
        List<Row> sql = spark.sql("SELECT g, id, x, softmax(x / " + t + ", s) AS prob, "
                + "log_softmax(x / " + t + ", s) AS log_prob "
                + "FROM (SELECT *, softmax_state(x / " + t + ") OVER (PARTITION BY g) AS s FROM t_temperature)")
                .collectAsList();
        assertRowsMatchCore(sql, scaled, temperature, rows.size(), "SQL, T = " + temperature);
    }

    @Test
    void emptyDataFrame() {
        Dataset<Row> empty = frame(spark, List.of(), 2, 1);
        empty.createOrReplaceTempView("t_empty");
        assertThat(SoftmaxFunctions.softmax(empty, "x").collectAsList()).isEmpty();
        assertThat(SoftmaxFunctions.softmax(empty, "x", SoftmaxOptions.defaults().groupBy("g")).collectAsList())
                .isEmpty();
        assertThat(SoftmaxFunctions.softmax(empty, "x").columns())
                .containsExactly("g", "id", "day", "x", "prob", "log_prob");

        Row aggregates = spark.sql("SELECT logsumexp(x), softmax_state(x), softmax_state_merge(CAST(NULL AS BINARY)) "
                + "FROM t_empty").first();
        assertThat(aggregates.isNullAt(0)).as("logsumexp of nothing").isTrue();
        assertThat(aggregates.isNullAt(1)).as("softmax_state of nothing").isTrue();
        assertThat(aggregates.isNullAt(2)).as("softmax_state_merge of nothing").isTrue();

        List<Row> normalizers = SoftmaxFunctions.normalizers(empty, "x", SoftmaxOptions.defaults()).collectAsList();
        assertThat(normalizers).hasSize(1);
        assertThat((String) normalizers.get(0).getAs(NormalizerColumns.STATUS)).isEqualTo("EMPTY");
        assertThat((Long) normalizers.get(0).getAs(NormalizerColumns.COUNT)).isZero();
        assertThat(normalizers.get(0).<Object>getAs(NormalizerColumns.LOGSUMEXP)).isNull();
    }

    @Test
    void normalizersOnceThenApplyIsTheOnePassResult() {
        Dataset<Row> df = frame(spark, rows, 4, 9);
        SoftmaxOptions options = SoftmaxOptions.defaults().groupBy("g");
        Dataset<Row> normalizers = SoftmaxFunctions.normalizers(df, "x", options).cache();
        try {
            List<Row> perGroup = normalizers.collectAsList();
            assertThat(perGroup).hasSize(groups.size());
            for (Row row : perGroup) {
                Normalizer normalizer = expected.get(key(row.getAs("g")));
                assertThat((String) row.getAs(NormalizerColumns.STATUS)).isEqualTo(normalizer.status().name());
                assertThat((String) row.getAs(NormalizerColumns.MODE)).isEqualTo("exact");
                assertThat((Long) row.getAs(NormalizerColumns.COUNT)).isEqualTo(normalizer.count());
                assertThat((Long) row.getAs(NormalizerColumns.MAX_COUNT)).isEqualTo(normalizer.maxCount());
                assertSameBits(row.getAs(NormalizerColumns.MAX), normalizer.max(), "max");
                if (normalizer.status() != Normalizer.Status.EMPTY) {
                    assertSameBits(row.getAs(NormalizerColumns.LOGSUMEXP), normalizer.logSumExp(), "logsumexp");
                }
            }
            Map<String, Long> statuses = new LinkedHashMap<>();
            for (Row row : normalizers.groupBy(NormalizerColumns.STATUS).count().collectAsList()) {
                statuses.put(row.getString(0), row.getLong(1));
            }
            assertThat(statuses).containsEntry("NAN", 2L).containsEntry("POSITIVE_INFINITY", 1L)
                    .containsEntry("ALL_NEGATIVE_INFINITY", 1L).containsEntry("EMPTY", 1L);

            List<Row> applied = SoftmaxFunctions.applyNormalizers(df, "x", normalizers, options)
                    .select("g", "id", "x", "prob", "log_prob").collectAsList();
            assertRowsMatchCore(applied, expected, 1.0, rows.size(), "applyNormalizers");
        } finally {
            normalizers.unpersist();
        }
    }

    /**
     * A finite normalizer whose log d is not finite (stored, then edited by hand) is refused with
     * the core's message when it is applied: the rows read its fields unchecked, so they are
     * checked where the per-group struct is made.
     */
    @Test
    void aCorruptedNormalizerIsRefusedWhenApplied() {
        Dataset<Row> df = frame(spark, rows, 2, 12);
        SoftmaxOptions options = SoftmaxOptions.defaults().groupBy("g");
        Dataset<Row> corrupted = SoftmaxFunctions.normalizers(df, "x", options)
                .withColumn(NormalizerColumns.LOG_NORMALIZER_HIGH,
                        functions.when(col(NormalizerColumns.STATUS).equalTo("FINITE"), Double.NaN)
                                .otherwise(col(NormalizerColumns.LOG_NORMALIZER_HIGH)));
        assertThatThrownBy(() -> SoftmaxFunctions.applyNormalizers(df, "x", corrupted, options).collectAsList())
                .hasStackTraceContaining("expected a finite max, maxCount >= 1 and a finite log normalizer");
    }

    @Test
    void outputColumnsCanBeRenamedOrLeftOut() {
        Dataset<Row> df = frame(spark, rows, 2, 3);
        Dataset<Row> onlyLogProb = SoftmaxFunctions.softmax(df, "x",
                SoftmaxOptions.defaults().groupBy("g").probColumn(null).logProbColumn("lp"));
        assertThat(onlyLogProb.columns()).containsExactly("g", "id", "day", "x", "lp");
        Dataset<Row> onlyProb = SoftmaxFunctions.softmax(df, col("x"), SoftmaxOptions.defaults().logProbColumn(null));
        assertThat(onlyProb.columns()).containsExactly("g", "id", "day", "x", "prob");
        assertThat(onlyProb.count()).isEqualTo(rows.size());
    }

    /** A buffer that crosses a stage or a sort-based fallback goes through the core's bytes. */
    @Test
    void sortBasedFallbackSerializesBuffersWithoutChangingBits() {
        SparkSession fallback = SharedSpark.newSession();
        fallback.conf().set("spark.sql.objectHashAggregate.sortBased.fallbackThreshold", "2");
        SparkSoftmax.register(fallback);
        Dataset<Row> df = frame(fallback, rows, 3, 17);
        df.createOrReplaceTempView("t_fallback");
        List<Row> states = fallback.sql("SELECT g, softmax_state(x) AS s FROM t_fallback GROUP BY g").collectAsList();
        assertThat(states).hasSize(groups.size());
        for (Row row : states) {
            LogSumExpAccumulator expectedState = accumulate(groups.get(key(row.getAs("g"))), 1.0, SoftmaxMode.EXACT);
            if (expectedState.isEmpty()) {
                assertThat(row.<Object>getAs("s")).isNull();
            } else {
                assertThat((byte[]) row.getAs("s")).isEqualTo(expectedState.toBytes());
            }
        }
    }
}
