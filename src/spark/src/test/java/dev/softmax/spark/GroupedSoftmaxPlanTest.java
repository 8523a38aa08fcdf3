/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.spark;

import static dev.softmax.spark.SparkTestSupport.assertRowsMatchCore;
import static dev.softmax.spark.SparkTestSupport.expectedNormalizers;
import static dev.softmax.spark.SparkTestSupport.frame;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;
import static org.assertj.core.api.Assertions.assertThat;

import dev.softmax.core.Normalizer;
import dev.softmax.core.SoftmaxMode;
import dev.softmax.spark.SparkTestSupport.PlanNode;
import dev.softmax.spark.catalyst.GroupedSoftmaxExec;
import dev.softmax.spark.catalyst.SoftmaxPartialAggregateExec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.execution.SparkPlan;
import org.apache.spark.sql.execution.aggregate.ObjectHashAggregateExec;
import org.apache.spark.sql.execution.joins.BroadcastHashJoinExec;
import org.apache.spark.sql.execution.joins.SortMergeJoinExec;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The grouped DataFrame softmax decides after its aggregate how the normalizers reach the
 * rows: broadcast within the budget ({@code broadcastThreshold}), joined above it, folded next to
 * the rows when a task holds more groups than a hash map keeps. Each way is
 * forced here and compared with the core bit for bit (exact mode), and with the plan chosen
 * before running ({@code broadcastThreshold(-1)}, a sort-merge join) bit for bit for fast
 * mode, temperature and weights; the way taken shows in {@code explain()}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GroupedSoftmaxPlanTest {

    /** The most states a probe of two tasks writes: each stops where it would sort. */
    private static final long PROBE_STATES = 2 * (SoftmaxPartialAggregateExec.DEFAULT_FALLBACK_THRESHOLD + 1L);

    private SparkSession spark;
    private Map<String, List<Double>> groups;
    private List<Row> rows;
    private Map<String, Normalizer> expected;

    @BeforeAll
    void start() {
        spark = SharedSpark.newSession();
        SparkSession.setActiveSession(spark);
        groups = SoftmaxCases.groups();
        groups.put("skewed", SoftmaxCases.skewed(2_000));
        rows = SparkTestSupport.rows(groups);
        expected = expectedNormalizers(groups, 1.0, SoftmaxMode.EXACT);
    }

    @ParameterizedTest(name = "adaptive {0}")
    @ValueSource(booleans = {false, true})
    void broadcastIsTheCoreBitForBit(boolean adaptive) {
        spark.conf().set("spark.sql.adaptive.enabled", Boolean.toString(adaptive));
        Dataset<Row> result = SoftmaxFunctions.softmax(frame(spark, rows, 8, 1), "x",
                SoftmaxOptions.defaults().groupBy("g"));
        assertThat(explain(result)).as("before running").contains("GroupedSoftmax")
                .contains("chosen after the aggregate");

        assertRowsMatchCore(result.collectAsList(), expected, 1.0, rows.size(), "broadcast, adaptive " + adaptive);

        GroupedSoftmaxExec exec = exec(result);
        assertThat(exec.broadcast()).as(exec.decision()).isTrue();
        assertThat(exec.decision()).startsWith("broadcast, " + groups.size() + " groups");
        assertThat(explain(result)).contains("GroupedSoftmax broadcast, " + groups.size() + " groups");
        List<PlanNode> nodes = SparkTestSupport.nodes(result.queryExecution().executedPlan());
        assertThat(nodes).as("no join: %s", nodes)
                .noneMatch(n -> n.plan instanceof SortMergeJoinExec || n.plan instanceof BroadcastHashJoinExec);
    }

    @ParameterizedTest(name = "adaptive {0}")
    @ValueSource(booleans = {false, true})
    void aboveTheBudgetJoinsAndIsTheCoreBitForBit(boolean adaptive) {
        spark.conf().set("spark.sql.adaptive.enabled", Boolean.toString(adaptive));
        Dataset<Row> result = SoftmaxFunctions.softmax(frame(spark, rows, 8, 2), "x",
                SoftmaxOptions.defaults().groupBy("g").broadcastThreshold(100));

        assertRowsMatchCore(result.collectAsList(), expected, 1.0, rows.size(), "join, adaptive " + adaptive);

        GroupedSoftmaxExec exec = exec(result);
        assertThat(exec.broadcast()).as(exec.decision()).isFalse();
        assertThat(explain(result)).contains("GroupedSoftmax join, more than 100 bytes")
                .contains("ShuffledHashJoin").doesNotContain("SortMergeJoin");
    }

    @Test
    void emptyInputBroadcastsNothing() {
        Dataset<Row> empty = frame(spark, List.of(), 2, 3);
        for (long budget : new long[] {0, SoftmaxOptions.DEFAULT_BROADCAST_THRESHOLD}) {
            Dataset<Row> result = SoftmaxFunctions.softmax(empty, "x",
                    SoftmaxOptions.defaults().groupBy("g").broadcastThreshold(budget));
            assertThat(result.collectAsList()).isEmpty();
            assertThat(exec(result).decision()).startsWith("broadcast, 0 groups");
        }
    }

    /** Fast mode, temperature, weights (NULL, zero, negative), one output or both: the bits of the join plan. */
    @Test
    void everyOptionGivesTheBitsOfTheJoinPlan() {
        Dataset<Row> df = frame(spark, rows, 4, 4).withColumn("w",
                when(col("id").mod(11).equalTo(0), lit(null).cast("double"))
                        .when(col("id").mod(7).equalTo(0), lit(0.0))
                        .when(col("id").mod(13).equalTo(0), lit(-0.5))
                        .otherwise(col("id").mod(3).plus(0.5)));
        List<SoftmaxOptions> variants = List.of(
                SoftmaxOptions.defaults().groupBy("g"),
                SoftmaxOptions.defaults().groupBy("g").mode(SoftmaxMode.FAST),
                SoftmaxOptions.defaults().groupBy("g").temperature(0.25),
                SoftmaxOptions.defaults().groupBy("g").mode(SoftmaxMode.FAST).temperature(3.0),
                SoftmaxOptions.defaults().groupBy("g").weight("w"),
                SoftmaxOptions.defaults().groupBy("g").weight(col("w").multiply(2)).mode(SoftmaxMode.FAST),
                SoftmaxOptions.defaults().groupBy("g", "day").probColumn(null).temperature(0.5),
                SoftmaxOptions.defaults().groupBy("day", "g").logProbColumn(null).weight("w"));
        for (SoftmaxOptions options : variants) {
            Map<Long, List<Long>> join = bits(SoftmaxFunctions.softmax(df, "x", options.broadcastThreshold(-1)));
            for (long budget : new long[] {SoftmaxOptions.DEFAULT_BROADCAST_THRESHOLD, 0}) {
                Dataset<Row> result = SoftmaxFunctions.softmax(df, "x", options.broadcastThreshold(budget));
                assertThat(bits(result)).as(options + ", budget " + budget).isEqualTo(join);
                assertThat(exec(result).broadcast()).as(options + ", budget " + budget).isEqualTo(budget > 0);
            }
        }
    }

    @Test
    void negativeThresholdKeepsTheJoinPlannedBeforeRunning() {
        spark.conf().set("spark.sql.adaptive.enabled", "false");
        Dataset<Row> result = SoftmaxFunctions.softmax(frame(spark, rows, 4, 5), "x",
                SoftmaxOptions.defaults().groupBy("g").broadcastThreshold(-1));
        assertThat(explain(result)).doesNotContain("GroupedSoftmax").contains("SortMergeJoin");
    }

    /**
     * With more groups per task than Spark's object hash aggregate keeps (128), Spark's partial
     * aggregate sorts its input; the project's keeps them all in its hash map (up to
     * {@link SoftmaxPartialAggregateExec#DEFAULT_FALLBACK_THRESHOLD}), with the same bits.
     */
    @ParameterizedTest(name = "adaptive {0}")
    @ValueSource(booleans = {false, true})
    void manyGroupsPerTaskAreHashedNotSorted(boolean adaptive) {
        spark.conf().set("spark.sql.adaptive.enabled", Boolean.toString(adaptive));
        Map<String, List<Double>> many = new TreeMap<>();
        java.util.Random random = new java.util.Random(7);
        for (int g = 0; g < 600; g++) {
            List<Double> values = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                values.add(random.nextGaussian() * 30);
            }
            many.put("k" + g, values);
        }
        List<Row> manyRows = SparkTestSupport.rows(many);
        Dataset<Row> frame = frame(spark, manyRows, 2, 3);

        Dataset<Row> result = SoftmaxFunctions.softmax(frame, "x", SoftmaxOptions.defaults().groupBy("g"));
        assertRowsMatchCore(result.collectAsList(), expectedNormalizers(many, 1.0, SoftmaxMode.EXACT), 1.0,
                manyRows.size(), "600 groups, adaptive " + adaptive);
        SparkPlan partial = node(result, SoftmaxPartialAggregateExec.class);
        assertThat(partial.metrics().apply("numTasksFallBacked").value()).as("tasks that sorted").isZero();
        assertThat(partial.metrics().apply("numOutputRows").value()).as("partial states")
                .isBetween(600L, 2 * 600L);

        // Spark's own partial aggregate (the join planned before running) sorts, and gives the same bits
        Dataset<Row> planned = SoftmaxFunctions.softmax(frame, "x",
                SoftmaxOptions.defaults().groupBy("g").broadcastThreshold(-1));
        assertThat(bits(planned)).isEqualTo(bits(result));
        SparkPlan sparks = node(planned, ObjectHashAggregateExec.class);
        assertThat(sparks.metrics().apply("numTasksFallBacked").value()).as("Spark's tasks that sorted")
                .isPositive();
    }

    /**
     * More groups per task than the partial step's hash map keeps: the partial step stops where
     * it would sort, and the normalizers are folded next to the rows (one exchange of the rows,
     * kept in Spark's row buffer, no join, no sort), bit for bit the core's; a fold whose states
     * and rows spill gives the same bits; with temperature,
     * weights and two keys, the bits of the join planned before running. (Fast mode's aggregate
     * is Spark's declarative hash aggregate, which needs no probe.)
     */
    @ParameterizedTest(name = "adaptive {0}")
    @ValueSource(booleans = {false, true})
    void manyGroupsPerTaskAreFoldedNextToTheRows(boolean adaptive) {
        spark.conf().set("spark.sql.adaptive.enabled", Boolean.toString(adaptive));
        Map<String, List<Double>> many = new TreeMap<>(groups);
        java.util.Random random = new java.util.Random(11);
        for (int g = 0; g < 6_000; g++) { // 3 rows each in 2 partitions: about 5,250 groups per task
            many.put("k" + g, List.of(random.nextGaussian() * 30, random.nextGaussian(), -random.nextDouble()));
        }
        List<Row> manyRows = SparkTestSupport.rows(many);
        Dataset<Row> frame = frame(spark, manyRows, 2, 5);

        Dataset<Row> result = SoftmaxFunctions.softmax(frame, "x", SoftmaxOptions.defaults().groupBy("g"));
        assertRowsMatchCore(result.collectAsList(), expectedNormalizers(many, 1.0, SoftmaxMode.EXACT), 1.0,
                manyRows.size(), "folded, adaptive " + adaptive);
        GroupedSoftmaxExec exec = exec(result);
        assertThat(exec.decision()).startsWith("folded next to the rows: a task held more than 4096 groups");
        assertThat(exec.metrics().apply("numTasksFallBacked").value()).as("fold tasks that sorted").isZero();
        SparkPlan probe = node(result, SoftmaxPartialAggregateExec.class);
        assertThat(probe.metrics().apply("numOutputRows").value()).as("states of the probe, stopped where it sorts")
                .isLessThanOrEqualTo(PROBE_STATES);
        // the cases' larger groups (each more than 1/16 of a task's first rows) are heavy keys, folded apart
        java.util.regex.Matcher heavy = java.util.regex.Pattern.compile("; (\\d+) heavy keys? mapped")
                .matcher(exec.decision());
        long inTasks = exec.metrics().apply("numOutputRows").value();
        assertThat(inTasks + (heavy.find() ? Long.parseLong(heavy.group(1)) : 0)).as("normalizers folded, and apart")
                .isEqualTo(many.size());
        assertThat(explain(result)).contains("GroupedSoftmax folded next to the rows")
                .doesNotContain("SortMergeJoin").doesNotContain("ShuffledHashJoin");

        Dataset<Row> df = frame.withColumn("w", when(col("id").mod(11).equalTo(0), lit(null).cast("double"))
                .when(col("id").mod(7).equalTo(0), lit(0.0))
                .when(col("id").mod(13).equalTo(0), lit(-0.5))
                .otherwise(col("id").mod(3).plus(0.5)));
        // a fold that falls back, past 10 groups a task, to Spark's sorting aggregation, and whose
        // rows spill to disk past 64 rows (as a window's would under memory pressure): the same bits
        spark.conf().set(GroupedSoftmaxExec.FOLD_GROUPS_CONF, "10");
        spark.conf().set("spark.sql.windowExec.buffer.in.memory.threshold", "16");
        spark.conf().set("spark.sql.windowExec.buffer.spill.threshold", "64");
        try {
            Dataset<Row> sorted = SoftmaxFunctions.softmax(frame, "x", SoftmaxOptions.defaults().groupBy("g"));
            assertThat(bits(sorted)).isEqualTo(bits(result));
            assertThat(exec(sorted).metrics().apply("numTasksFallBacked").value()).as("fold tasks that sorted")
                    .isPositive();
            assertThat(exec(sorted).metrics().apply("spillSize").value()).as("bytes spilled").isPositive();
        } finally {
            spark.conf().unset(GroupedSoftmaxExec.FOLD_GROUPS_CONF);
            spark.conf().unset("spark.sql.windowExec.buffer.in.memory.threshold");
            spark.conf().unset("spark.sql.windowExec.buffer.spill.threshold");
        }
        for (SoftmaxOptions options : List.of(
                SoftmaxOptions.defaults().groupBy("g").temperature(0.25).weight("w"),
                SoftmaxOptions.defaults().groupBy("g", "day").logProbColumn(null).weight(col("w").multiply(2)))) {
            Dataset<Row> folded = SoftmaxFunctions.softmax(df, "x", options);
            Map<Long, List<Long>> bits = bits(folded);
            assertThat(exec(folded).decision()).as(options.toString()).startsWith("folded next to the rows");
            assertThat(bits).as(options.toString())
                    .isEqualTo(bits(SoftmaxFunctions.softmax(df, "x", options.broadcastThreshold(-1))));
        }
    }

    /**
     * A key with 80% of the rows, among more groups per task than the probe keeps: the probe
     * finds it, its rows are mapped where they are read (never exchanged) against its
     * normalizer computed apart, by the aggregate; the other groups are folded next to the
     * rows (NULL keys among them). The bits are those of the join planned before running, with
     * one key (a string) and with two (the hot key split in two heavy keys).
     */
    @ParameterizedTest(name = "adaptive {0}")
    @ValueSource(booleans = {false, true})
    void aSkewedKeyIsMappedWhereItIsRead(boolean adaptive) {
        spark.conf().set("spark.sql.adaptive.enabled", Boolean.toString(adaptive));
        Dataset<Row> df = spark.range(0, 120_000, 1, 2).selectExpr("id", // 12,000 light keys of 2 rows
                "IF(id % 10 < 8, 'hot', IF(id % 97 = 1, NULL, concat('k', id DIV 10))) AS g", "id % 2 AS day",
                "sin(id) * 30 AS x");
        for (SoftmaxOptions options : List.of(SoftmaxOptions.defaults().groupBy("g"),
                SoftmaxOptions.defaults().groupBy("g", "day").temperature(0.5))) {
            int heavy = options.toString().contains("day") ? 2 : 1;
            Dataset<Row> result = SoftmaxFunctions.softmax(df, "x", options);
            Map<Long, List<Long>> bits = bits(result);
            assertThat(bits).as("every row, the heavy key's and the NULL key's").hasSize(120_000);
            GroupedSoftmaxExec exec = exec(result);
            assertThat(exec.decision()).as(options.toString()).startsWith("folded next to the rows")
                    .endsWith(heavy + (heavy == 1 ? " heavy key" : " heavy keys") + " mapped where read");
            long groups = (heavy == 2 ? df.select("g", "day") : df.select("g")).distinct().count();
            assertThat(exec.metrics().apply("numOutputRows").value()).as("normalizers folded next to the rows")
                    .isEqualTo(groups - heavy);
            assertThat(bits).as(options.toString())
                    .isEqualTo(bits(SoftmaxFunctions.softmax(df, "x", options.broadcastThreshold(-1))));
        }
    }

    /**
     * A cached input under adaptive execution, which re-plans the aggregate over query stages of
     * the cache: still recognized as the rows' own aggregate, probed and folded next to the
     * rows, with the bits of the join planned before running.
     */
    @Test
    void cachedInputIsFoldedNextToTheRowsToo() {
        spark.conf().set("spark.sql.adaptive.enabled", "true");
        Dataset<Row> df = spark.range(0, 60_000, 1, 2).selectExpr("id", "floor(rand(43) * 15000) AS g",
                "rand(42) * 40 - 20 AS x").cache();
        try {
            Dataset<Row> result = SoftmaxFunctions.softmax(df, "x", SoftmaxOptions.defaults().groupBy("g"));
            Map<Long, List<Long>> bits = bits(result);
            assertThat(exec(result).decision()).startsWith("folded next to the rows");
            assertThat(node(result, SoftmaxPartialAggregateExec.class).metrics().apply("numOutputRows").value())
                    .as("states of the probe").isLessThanOrEqualTo(PROBE_STATES);
            assertThat(bits).isEqualTo(bits(SoftmaxFunctions.softmax(df, "x",
                    SoftmaxOptions.defaults().groupBy("g").broadcastThreshold(-1))));
        } finally {
            df.unpersist();
        }
    }

    /** The first node of the class in the executed plan (the final plan under adaptive execution). */
    private static SparkPlan node(Dataset<Row> result, Class<? extends SparkPlan> type) {
        for (PlanNode node : SparkTestSupport.nodes(result.queryExecution().executedPlan())) {
            if (type.isInstance(node.plan)) {
                return node.plan;
            }
        }
        throw new AssertionError("no " + type.getSimpleName() + " in " + result.queryExecution().executedPlan());
    }

    /** Each row's id and the raw bits of its output columns (NULL as a null entry). */
    private static Map<Long, List<Long>> bits(Dataset<Row> result) {
        Map<Long, List<Long>> bits = new TreeMap<>();
        List<String> outputs = new ArrayList<>();
        for (String column : result.columns()) {
            if (column.equals("prob") || column.equals("log_prob")) {
                outputs.add(column);
            }
        }
        for (Row row : result.collectAsList()) {
            List<Long> values = new ArrayList<>();
            for (String output : outputs) {
                Double value = row.getAs(output);
                values.add(value == null ? null : Double.doubleToRawLongBits(value));
            }
            assertThat(bits.put(row.<Long>getAs("id"), values)).isNull();
        }
        return bits;
    }

    private static GroupedSoftmaxExec exec(Dataset<Row> result) {
        for (PlanNode node : SparkTestSupport.nodes(result.queryExecution().executedPlan())) {
            if (node.plan instanceof GroupedSoftmaxExec) {
                return (GroupedSoftmaxExec) node.plan;
            }
        }
        throw new AssertionError("no GroupedSoftmaxExec in " + result.queryExecution().executedPlan());
    }

    private static String explain(Dataset<Row> result) {
        return result.queryExecution().executedPlan().toString();
    }
}
