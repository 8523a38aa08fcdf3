/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.spark.catalyst;

import dev.softmax.core.SoftmaxException;
import java.io.Serializable;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.catalyst.plans.logical.Window;
import scala.runtime.AbstractFunction1;
import scala.runtime.BoxedUnit;

/**
 * An analysis check that {@code SoftmaxExtensions} adds: one of the project's aggregates over
 * a window ({@code softmax_state(x) OVER (PARTITION BY g)}) in a streaming plan fails at once
 * with {@link #MESSAGE}, which says what to use instead, rather than when the query starts with
 * Spark's NON_TIME_WINDOW_NOT_SUPPORTED_IN_STREAMING naming an internal expression. (Sessions
 * that only called {@code SparkSoftmax.register} get Spark's error: check rules are fixed when
 * a session is created.)
 */
public final class StreamingWindowCheck extends AbstractFunction1<LogicalPlan, BoxedUnit> implements Serializable {

    private static final long serialVersionUID = 1L;

    public static final String MESSAGE = "softmax_state, softmax_normalizer and logsumexp cannot run OVER a window on a"
            + " streaming Dataset (Spark runs no window functions but time windows on a stream). Keep the state per"
            + " group with GROUP BY instead (SELECT g, softmax_state(x) ... GROUP BY g, in update or complete output"
            + " mode), and score the rows against stored states or normalizers with softmax(x, state) in a"
            + " stream-static join on the group key";

    @Override
    public BoxedUnit apply(LogicalPlan plan) {
        if (plan.isStreaming()) {
            check(plan);
        }
        return BoxedUnit.UNIT;
    }

    private static void check(LogicalPlan node) {
        if (node instanceof Window window) {
            for (Object expression : ScalaCollections.list(window.windowExpressions())) {
                if (hasProjectAggregate((Expression) expression)) {
                    throw new SoftmaxException(MESSAGE);
                }
            }
        }
        for (LogicalPlan child : ScalaCollections.list(node.children())) {
            check(child);
        }
    }

    private static boolean hasProjectAggregate(Expression expression) {
        if (expression instanceof SoftmaxAggregate || expression instanceof FastSoftmaxAggregate) {
            return true;
        }
        for (Expression child : ScalaCollections.list(expression.children())) {
            if (hasProjectAggregate(child)) {
                return true;
            }
        }
        return false;
    }
}
