/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.spark.catalyst;

import java.util.List;
import java.util.Objects;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.codegen.CodegenContext;
import org.apache.spark.sql.catalyst.expressions.codegen.ExprCode;
import org.apache.spark.sql.types.DataType;

/**
 * An expression that evaluates to its one child unchanged, in interpreted and in generated code,
 * and adds only what Spark shows or checks: {@link SoftmaxArgument} (a type check naming the
 * function) and {@link SoftmaxCall} (the function's name in plans and errors).
 *
 * <p>Java cannot override the final {@code withNewChildrenInternal} bridge of Spark's
 * {@code UnaryExpression} (erased generics), so this one-child tree is written out here.
 */
public abstract class PassThroughExpression extends ProductExpression {
    private static final long serialVersionUID = 1L;

    private final Expression child;

    protected PassThroughExpression(Expression child) {
        this.child = Objects.requireNonNull(child, "child");
    }

    public final Expression child() {
        return child;
    }

    @Override
    public final scala.collection.immutable.Seq<Expression> children() {
        return ScalaCollections.seq(List.of(child));
    }

    @Override
    public final boolean foldable() {
        return child.foldable();
    }

    @Override
    public final DataType dataType() {
        return child.dataType();
    }

    @Override
    public final boolean nullable() {
        return child.nullable();
    }

    @Override
    public final Object eval(InternalRow input) {
        return child.eval(input);
    }

    @Override
    public final ExprCode doGenCode(CodegenContext context, ExprCode ev) {
        return child.genCode(context);
    }
}
