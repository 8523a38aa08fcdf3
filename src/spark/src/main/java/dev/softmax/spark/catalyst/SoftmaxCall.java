/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.spark.catalyst;

import java.util.List;
import java.util.Objects;
import java.util.function.Function;
import org.apache.spark.sql.catalyst.expressions.Expression;

/**
 * The named face of a row-wise softmax function: evaluates its child (a {@code StaticInvoke}
 * of {@link SoftmaxRuntime}) unchanged, in generated code too, but prints as
 * {@code name(arguments)}, so a query's column is called {@code softmax(x, s)} and EXPLAIN
 * reads like Spark's own functions. Only the first {@code shownArguments} children of the
 * invoke are user arguments; the rest (the mode) are constants.
 */
public final class SoftmaxCall extends PassThroughExpression {
    private static final long serialVersionUID = 1L;

    private final String name;
    private final int shownArguments;

    public SoftmaxCall(Expression child, String name, int shownArguments) {
        super(child);
        this.name = Objects.requireNonNull(name, "name");
        this.shownArguments = shownArguments;
    }

    public String name() {
        return name;
    }

    public int shownArguments() {
        return shownArguments;
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
        for (Expression argument : ScalaCollections.list(child().children())) {
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

    // Product, as Spark's case classes (CatalystProduct): the constructor arguments, in order.

    @Override
    public Object[] fields() {
        return new Object[] {child(), name, shownArguments};
    }

    @Override
    public Expression withChildren(List<Expression> newChildren) {
        Expression newChild = newChildren.get(0);
        return new SoftmaxCall(newChild, name, shownArguments);
    }
}
