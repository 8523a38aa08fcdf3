/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.spark.catalyst;

import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.classic.ExpressionUtils;

/**
 * Shim, Spark 4.x: a {@link Column} and the Catalyst {@link Expression} behind it. Since Spark
 * 4.0 a Column is a client-side tree (so that Spark Connect can share the API); the classic
 * session converts with {@code ExpressionUtils}. Spark 3.5 wraps the expression instead.
 */
public final class ColumnExpressions {
    private ColumnExpressions() {}

    /** The column of a resolved or unresolved Catalyst expression. */
    public static Column column(Expression expression) {
        return ExpressionUtils.column(expression);
    }

    /** The Catalyst expression of a column, for the classic (non-Connect) session. */
    public static Expression expression(Column column) {
        return ExpressionUtils.expression(column);
    }

    /** The single value of a one-row, one-column query, as a scalar subquery column. */
    public static Column scalar(Dataset<Row> query) {
        return query.scalar();
    }
}
