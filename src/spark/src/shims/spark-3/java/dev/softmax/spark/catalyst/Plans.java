/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.spark.catalyst;

import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Dataset$;
import org.apache.spark.sql.ExperimentalMethods;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.Attribute;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.catalyst.plans.physical.UnknownPartitioning;
import org.apache.spark.sql.execution.LogicalRDD;
import org.apache.spark.sql.execution.QueryExecution;
import org.apache.spark.sql.execution.SparkPlan;
import org.apache.spark.sql.execution.SparkStrategy;
import scala.Option;

/**
 * Shim, Spark 3.5: logical plans and Datasets of the one session class (Spark 4 split it into
 * an API and a classic session, see the spark-4 shim; its LogicalRDD also names its stream).
 */
public final class Plans {
    private Plans() {}

    /** The Dataset of a logical plan, in the session of {@code like}. */
    public static Dataset<Row> ofRows(Dataset<Row> like, LogicalPlan plan) {
        return Dataset$.MODULE$.ofRows(like.sparkSession(), plan);
    }

    /** A logical plan, planned in the session of a physical plan: its rows are {@code toRdd()}. */
    public static QueryExecution plan(SparkPlan within, LogicalPlan plan) {
        return Dataset$.MODULE$.ofRows(within.session(), plan).queryExecution();
    }

    /** A logical leaf over an RDD that a physical plan computed, with that plan's attributes. */
    public static LogicalPlan rdd(SparkPlan within, scala.collection.Seq<Attribute> output, RDD<InternalRow> rdd) {
        return new LogicalRDD(ScalaCollections.seq(ScalaCollections.list(output)), rdd, new UnknownPartitioning(0),
                ScalaCollections.seq(java.util.List.of()), false, within.session(), Option.empty(), Option.empty());
    }

    /** The session's extra planner strategies, with {@code strategy} added unless one of its class is there. */
    public static void addStrategy(SparkSession session, SparkStrategy strategy) {
        ExperimentalMethods experimental = session.experimental();
        synchronized (experimental) {
            for (SparkStrategy existing : ScalaCollections.list(experimental.extraStrategies())) {
                if (existing.getClass() == strategy.getClass()) {
                    return;
                }
            }
            java.util.List<SparkStrategy> strategies =
                    new java.util.ArrayList<>(ScalaCollections.list(experimental.extraStrategies()));
            strategies.add(strategy);
            experimental.extraStrategies_$eq(ScalaCollections.seq(strategies));
        }
    }
    /** The session's extra optimizer rules, with {@code rule} added unless one of its class is there. */
    public static void addOptimization(SparkSession session,
            org.apache.spark.sql.catalyst.rules.Rule<LogicalPlan> rule) {
        ExperimentalMethods experimental = session.experimental();
        synchronized (experimental) {
            for (org.apache.spark.sql.catalyst.rules.Rule<LogicalPlan> existing
                    : ScalaCollections.list(experimental.extraOptimizations())) {
                if (existing.getClass() == rule.getClass()) {
                    return;
                }
            }
            java.util.List<org.apache.spark.sql.catalyst.rules.Rule<LogicalPlan>> rules =
                    new java.util.ArrayList<>(ScalaCollections.list(experimental.extraOptimizations()));
            rules.add(rule);
            experimental.extraOptimizations_$eq(ScalaCollections.seq(rules));
        }
    }

    /** A grouped aggregate (Spark 4 adds a hint argument). */
    public static LogicalPlan aggregate(
            java.util.List<org.apache.spark.sql.catalyst.expressions.Expression> grouping,
            java.util.List<org.apache.spark.sql.catalyst.expressions.NamedExpression> aggregates,
            LogicalPlan child) {
        return new org.apache.spark.sql.catalyst.plans.logical.Aggregate(ScalaCollections.seq(grouping),
                ScalaCollections.seq(aggregates), child);
    }
}
