/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.spark;

import static dev.softmax.spark.SparkTestSupport.frame;
import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;

import dev.softmax.core.SoftmaxMode;
import dev.softmax.spark.catalyst.ColumnExpressions;
import dev.softmax.spark.catalyst.SoftmaxAggregate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoder;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.execution.aggregate.ObjectHashAggregateExec;
import org.apache.spark.sql.functions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link SoftmaxAggregate}, the Catalyst aggregate behind the project's SQL and DataFrame
 * aggregates, computes what Spark's own wrapper of the same public
 * {@link org.apache.spark.sql.expressions.Aggregator} ({@code functions.udaf}) computes, bit
 * for bit and byte for byte, for every aggregator, both modes, a temperature, in the object
 * hash aggregate and after its fallback to sorting (which serializes the buffers).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SoftmaxAggregateTest {

    private static final String FALLBACK = "spark.sql.objectHashAggregate.sortBased.fallbackThreshold";

    private SparkSession spark;
    private Dataset<Row> values;
    private Dataset<Row> states;

    @BeforeAll
    void start() {
        spark = SharedSpark.newSession();
        values = frame(spark, SparkTestSupport.rows(SoftmaxCases.groups()), 3, 7).cache();
        // Stored exact states, three per group (one per day), to merge.
        states = values.groupBy("g", "day").agg(aggregate(new SoftmaxStateAggregator(SoftmaxMode.EXACT, 1.0), "x")
                .as("s")).cache();
    }

    @AfterEach
    void resetConf() {
        spark.conf().unset(FALLBACK);
    }

    static Stream<Arguments> aggregators() {
        List<Arguments> all = new ArrayList<>();
        for (SoftmaxMode mode : SoftmaxMode.values()) {
            all.add(Arguments.of(new LogSumExpAggregator(mode, 1.0), Encoders.DOUBLE()));
            all.add(Arguments.of(new LogSumExpAggregator(mode, 0.25), Encoders.DOUBLE()));
            all.add(Arguments.of(new SoftmaxStateAggregator(mode, 3.0), Encoders.DOUBLE()));
            all.add(Arguments.of(new NormalizerAggregator(mode, 1.0), Encoders.DOUBLE()));
        }
        return all.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("aggregators")
    void valueAggregatesMatchSparksAggregatorWrapper(ValueAggregator<?> aggregator, Encoder<Double> input) {
        Column wrapped = functions.udaf(aggregator, input).apply(col("x"));
        for (String threshold : List.of("128", "2")) {
            spark.conf().set(FALLBACK, threshold);
            assertThat(perGroup(values, aggregate(aggregator, "x")))
                    .as("%s, fallback to sorting past %s groups", aggregator, threshold)
                    .isEqualTo(perGroup(values, wrapped));
        }
    }

    @Test
    void stateMergeMatchesSparksAggregatorWrapper() {
        SoftmaxStateMergeAggregator merge = new SoftmaxStateMergeAggregator(SoftmaxMode.EXACT);
        Column wrapped = functions.udaf(merge, Encoders.BINARY()).apply(col("s"));
        for (String threshold : List.of("128", "2")) {
            spark.conf().set(FALLBACK, threshold);
            List<String> merged = perGroup(states, aggregate(merge, "s"));
            assertThat(merged).as("fallback to sorting past %s groups", threshold).isEqualTo(perGroup(states, wrapped));
            assertThat(merged).as("merging the stored states gives the states of one pass")
                    .isEqualTo(perGroup(values, aggregate(new SoftmaxStateAggregator(SoftmaxMode.EXACT, 1.0), "x")));
        }
    }

    @Test
    void runsInTheObjectHashAggregate() {
        SparkTestSupport.assertRunsIn(values.groupBy("g").agg(SoftmaxFunctions.logsumexp(col("x"), SoftmaxMode.EXACT)),
                plan -> plan instanceof ObjectHashAggregateExec && plan.toString().contains("logsumexp("),
                "an ObjectHashAggregate of logsumexp");
    }

    @Test
    void theSameAggregateTwiceRunsOnce() {
        Dataset<Row> twice = values.agg(SoftmaxFunctions.logsumexp(col("x"), SoftmaxMode.EXACT).as("a"),
                SoftmaxFunctions.logsumexp(col("x"), SoftmaxMode.EXACT).as("b"));
        ObjectHashAggregateExec aggregate = (ObjectHashAggregateExec) SparkTestSupport
                .nodes(twice.queryExecution().executedPlan()).stream()
                .map(node -> node.plan).filter(plan -> plan instanceof ObjectHashAggregateExec)
                .findFirst().orElseThrow();
        assertThat(aggregate.aggregateExpressions().size()).as("%s", aggregate).isEqualTo(1);
        Row row = twice.first();
        assertThat(Double.doubleToLongBits(row.getDouble(0))).isEqualTo(Double.doubleToLongBits(row.getDouble(1)));
    }

    private static Column aggregate(AccumulatorAggregator<?, ?> aggregator, String column) {
        Expression input = ColumnExpressions.expression(col(column));
        return ColumnExpressions.column(new SoftmaxAggregate("test", aggregator, input).toAggregateExpression());
    }

    /** The result of each group as text (bytes as hex, doubles as bits), in group order. */
    private static List<String> perGroup(Dataset<Row> df, Column aggregate) {
        List<String> out = new ArrayList<>();
        for (Row row : df.groupBy("g").agg(aggregate.as("r")).collectAsList()) {
            out.add(row.getAs("g") + " -> " + text(row.get(1)));
        }
        out.sort(Comparator.naturalOrder());
        return out;
    }

    private static String text(Object value) {
        if (value instanceof byte[]) {
            return java.util.HexFormat.of().formatHex((byte[]) value);
        }
        if (value instanceof Double) {
            return Double.toHexString((Double) value);
        }
        if (value instanceof Row) {
            Row row = (Row) value;
            List<String> fields = new ArrayList<>();
            for (int i = 0; i < row.size(); i++) {
                fields.add(text(row.get(i)));
            }
            return fields.toString();
        }
        return String.valueOf(value);
    }
}
