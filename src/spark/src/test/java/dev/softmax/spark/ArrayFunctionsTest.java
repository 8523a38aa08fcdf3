/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.spark;

import static dev.softmax.spark.SparkTestSupport.assertSameBits;
import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;

import dev.softmax.core.Softmax;
import dev.softmax.core.SoftmaxMode;
import java.util.ArrayList;
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
 * Row-wise functions on arrays: each group of {@link SoftmaxCases} as one array, through SQL
 * and the DataFrame API, the same bits as the core's {@link Softmax} on its non-null elements;
 * a null array gives null, an empty one an empty one (logsumexp -inf), null elements stay null.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ArrayFunctionsTest {

    private SparkSession spark;
    private Map<String, List<Double>> groups;
    private Dataset<Row> arrays;

    @BeforeAll
    void start() {
        spark = SharedSpark.newSessionWithFunctions();
        groups = SoftmaxCases.groups();
        List<Row> rows = new ArrayList<>();
        for (Map.Entry<String, List<Double>> group : groups.entrySet()) {
            rows.add(RowFactory.create(group.getKey(), group.getValue().toArray(new Double[0])));
        }
        rows.add(RowFactory.create("null array", null));
        rows.add(RowFactory.create("empty array", new Double[0]));
        StructType schema = new StructType().add("g", DataTypes.StringType)
                .add("a", DataTypes.createArrayType(DataTypes.DoubleType, true));
        arrays = spark.createDataFrame(rows, schema).repartition(3);
        arrays.createOrReplaceTempView("arrays");
    }

    @Test
    void sqlAndDataFrameApiAreTheCoreBitForBit() {
        check(spark.sql("SELECT g, array_softmax(a) AS p, array_log_softmax(a) AS lp, array_logsumexp(a) AS lse "
                + "FROM arrays").collectAsList(), 1.0, "SQL");
        check(arrays.select(col("g"), SoftmaxFunctions.array_softmax("a").as("p"),
                SoftmaxFunctions.array_log_softmax(col("a")).as("lp"), SoftmaxFunctions.array_logsumexp("a").as("lse"))
                .collectAsList(), 1.0, "DataFrame API");
        check(arrays.select(col("g"), SoftmaxFunctions.array_softmax(col("a"), 0.25, SoftmaxMode.EXACT).as("p"),
                SoftmaxFunctions.array_log_softmax(col("a"), 0.25, SoftmaxMode.EXACT).as("lp"),
                SoftmaxFunctions.array_logsumexp(col("a"), 0.25, SoftmaxMode.EXACT).as("lse"))
                .collectAsList(), 0.25, "DataFrame API, temperature 0.25");
    }

    private void check(List<Row> result, double temperature, String path) {
        assertThat(result).as(path).hasSize(groups.size() + 2);
        for (Row row : result) {
            String group = row.getString(0);
            String where = path + ", array '" + group + "'";
            if (group.equals("null array")) {
                assertThat(row.isNullAt(1) && row.isNullAt(2) && row.isNullAt(3)).as(where).isTrue();
                continue;
            }
            List<Double> values = group.equals("empty array") ? List.of() : groups.get(group);
            List<Double> present = new ArrayList<>();
            for (Double v : values) {
                if (v != null) {
                    present.add(v);
                }
            }
            double[] x = present.stream().mapToDouble(Double::doubleValue).toArray();
            double[] p = Softmax.softmax(x, temperature, SoftmaxMode.EXACT);
            double[] lp = Softmax.logSoftmax(x, temperature, SoftmaxMode.EXACT);
            List<Double> actualP = row.getList(1);
            List<Double> actualLp = row.getList(2);
            assertThat(actualP).as(where).hasSize(values.size());
            for (int i = 0, j = 0; i < values.size(); i++) {
                if (values.get(i) == null) {
                    assertThat(actualP.get(i)).as(where + " element " + i).isNull();
                    assertThat(actualLp.get(i)).as(where + " element " + i).isNull();
                } else {
                    assertSameBits(actualP.get(i), p[j], where + " prob " + i);
                    assertSameBits(actualLp.get(i), lp[j], where + " log_prob " + i);
                    j++;
                }
            }
            assertSameBits(row.getDouble(3), Softmax.logSumExp(x, temperature, SoftmaxMode.EXACT),
                    where + " logsumexp");
        }
    }

    @Test
    void integerArraysAreCast() {
        Row row = spark.sql("SELECT array_softmax(array(1, 2, 3)), array_softmax(array(1D, 2D, 3D)), "
                + "array_logsumexp(array(CAST(1 AS BIGINT), 2)), array_logsumexp(array(1D, 2D))").first();
        assertThat(row.getList(0)).isEqualTo(row.getList(1));
        assertThat(row.getDouble(2)).isEqualTo(row.getDouble(3));
    }
}
