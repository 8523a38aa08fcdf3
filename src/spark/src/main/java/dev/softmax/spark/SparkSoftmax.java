/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.spark;

import dev.softmax.spark.catalyst.SoftmaxStrategy;
import dev.softmax.spark.catalyst.SoftmaxFunctionRegistry;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.analysis.FunctionRegistry;

/**
 * Registers the project's SQL functions on a session:
 * {@code logsumexp}, {@code softmax_state}, {@code softmax_state_merge} (aggregates, also
 * usable as window functions), {@code softmax}, {@code log_softmax},
 * {@code logsumexp_of_state}, {@code array_softmax}, {@code array_log_softmax},
 * {@code array_logsumexp}.
 *
 * <pre>{@code
 * SparkSoftmax.register(spark);
 * spark.sql("SELECT g, x, softmax(x, softmax_state(x) OVER (PARTITION BY g)) AS p FROM t");
 * }</pre>
 *
 * <p>Each function is registered in the session's function registry with its
 * {@code ExpressionInfo}, so {@code DESCRIBE FUNCTION EXTENDED softmax} shows its usage,
 * arguments and examples. To have them in every session without code (spark-sql, Thrift
 * server), use {@code --conf spark.sql.extensions=dev.softmax.spark.SoftmaxExtensions}.
 * Each Spark line has its own artifact ({@code spark-softmax-spark-LINE_SCALA}): use the one of
 * the Spark that runs it.
 *
 * @since 0.1.0
 */
public final class SparkSoftmax {

    private SparkSoftmax() {}

    /**
     * Registers every function of {@link SoftmaxFunctionRegistry#definitions()} on {@code spark},
     * and the planner strategy of the grouped DataFrame softmax (which that API also registers
     * on first use).
     */
    public static void register(SparkSession spark) {
        FunctionRegistry registry = spark.sessionState().functionRegistry();
        for (SoftmaxFunctionRegistry.Definition definition : SoftmaxFunctionRegistry.definitions()) {
            registry.registerFunction(definition.sessionIdentifier(), definition.info(), definition.sparkBuilder());
        }
        SoftmaxStrategy.register(spark);
    }
}
