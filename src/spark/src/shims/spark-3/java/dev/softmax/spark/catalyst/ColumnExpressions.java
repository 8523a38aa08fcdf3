/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.spark.catalyst;

import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.ScalarSubquery$;

/**
 * Shim, Spark 3.5: a {@link Column} and the Catalyst {@link Expression} behind it. A 3.x
 * Column wraps its expression (Spark 4 made Column a client-side tree, see the spark-4 shim).
 */
public final class ColumnExpressions {
    private ColumnExpressions() {}

    /** The column of a resolved or unresolved Catalyst expression. */
    public static Column column(Expression expression) {
        return new Column(expression);
    }

    /** The Catalyst expression of a column. */
    public static Expression expression(Column column) {
        return column.expr();
    }

    /**
     * The single value of a one-row, one-column query, as a scalar subquery column
     * ({@code Dataset.scalar()} of Spark 4), with the expression's default arguments.
     */
    public static Column scalar(Dataset<Row> query) {
        ScalarSubquery$ subquery = ScalarSubquery$.MODULE$;
        return new Column(subquery.apply(query.logicalPlan(), subquery.apply$default$2(),
                subquery.apply$default$3(), subquery.apply$default$4(), subquery.apply$default$5(),
                subquery.apply$default$6()));
    }
}
