/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.spark;

import java.util.Arrays;
import java.util.Objects;
import java.util.function.Function;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.codegen.CodegenContext;
import org.apache.spark.sql.catalyst.expressions.codegen.ExprCode;
import org.apache.spark.sql.types.DataType;
import scala.jdk.javaapi.CollectionConverters;

/**
 * The named face of a row-wise softmax function: evaluates its child (a {@code StaticInvoke}
 * of {@link SoftmaxRuntime}) unchanged, in generated code too, but prints as
 * {@code name(arguments)}, so a query's column is called {@code softmax(x, s)} and EXPLAIN
 * reads like Spark's own functions. Only the first {@code shownArguments} children of the
 * invoke are user arguments; the rest (the mode) are constants.
 */
public final class SoftmaxCall extends Expression implements java.io.Serializable {
    private static final long serialVersionUID = 1L;

    private final Expression child;
    private final String name;
    private final int shownArguments;

    public SoftmaxCall(Expression child, String name, int shownArguments) {
        this.child = Objects.requireNonNull(child, "child");
        this.name = Objects.requireNonNull(name, "name");
        this.shownArguments = shownArguments;
    }

    public Expression child() {
        return child;
    }

    @Override
    public scala.collection.immutable.Seq<Expression> children() {
        return SoftmaxFunctionRegistry.seq(java.util.List.of(child));
    }

    @Override
    public boolean foldable() {
        return child.foldable();
    }

    public String name() {
        return name;
    }

    public int shownArguments() {
        return shownArguments;
    }

    @Override
    public DataType dataType() {
        return child.dataType();
    }

    @Override
    public boolean nullable() {
        return child.nullable();
    }

    @Override
    public Object eval(InternalRow input) {
        return child.eval(input);
    }

    @Override
    public ExprCode doGenCode(CodegenContext context, ExprCode ev) {
        return child.genCode(context);
    }

    @Override
    public String prettyName() {
        return name;
    }

    @Override
    public String sql() {
        return render(Expression::sql);
    }

    @Override
    public String toString() {
        return render(Expression::toString);
    }

    private String render(Function<Expression, String> text) {
        StringBuilder out = new StringBuilder(name).append('(');
        int i = 0;
        for (Expression argument : CollectionConverters.asJava(child.children())) {
            if (i == shownArguments) {
                break;
            }
            if (i++ > 0) {
                out.append(", ");
            }
            out.append(text.apply(argument));
        }
        return out.append(')').toString();
    }

    // Java cannot override the final withNewChildrenInternal bridge of UnaryExpression (erased
    // generics), so this extends Expression and implements the one-child tree by hand.
    @Override
    public Expression withNewChildrenInternal(scala.collection.immutable.IndexedSeq<Expression> newChildren) {
        Expression newChild = newChildren.apply(0);
        return new SoftmaxCall(newChild, name, shownArguments);
    }

    // Product, as Spark's case classes: the constructor arguments, in order (TreeNode.makeCopy
    // copies a node with them); equality and hash over the same.

    private Object[] fields() {
        return new Object[] {child, name, shownArguments};
    }

    @Override
    public int productArity() {
        return fields().length;
    }

    @Override
    public Object productElement(int n) {
        return fields()[n];
    }

    @Override
    public boolean canEqual(Object other) {
        return other instanceof SoftmaxCall;
    }

    @Override
    public boolean equals(Object other) {
        return this == other || other instanceof SoftmaxCall that && Arrays.equals(fields(), that.fields());
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(fields());
    }
}
