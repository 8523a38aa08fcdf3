/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.spark;

import static dev.softmax.spark.SparkTestSupport.assertRowsMatchCore;
import static dev.softmax.spark.SparkTestSupport.assertSameBits;
import static org.assertj.core.api.Assertions.assertThat;

import dev.softmax.core.Normalizer;
import dev.softmax.core.SoftmaxMode;
import dev.softmax.spark.SparkTestSupport.PlanNode;
import dev.softmax.spark.catalyst.SoftmaxPartialAggregateExec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.execution.aggregate.ObjectHashAggregateExec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The project's aggregates without grouping ({@code logsumexp(x)}, the global softmax's
 * normalizer) run with {@link SoftmaxPartialAggregateExec} as their partial step, which folds
 * each partition in a plain loop, or a cached relation's column batches straight from their
 * vectors. Checked bit for bit against the core and against the same aggregates grouped by a
 * column that holds one value (Spark's own aggregation iterator), on the adversarial cases
 * (NULLs, NaN, infinities, huge and tiny values), with weights (two columns, and an expression)
 * and a temperature; from rows, a cache and a Parquet file, adaptive execution off and on.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GlobalAggregateTest {
    private static final String AGGREGATES = "logsumexp(x) AS lse, logsumexp(x, w) AS weighted, "
            + "logsumexp(x, id % 3 * 0.5D + 0.25D) AS weighted_by_expression, signed_logsumexp(x, w) AS signed, "
            + "logsumexp_of_state(softmax_state(x)) AS of_state";

    private SparkSession spark;
    @TempDir
    Path parquet;
    private Map<String, List<Double>> groups;
    private List<Row> rows;

    @BeforeAll
    void start() {
        spark = SharedSpark.newSessionWithFunctions();
        groups = SoftmaxCases.groups();
        rows = SparkTestSupport.rows(groups);
    }

    @AfterEach
    void adaptiveBack() {
        spark.conf().unset("spark.sql.adaptive.enabled");
    }

    /** Where the rows come from: an RDD (rows), a cache or a Parquet file (column batches). */
    enum Source { ROWS, CACHED, PARQUET }

    /**
     * The rows with a weight column (NULL, 0, negative and positive weights) and a column of one
     * value; with the group column g, or without it (Spark caches only numeric columns in a form
     * it reads back as column batches).
     */
    private Dataset<Row> data(Source source, String... columns) {
        Dataset<Row> frame = SparkTestSupport.frame(spark, rows, 3, 7).selectExpr("g", "id", "x",
                "CASE WHEN id % 7 = 3 THEN NULL ELSE (id % 5 - 1) * 0.75D END AS w", "1 AS one");
        frame = frame.selectExpr(columns);
        switch (source) {
            case CACHED:
                return frame.cache();
            case PARQUET:
                String path = parquet.resolve("rows-" + System.nanoTime()).toString();
                frame.write().parquet(path);
                return spark.read().parquet(path);
            default:
                return frame;
        }
    }

    @ParameterizedTest(name = "{0}, adaptive {1}")
    @CsvSource({"ROWS, false", "ROWS, true", "CACHED, false", "CACHED, true", "PARQUET, false", "PARQUET, true"})
    void aggregatesWithoutGroupingAreFoldedInALoopWithTheBitsOfSparksAggregation(Source source, boolean adaptive) {
        spark.conf().set("spark.sql.adaptive.enabled", Boolean.toString(adaptive));
        Dataset<Row> df = data(source, "id", "x", "w", "one");
        try {
            df.createOrReplaceTempView("global_rows");
            Dataset<Row> global = spark.sql("SELECT " + AGGREGATES + " FROM global_rows");
            Row row = global.collectAsList().get(0);
            SoftmaxPartialAggregateExec partial = partialStep(global);
            assertThat(partial.readsColumnBatches()).as("the partial step reads column batches: %s", partial)
                    .isEqualTo(source != Source.ROWS);
            Row grouped = spark.sql("SELECT " + AGGREGATES + " FROM global_rows GROUP BY one").collectAsList().get(0);
            for (int i = 0; i < row.size(); i++) {
                assertThat(String.valueOf(row.get(i))).as(global.columns()[i])
                        .isEqualTo(String.valueOf(grouped.get(i)));
            }
            Normalizer expected = SparkTestSupport.accumulate(values(), 1.0, SoftmaxMode.EXACT).finish();
            assertSameBits(row.getAs("lse"), expected.logSumExp(), "logsumexp(x)");
            assertSameBits(row.getAs("of_state"), expected.logSumExp(), "logsumexp_of_state(softmax_state(x))");

            Dataset<Row> empty = spark.sql("SELECT " + AGGREGATES + " FROM global_rows WHERE x > 1e308 AND x < 0");
            assertThat(empty.collectAsList().get(0).<Double>getAs("lse")).as("no rows: NULL").isNull();
        } finally {
            df.unpersist();
        }
    }

    @ParameterizedTest(name = "{0}, adaptive {1}")
    @CsvSource({"ROWS, false", "CACHED, true", "PARQUET, true"})
    void theGlobalSoftmaxWithATemperatureHasTheCoresBits(Source source, boolean adaptive) {
        spark.conf().set("spark.sql.adaptive.enabled", Boolean.toString(adaptive));
        Dataset<Row> df = data(source, "g", "id", "x");
        try {
            double temperature = 0.25;
            Dataset<Row> result = SoftmaxFunctions.softmax(df, "x", SoftmaxOptions.defaults().temperature(temperature));
            Normalizer normalizer = SparkTestSupport.accumulate(values(), temperature, SoftmaxMode.EXACT).finish();
            Map<String, Normalizer> expected = new HashMap<>();
            for (String group : groups.keySet()) {
                expected.put(SparkTestSupport.key(group), normalizer);
            }
            assertRowsMatchCore(result.collectAsList(), expected, temperature, rows.size(), "global, " + source);
            assertThat(SparkTestSupport.nodes(result.queryExecution().executedPlan()))
                    .anyMatch(n -> n.plan instanceof SoftmaxPartialAggregateExec);
        } finally {
            df.unpersist();
        }
    }

    private List<Double> values() {
        List<Double> values = new ArrayList<>();
        groups.values().forEach(values::addAll);
        return values;
    }

    /** The partial step of the (one) aggregate: the project's, with Spark's final aggregate above it. */
    private static SoftmaxPartialAggregateExec partialStep(Dataset<Row> result) {
        List<PlanNode> nodes = SparkTestSupport.nodes(result.queryExecution().executedPlan());
        assertThat(nodes).as("Spark's final aggregate").anyMatch(n -> n.plan instanceof ObjectHashAggregateExec);
        return nodes.stream().map(n -> n.plan).filter(p -> p instanceof SoftmaxPartialAggregateExec)
                .map(p -> (SoftmaxPartialAggregateExec) p).findFirst()
                .orElseThrow(() -> new AssertionError("no SoftmaxPartialAggregateExec in " + nodes));
    }
}
