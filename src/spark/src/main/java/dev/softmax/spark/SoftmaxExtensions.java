/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.spark;

import dev.softmax.spark.catalyst.SoftmaxStrategy;
import dev.softmax.spark.catalyst.SoftmaxFunctionRegistry;
import dev.softmax.spark.catalyst.StreamingWindowCheck;
import dev.softmax.spark.catalyst.WindowSoftmaxRule;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.SparkSessionExtensions;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.catalyst.rules.Rule;
import org.apache.spark.sql.execution.SparkStrategy;
import scala.Function1;
import scala.Tuple3;
import scala.runtime.AbstractFunction1;
import scala.runtime.BoxedUnit;

/**
 * Spark session extension that injects the project's SQL functions (the same definitions
 * as {@link SparkSoftmax#register}) into every session, and an analysis check that refuses
 * the project's aggregates over a window on a stream with a message saying what to use
 * instead, and the planner strategy of the grouped DataFrame softmax ({@code GroupedSoftmax},
 * which the DataFrame API also registers itself on first use) with the optimizer rule that
 * plans SQL's window form {@code softmax(x, softmax_state(x) OVER (PARTITION BY g))} the same way:
 *
 * <pre>
 * spark-sql --jars spark-softmax.jar --conf spark.sql.extensions=dev.softmax.spark.SoftmaxExtensions
 * </pre>
 *
 * Extensions are applied when a session is created: {@code getOrCreate()} on a session that
 * already exists ignores them.
 *
 * @since 0.1.0
 */
public final class SoftmaxExtensions extends AbstractFunction1<SparkSessionExtensions, BoxedUnit> {

    @Override
    public BoxedUnit apply(SparkSessionExtensions extensions) {
        for (SoftmaxFunctionRegistry.Definition definition : SoftmaxFunctionRegistry.definitions()) {
            extensions.injectFunction(new Tuple3<>(definition.identifier(), definition.info(),
                    definition.sparkBuilder()));
        }
        extensions.injectCheckRule(new AbstractFunction1<SparkSession, Function1<LogicalPlan, BoxedUnit>>() {
            @Override
            public Function1<LogicalPlan, BoxedUnit> apply(SparkSession session) {
                return new StreamingWindowCheck();
            }
        });
        extensions.injectPlannerStrategy(new AbstractFunction1<SparkSession, SparkStrategy>() {
            @Override
            public SparkStrategy apply(SparkSession session) {
                return new SoftmaxStrategy();
            }
        });
        extensions.injectOptimizerRule(new AbstractFunction1<SparkSession, Rule<LogicalPlan>>() {
            @Override
            public Rule<LogicalPlan> apply(SparkSession session) {
                return new WindowSoftmaxRule();
            }
        });
        return BoxedUnit.UNIT;
    }
}
