/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.spark;

import static dev.softmax.spark.SparkTestSupport.frame;
import static org.assertj.core.api.Assertions.assertThat;

import dev.softmax.spark.SparkTestSupport.PlanNode;
import dev.softmax.spark.catalyst.GroupedSoftmaxExec;
import dev.softmax.spark.catalyst.SoftmaxPartialAggregateExec;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.expressions.aggregate.AggregateMode;
import org.apache.spark.sql.catalyst.expressions.aggregate.Final$;
import org.apache.spark.sql.catalyst.expressions.aggregate.Partial$;
import org.apache.spark.sql.catalyst.plans.physical.SinglePartition$;
import org.apache.spark.sql.execution.SparkPlan;
import org.apache.spark.sql.execution.aggregate.BaseAggregateExec;
import org.apache.spark.sql.execution.exchange.BroadcastExchangeExec;
import org.apache.spark.sql.execution.exchange.ShuffleExchangeExec;
import org.apache.spark.sql.execution.joins.BroadcastHashJoinExec;
import org.apache.spark.sql.execution.joins.SortMergeJoinExec;
import org.apache.spark.sql.execution.window.WindowExec;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The physical plans of the DataFrame softmax: one aggregate, partial then final; no Window;
 * nothing that moves all rows to one partition; global state as a scalar subquery and a
 * narrow map; grouped normalizers broadcast when small once measured (the project's
 * GroupedSoftmax operator) and shuffle-joined when told never to broadcast. Checked
 * with adaptive execution off (the static plan) and on (the final plan after running).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PlanShapeTest {

    private SparkSession spark;
    private List<Row> rows;

    @BeforeAll
    void start() {
        spark = SharedSpark.newSession();
        SparkSession.setActiveSession(spark);
        rows = SparkTestSupport.rows(SoftmaxCases.groups());
    }

    private List<PlanNode> executedPlan(Dataset<Row> result, boolean adaptive) {
        spark.conf().set("spark.sql.adaptive.enabled", Boolean.toString(adaptive));
        assertThat(result.count()).isEqualTo(rows.size());
        // count() runs its own plan; collect this one so that an adaptive plan is final.
        result.collectAsList();
        SparkPlan plan = result.queryExecution().executedPlan();
        return SparkTestSupport.nodes(plan);
    }

    @ParameterizedTest(name = "adaptive {0}")
    @ValueSource(booleans = {false, true})
    void globalIsOneAggregateInASubqueryThenANarrowMap(boolean adaptive) {
        Dataset<Row> result = SoftmaxFunctions.softmax(frame(spark, rows, 4, 1), "x");
        List<PlanNode> nodes = executedPlan(result, adaptive);

        assertNoWindow(nodes);
        assertThat(nodes.stream().filter(n -> !n.inSubquery).map(n -> n.plan))
                .as("the rows are mapped in place: no exchange outside the subquery: %s", nodes)
                .noneMatch(p -> p instanceof ShuffleExchangeExec || p instanceof BroadcastExchangeExec);
        List<SparkPlan> aggregates = aggregates(nodes);
        assertThat(aggregates).as("one aggregate, partial then final").hasSize(2);
        assertThat(nodes.stream().filter(n -> n.plan instanceof BaseAggregateExec).allMatch(n -> n.inSubquery))
                .as("the aggregate runs in the scalar subquery").isTrue();
        assertThat(modes(aggregates)).containsExactlyInAnyOrder(Partial$.MODULE$, Final$.MODULE$);
        assertSinglePartitionExchangesOnlyCarryPartialStates(nodes);
    }

    /**
     * The grouped plan is the project's operator, which runs the aggregate first and, the
     * normalizers being within the threshold once measured, broadcasts them: the rows are
     * mapped in place, no join and no exchange of rows.
     */
    @ParameterizedTest(name = "adaptive {0}")
    @ValueSource(booleans = {false, true})
    void groupedSmallIsBroadcast(boolean adaptive) {
        Dataset<Row> result = SoftmaxFunctions.softmax(frame(spark, rows, 4, 2), "x",
                SoftmaxOptions.defaults().groupBy("g"));
        List<PlanNode> nodes = executedPlan(result, adaptive);

        assertNoWindow(nodes);
        // Spark's final step, and the project's partial step in place of Spark's
        assertThat(modes(aggregates(nodes))).containsExactly(Final$.MODULE$);
        assertThat(nodes).as("partial step: %s", nodes).anyMatch(n -> n.plan instanceof SoftmaxPartialAggregateExec);
        assertThat(nodes).as("grouped softmax, broadcast: %s", nodes).anyMatch(n -> n.plan instanceof GroupedSoftmaxExec
                && Boolean.TRUE.equals(((GroupedSoftmaxExec) n.plan).broadcast()));
        assertThat(nodes)
                .noneMatch(n -> n.plan instanceof SortMergeJoinExec || n.plan instanceof BroadcastHashJoinExec);
        GroupedSoftmaxExec exec = (GroupedSoftmaxExec) nodes.stream().filter(n -> n.plan instanceof GroupedSoftmaxExec)
                .findFirst().orElseThrow().plan;
        assertThat(SparkTestSupport.nodes(exec.left())).as("the rows' side: no exchange")
                .noneMatch(n -> n.plan instanceof ShuffleExchangeExec);
        assertNoSinglePartitionExchange(nodes);
    }

    @ParameterizedTest(name = "adaptive {0}")
    @ValueSource(booleans = {false, true})
    void groupedAboveTheThresholdIsShuffleJoined(boolean adaptive) {
        Dataset<Row> result = SoftmaxFunctions.softmax(frame(spark, rows, 4, 3), "x",
                SoftmaxOptions.defaults().groupBy("g").broadcastThreshold(-1));
        List<PlanNode> nodes = executedPlan(result, adaptive);

        assertNoWindow(nodes);
        assertThat(modes(aggregates(nodes))).containsExactlyInAnyOrder(Partial$.MODULE$, Final$.MODULE$);
        assertThat(nodes).as("shuffle join: %s", nodes).anyMatch(n -> n.plan instanceof SortMergeJoinExec);
        assertThat(nodes)
                .noneMatch(n -> n.plan instanceof BroadcastHashJoinExec || n.plan instanceof BroadcastExchangeExec);
        assertNoSinglePartitionExchange(nodes);
    }

    /** The threshold is compared with the normalizers' measured size, whatever Spark estimates. */
    @Test
    void thresholdComparesWithTheMeasuredSize() {
        Dataset<Row> df = frame(spark, rows, 4, 4);
        spark.conf().set("spark.sql.adaptive.enabled", "false");
        // Spark's own threshold off, and an RDD has no size estimate: only the measure can broadcast.
        spark.conf().set("spark.sql.autoBroadcastJoinThreshold", "-1");
        try {
            Dataset<Row> small = SoftmaxFunctions.softmax(df, "x", SoftmaxOptions.defaults().groupBy("g"));
            small.collectAsList();
            assertThat(small.queryExecution().executedPlan().toString()).contains("GroupedSoftmax broadcast");
            Dataset<Row> zero = SoftmaxFunctions.softmax(df, "x",
                    SoftmaxOptions.defaults().groupBy("g").broadcastThreshold(0));
            zero.collectAsList();
            assertThat(zero.queryExecution().executedPlan().toString()).contains("GroupedSoftmax join")
                    .doesNotContain("BroadcastHashJoin");
        } finally {
            spark.conf().unset("spark.sql.autoBroadcastJoinThreshold");
        }
    }

    private static void assertNoWindow(List<PlanNode> nodes) {
        assertThat(nodes).as("no Window: %s", nodes).noneMatch(n -> n.plan instanceof WindowExec);
    }

    private static void assertNoSinglePartitionExchange(List<PlanNode> nodes) {
        assertThat(nodes).as("nothing moves to one partition: %s", nodes).noneMatch(n ->
                n.plan instanceof ShuffleExchangeExec
                        && ((ShuffleExchangeExec) n.plan).outputPartitioning() == SinglePartition$.MODULE$);
    }

    /** A global aggregate gathers one partial state per partition, never the rows. */
    private static void assertSinglePartitionExchangesOnlyCarryPartialStates(List<PlanNode> nodes) {
        for (PlanNode node : nodes) {
            if (node.plan instanceof ShuffleExchangeExec
                    && ((ShuffleExchangeExec) node.plan).outputPartitioning() == SinglePartition$.MODULE$) {
                SparkPlan child = unwrap(((ShuffleExchangeExec) node.plan).child());
                assertThat(child).as("input of %s", node.plan.nodeName()).isInstanceOf(BaseAggregateExec.class);
                assertThat(modes(List.of(child))).containsExactly(Partial$.MODULE$);
            }
        }
    }

    private static SparkPlan unwrap(SparkPlan plan) {
        List<PlanNode> nodes = SparkTestSupport.nodes(plan);
        return nodes.get(0).plan;
    }

    private static List<SparkPlan> aggregates(List<PlanNode> nodes) {
        return nodes.stream().map(n -> n.plan).filter(p -> p instanceof BaseAggregateExec).collect(Collectors.toList());
    }

    private static List<AggregateMode> modes(List<SparkPlan> aggregates) {
        return aggregates.stream()
                .map(p -> ((BaseAggregateExec) p).aggregateExpressions().head().mode())
                .collect(Collectors.toList());
    }
}
