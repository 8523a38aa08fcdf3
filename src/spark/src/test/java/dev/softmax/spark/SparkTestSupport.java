/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.softmax.core.LogSumExpAccumulator;
import dev.softmax.core.Normalizer;
import dev.softmax.core.SoftmaxMode;
import dev.softmax.spark.catalyst.ScalaCollections;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.execution.SparkPlan;
import org.apache.spark.sql.execution.adaptive.AdaptiveSparkPlanExec;
import org.apache.spark.sql.execution.adaptive.QueryStageExec;
import org.apache.spark.sql.execution.exchange.ReusedExchangeExec;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/** Data frames of {@link SoftmaxCases}, the core's expectations, and bit-for-bit checks. */
final class SparkTestSupport {

    /** Schema of the test rows: a group key, a row id, a day (for stored states) and the value. */
    static final StructType SCHEMA = new StructType()
            .add("g", DataTypes.StringType, true)
            .add("id", DataTypes.LongType, false)
            .add("day", DataTypes.IntegerType, false)
            .add("x", DataTypes.DoubleType, true);

    private SparkTestSupport() {}

    /** The rows of the given groups, ids in order; the day is id mod 3. */
    static List<Row> rows(Map<String, List<Double>> groups) {
        List<Row> rows = new ArrayList<>();
        long id = 0;
        for (Map.Entry<String, List<Double>> group : groups.entrySet()) {
            String key = SoftmaxCases.NULL_KEY.equals(group.getKey()) ? null : group.getKey();
            for (Double x : group.getValue()) {
                rows.add(RowFactory.create(key, id, (int) (id % 3), x));
                id++;
            }
        }
        return rows;
    }

    /**
     * The rows in a shuffled order, in exactly {@code partitions} partitions, from an RDD (no
     * local-relation shortcut: every row goes through the executors' code).
     */
    static Dataset<Row> frame(SparkSession spark, List<Row> rows, int partitions, long seed) {
        List<Row> shuffled = new ArrayList<>(rows);
        Collections.shuffle(shuffled, new Random(seed));
        JavaSparkContext context = JavaSparkContext.fromSparkContext(spark.sparkContext());
        return spark.createDataFrame(context.parallelize(shuffled, partitions), SCHEMA);
    }

    /** The core's normalizer of each group: its non-null values divided by T, in order. */
    static Map<String, Normalizer> expectedNormalizers(Map<String, List<Double>> groups, double temperature,
            SoftmaxMode mode) {
        Map<String, Normalizer> normalizers = new HashMap<>();
        for (Map.Entry<String, List<Double>> group : groups.entrySet()) {
            normalizers.put(key(group.getKey()), accumulate(group.getValue(), temperature, mode).finish());
        }
        return normalizers;
    }

    static LogSumExpAccumulator accumulate(List<Double> values, double temperature, SoftmaxMode mode) {
        LogSumExpAccumulator accumulator = LogSumExpAccumulator.create(mode);
        for (Double x : values) {
            if (x != null) {
                accumulator.accept(temperature == 1.0 ? x : x / temperature);
            }
        }
        return accumulator;
    }

    /** The map key of a row's group (null keys have a name of their own). */
    static String key(String group) {
        return group == null ? SoftmaxCases.NULL_KEY : group;
    }

    /**
     * Checks rows (group, id, x, prob, log_prob at the given field names) against the core: the
     * same bits, null outputs for null values. Every id must appear exactly once.
     */
    static void assertRowsMatchCore(List<Row> rows, Map<String, Normalizer> expected, double temperature,
            int expectedRows, String path) {
        assertThat(rows).as(path + ": row count").hasSize(expectedRows);
        java.util.Set<Long> ids = new java.util.HashSet<>();
        for (Row row : rows) {
            String group = key(row.getAs("g"));
            long id = row.<Long>getAs("id");
            assertThat(ids.add(id)).as(path + ": id " + id + " appears twice").isTrue();
            Double x = row.getAs("x");
            Double prob = row.getAs("prob");
            Double logProb = row.getAs("log_prob");
            String where = path + ", group '" + group + "', id " + id + ", x " + x;
            if (x == null) {
                assertThat(prob).as(where + ": prob").isNull();
                assertThat(logProb).as(where + ": log_prob").isNull();
                continue;
            }
            Normalizer normalizer = expected.get(group);
            double scaled = temperature == 1.0 ? x : x / temperature;
            assertSameBits(prob, normalizer.prob(scaled), where + ": prob");
            assertSameBits(logProb, normalizer.logProb(scaled), where + ": log_prob");
        }
    }

    static void assertSameBits(Double actual, double expected, String what) {
        if (actual == null) {
            fail(what + ": expected " + expected + ", got null");
        }
        if (Double.doubleToLongBits(actual) != Double.doubleToLongBits(expected)) {
            fail(what + ": expected " + expected + " (" + Double.toHexString(expected) + "), got " + actual
                    + " (" + Double.toHexString(actual) + ")");
        }
    }

    /** The logsumexp SQL gives for a group: NULL when it has no non-null value. */
    static Double expectedSqlLogSumExp(Normalizer normalizer) {
        return normalizer.status() == Normalizer.Status.EMPTY ? null : normalizer.logSumExp();
    }

    // ---- physical plans -----------------------------------------------------------------------------

    /** A node of a physical plan and whether it runs inside a subquery. */
    static final class PlanNode {
        final SparkPlan plan;
        final boolean inSubquery;

        PlanNode(SparkPlan plan, boolean inSubquery) {
            this.plan = plan;
            this.inSubquery = inSubquery;
        }

        @Override
        public String toString() {
            return (inSubquery ? "[subquery] " : "") + plan.nodeName();
        }
    }

    /** Runs {@code result} and checks that some node of its final physical plan matches {@code node}. */
    static void assertRunsIn(Dataset<Row> result, java.util.function.Predicate<SparkPlan> node, String what) {
        result.collectAsList();
        assertThat(nodes(result.queryExecution().executedPlan())).as(what).anyMatch(n -> node.test(n.plan));
    }

    /** Every node of a plan, adaptive wrappers and query stages unwrapped, subqueries included. */
    static List<PlanNode> nodes(SparkPlan plan) {
        List<PlanNode> nodes = new ArrayList<>();
        walk(plan, false, nodes);
        return nodes;
    }

    private static void walk(SparkPlan plan, boolean inSubquery, List<PlanNode> out) {
        if (plan instanceof AdaptiveSparkPlanExec) {
            walk(((AdaptiveSparkPlanExec) plan).executedPlan(), inSubquery, out);
            return;
        }
        if (plan instanceof QueryStageExec) {
            walk(((QueryStageExec) plan).plan(), inSubquery, out);
            return;
        }
        if (plan instanceof ReusedExchangeExec) {
            walk(((ReusedExchangeExec) plan).child(), inSubquery, out);
            return;
        }
        out.add(new PlanNode(plan, inSubquery));
        for (SparkPlan child : ScalaCollections.list(plan.children())) {
            walk(child, inSubquery, out);
        }
        for (SparkPlan subquery : ScalaCollections.list(plan.subqueries())) {
            walk(subquery, true, out);
        }
    }
}
