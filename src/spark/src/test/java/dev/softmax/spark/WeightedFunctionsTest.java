/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.spark;

import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.softmax.core.LogSumExpAccumulator;
import dev.softmax.core.Normalizer;
import dev.softmax.core.SignedLogSumExp;
import dev.softmax.core.Softmax;
import dev.softmax.core.SoftmaxMode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Weights and signs (issue 14) through SQL and the DataFrame API, bit for bit against the
 * core: scipy's weighted test cases through {@code array_logsumexp(x, b)},
 * {@code array_signed_logsumexp(x, b)} and the aggregates {@code logsumexp(x, w)},
 * {@code signed_logsumexp(x, w)}; the row-wise {@code softmax(x, state, w)}; the DataFrame
 * softmax with {@code SoftmaxOptions.weight}; weighted states merging with unweighted ones.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WeightedFunctionsTest {
    private static final double INF = Double.POSITIVE_INFINITY;

    private SparkSession spark;
    /** scipy's weighted cases (test_logsumexp_b, _sign, _sign_zero, _b_zero, gh22903, gh23548). */
    private final Map<String, double[][]> cases = new LinkedHashMap<>();

    @BeforeAll
    void start() {
        spark = SharedSpark.newSessionWithFunctions();
        double[] a = new double[200];
        double[] b = new double[200];
        for (int i = 0; i < 200; i++) {
            a[i] = i;
            b[i] = 200 - i;
        }
        cases.put("b arange", new double[][] {a, b});
        cases.put("b 1.2", new double[][] {{1000, 1000}, {1.2, 1.2}});
        int n = 20_000;
        double[] logX = new double[n];
        double[] lin = new double[n];
        for (int i = 0; i < n; i++) {
            logX[i] = Math.log(1e-40);
            lin[i] = 1 + 999.0 * i / (n - 1);
        }
        cases.put("b linspace", new double[][] {logX, lin});
        cases.put("sign", new double[][] {{1, 1, 1}, {1, -1, -1}});
        cases.put("sign zero", new double[][] {{1, 1}, {1, -1}});
        cases.put("b zero", new double[][] {{1, 10000}, {1, 0}});
        cases.put("gh22903 positive", new double[][] {{3.06409428, 0.37251854, 3.87471931},
            {1.88190708, 2.84174795, -0.85016884}});
        cases.put("gh22903 negative", new double[][] {{3.06409428, 0.37251854, 3.87471931},
            {1.88190708, 2.84174795, -3.85016884}});
        cases.put("gh23548 +1", new double[][] {{INF}, {1}});
        cases.put("gh23548 -1", new double[][] {{INF}, {-1}});
        cases.put("mask over NaN", new double[][] {{1, Double.NaN, 2}, {0.5, 0, 3}});
        cases.put("mixture", new double[][] {{-1.5, -2.25, -0.75}, {0.2, 0.5, 0.3}});
    }

    private Dataset<Row> arrays() {
        List<Row> rows = new ArrayList<>();
        for (Map.Entry<String, double[][]> c : cases.entrySet()) {
            rows.add(RowFactory.create(c.getKey(), boxed(c.getValue()[0]), boxed(c.getValue()[1])));
        }
        StructType schema = new StructType().add("g", DataTypes.StringType)
                .add("x", DataTypes.createArrayType(DataTypes.DoubleType, true))
                .add("b", DataTypes.createArrayType(DataTypes.DoubleType, true));
        return spark.createDataFrame(rows, schema);
    }

    private Dataset<Row> rows() {
        List<Row> rows = new ArrayList<>();
        for (Map.Entry<String, double[][]> c : cases.entrySet()) {
            for (int i = 0; i < c.getValue()[0].length; i++) {
                rows.add(RowFactory.create(c.getKey(), c.getValue()[0][i], c.getValue()[1][i]));
            }
        }
        rows.add(RowFactory.create("mask over NaN", null, 5.0)); // null x: skipped
        rows.add(RowFactory.create("mixture", 7.0, null)); // null w: skipped
        StructType schema = new StructType().add("g", DataTypes.StringType).add("x", DataTypes.DoubleType)
                .add("w", DataTypes.DoubleType);
        return spark.createDataFrame(rows, schema).repartition(4);
    }

    private static Double[] boxed(double[] values) {
        Double[] out = new Double[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = values[i];
        }
        return out;
    }

    @Test
    void scipysCasesThroughTheArrayFunctions() {
        arrays().createOrReplaceTempView("weighted_arrays");
        for (Row row : spark.sql("SELECT g, array_logsumexp(x, b), array_signed_logsumexp(x, b), "
                + "array_softmax(x, b), array_log_softmax(x, b) FROM weighted_arrays").collectAsList()) {
            double[][] c = cases.get(row.getString(0));
            assertBits(row.getDouble(1), Softmax.logSumExp(c[0], c[1]), row.getString(0));
            SignedLogSumExp expected = Softmax.signedLogSumExp(c[0], c[1]);
            assertBits(row.getStruct(2).getDouble(0), expected.value(), row.getString(0));
            assertBits(row.getStruct(2).getDouble(1), expected.sign(), row.getString(0));
            double[] prob = Softmax.softmax(c[0], c[1]);
            double[] logProb = Softmax.logSoftmax(c[0], c[1]);
            for (int i = 0; i < prob.length; i++) {
                assertBits(row.<Double>getList(3).get(i), prob[i], row.getString(0));
                assertBits(row.<Double>getList(4).get(i), logProb[i], row.getString(0));
            }
        }
        Row scipy = spark.sql("SELECT array_signed_logsumexp(x, b) FROM weighted_arrays WHERE g = 'sign zero'").first();
        assertThat(scipy.getStruct(0).getDouble(0)).isEqualTo(Double.NEGATIVE_INFINITY);
        assertThat(scipy.getStruct(0).getDouble(1)).isEqualTo(0.0);
        // DataFrame API, the same functions
        Row df = arrays().where(col("g").equalTo("sign")).select(
                SoftmaxFunctions.array_signed_logsumexp(col("x"), col("b")),
                SoftmaxFunctions.array_logsumexp(col("x"), col("b"))).first();
        assertThat(df.getStruct(0).getDouble(0)).isEqualTo(1.0);
        assertThat(df.getStruct(0).getDouble(1)).isEqualTo(-1.0);
        assertThat(df.getDouble(1)).isNaN();
    }

    @Test
    void scipysCasesThroughTheAggregates() {
        Dataset<Row> rows = rows();
        rows.createOrReplaceTempView("weighted_rows");
        List<Row> sql = spark.sql("SELECT g, logsumexp(x, w), signed_logsumexp(x, w), softmax_state(x, w) "
                + "FROM weighted_rows GROUP BY g").collectAsList();
        List<Row> api = rows.groupBy("g").agg(SoftmaxFunctions.logsumexp(col("x"), col("w")),
                SoftmaxFunctions.signed_logsumexp(col("x"), col("w")),
                SoftmaxFunctions.softmax_state(col("x"), col("w"))).collectAsList();
        assertThat(sql).hasSize(cases.size());
        for (List<Row> result : List.of(sql, api)) {
            for (Row row : result) {
                double[][] c = cases.get(row.getString(0));
                assertBits(row.getDouble(1), Softmax.logSumExp(c[0], c[1]), row.getString(0));
                SignedLogSumExp expected = Softmax.signedLogSumExp(c[0], c[1]);
                assertBits(row.getStruct(2).getDouble(0), expected.value(), row.getString(0));
                assertBits(row.getStruct(2).getDouble(1), expected.sign(), row.getString(0));
                LogSumExpAccumulator acc = SoftmaxMode.EXACT.newAccumulator();
                acc.acceptAll(c[0], c[1]);
                assertThat((byte[]) row.get(3)).as(row.getString(0)).isEqualTo(acc.toBytes());
            }
        }
    }

    @Test
    void rowWiseSoftmaxWithAWeightedState() {
        rows().createOrReplaceTempView("weighted_rows2");
        List<Row> out = spark.sql("SELECT g, x, w, softmax(x, s, w), log_softmax(x, s, w) FROM (SELECT g, x, w, "
                + "softmax_state(x, w) OVER (PARTITION BY g) AS s FROM weighted_rows2)").collectAsList();
        for (Row row : out) {
            if (row.isNullAt(1) || row.isNullAt(2)) {
                assertThat(row.isNullAt(3)).isTrue();
                continue;
            }
            Normalizer n = normalizer(row.getString(0));
            assertBits(row.getDouble(3), n.prob(row.getDouble(1), row.getDouble(2)), row.getString(0));
            assertBits(row.getDouble(4), n.logProb(row.getDouble(1), row.getDouble(2)), row.getString(0));
        }
    }

    @Test
    void sqlJoinWithAWeightedNormalizer() {
        rows().createOrReplaceTempView("weighted_rows3");
        List<Row> out = spark.sql("SELECT /*+ BROADCAST(n) */ t.g, t.x, t.w, softmax(t.x, n.s, t.w), "
                + "log_softmax(t.x, n.s, t.w), n.s.status FROM weighted_rows3 t JOIN (SELECT g, "
                + "softmax_normalizer(x, w) AS s FROM weighted_rows3 GROUP BY g) n ON t.g <=> n.g").collectAsList();
        assertThat(out).hasSize((int) rows().count());
        for (Row row : out) {
            Normalizer n = normalizer(row.getString(0));
            assertThat(row.getString(5)).as(row.getString(0)).isEqualTo(n.status().name());
            if (row.isNullAt(1) || row.isNullAt(2)) {
                assertThat(row.isNullAt(3)).isTrue();
                continue;
            }
            assertBits(row.getDouble(3), n.prob(row.getDouble(1), row.getDouble(2)), row.getString(0));
            assertBits(row.getDouble(4), n.logProb(row.getDouble(1), row.getDouble(2)), row.getString(0));
        }
    }

    @Test
    void dataFrameSoftmaxWithAWeight() {
        Dataset<Row> rows = rows();
        for (SoftmaxOptions options : List.of(SoftmaxOptions.defaults().groupBy("g").weight("w"),
                SoftmaxOptions.defaults().groupBy("g").weight(col("w")).broadcastThreshold(-1))) {
            for (Row row : SoftmaxFunctions.softmax(rows, "x", options).collectAsList()) {
                int prob = row.fieldIndex("prob");
                if (row.isNullAt(1) || row.isNullAt(2)) {
                    assertThat(row.isNullAt(prob)).isTrue();
                    continue;
                }
                Normalizer n = normalizer(row.getString(0));
                assertBits(row.getDouble(prob), n.prob(row.getDouble(1), row.getDouble(2)), row.getString(0));
                assertBits(row.getDouble(prob + 1), n.logProb(row.getDouble(1), row.getDouble(2)), row.getString(0));
            }
        }
        Map<String, String> statuses = new LinkedHashMap<>();
        for (Row row : SoftmaxFunctions.normalizers(rows, "x", SoftmaxOptions.defaults().groupBy("g").weight("w"))
                .collectAsList()) {
            statuses.put(row.getString(0), row.getString(row.fieldIndex("status")));
        }
        assertThat(statuses).containsEntry("sign", "NEGATIVE_WEIGHT").containsEntry("mixture", "FINITE")
                .containsEntry("gh23548 -1", "NEGATIVE_WEIGHT");
    }

    @Test
    void weightsComputedPerRowAreTheCoresBits() {
        // x and w as expressions, not bound columns: the aggregate evaluates them one by one
        for (Row row : rows().groupBy("g").agg(
                SoftmaxFunctions.logsumexp(col("x").multiply(0.5), col("w").multiply(col("w"))),
                SoftmaxFunctions.signed_logsumexp(col("x").plus(1.0), col("w").minus(0.25))).collectAsList()) {
            double[][] c = cases.get(row.getString(0));
            double[] half = new double[c[0].length];
            double[] square = new double[c[0].length];
            double[] plusOne = new double[c[0].length];
            double[] minusQuarter = new double[c[0].length];
            for (int i = 0; i < half.length; i++) {
                half[i] = c[0][i] * 0.5;
                square[i] = c[1][i] * c[1][i];
                plusOne[i] = c[0][i] + 1.0;
                minusQuarter[i] = c[1][i] - 0.25;
            }
            assertBits(row.getDouble(1), Softmax.logSumExp(half, square), row.getString(0));
            assertBits(row.getStruct(2).getDouble(0), Softmax.signedLogSumExp(plusOne, minusQuarter).value(),
                    row.getString(0));
        }
    }

    @Test
    void weightedStatesMergeWithUnweightedOnes() {
        Row row = spark.sql("SELECT logsumexp_of_state(softmax_state_merge(s)) FROM ("
                + "SELECT softmax_state(x) AS s FROM VALUES (1D), (2D) AS t(x) UNION ALL "
                + "SELECT softmax_state(x, w) AS s FROM VALUES (3D, 0.5D), (3D, -0.5D), (4D, 2D) AS u(x, w))").first();
        assertBits(row.getDouble(0), Softmax.logSumExp(new double[] {1, 2, 3, 3, 4}, new double[] {1, 1, 0.5, -0.5, 2}),
                "merge");
    }

    @Test
    void arraysOfDifferentLengthsNameBothLengths() {
        assertThatThrownBy(() -> spark.sql("SELECT array_logsumexp(array(1D, 2D, 3D), array(1D, 2D))").collect())
                .hasStackTraceContaining("(3,) (2,)");
    }

    @Test
    void fastModeTakesWeights() {
        Row row = rows().where(col("g").equalTo("mixture")).agg(
                SoftmaxFunctions.logsumexp(col("x"), col("w"), SoftmaxMode.FAST)).first();
        double[][] c = cases.get("mixture");
        assertThat(row.getDouble(0)).isCloseTo(Softmax.logSumExp(c[0], c[1]),
                org.assertj.core.api.Assertions.within(1e-14));
    }

    private final Map<String, Normalizer> normalizers = new LinkedHashMap<>();

    private Normalizer normalizer(String group) {
        return normalizers.computeIfAbsent(group,
                g -> Softmax.normalizer(cases.get(g)[0], cases.get(g)[1], SoftmaxMode.EXACT));
    }

    private static void assertBits(double actual, double expected, String what) {
        assertThat(Double.doubleToRawLongBits(actual)).as("%s: %s vs %s", what, actual, expected)
                .isEqualTo(Double.doubleToRawLongBits(expected));
    }
}
