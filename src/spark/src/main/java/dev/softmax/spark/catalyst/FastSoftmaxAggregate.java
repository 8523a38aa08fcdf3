/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.spark.catalyst;

import dev.softmax.core.FastLogSumExp;
import dev.softmax.spark.AccumulatorAggregator;
import dev.softmax.spark.LogSumExpAggregator;
import dev.softmax.spark.NormalizerAggregator;
import dev.softmax.spark.NormalizerColumns;
import dev.softmax.spark.SoftmaxStateAggregator;
import java.util.List;
import java.util.Objects;
import org.apache.spark.sql.catalyst.expressions.AttributeReference;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.If;
import org.apache.spark.sql.catalyst.expressions.IsNull;
import org.apache.spark.sql.catalyst.expressions.Literal;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.Metadata;
import scala.collection.immutable.Seq;

/**
 * The fast-mode aggregates ({@code logsumexp}, {@code softmax_state}, the normalizer of
 * {@code softmax(df)}) as a Catalyst {@code DeclarativeAggregate}: the five fields of
 * {@link FastLogSumExp} live in Spark's own aggregation buffer and are updated by
 * {@link FastLogSumExp}'s field-wise functions, so the aggregate runs in Spark's
 * code-generated hash aggregate like the builtin {@code sum}, with the bits of the core's
 * {@code accept} and {@code combine} (checked by {@code FastSoftmaxAggregateTest}). The result
 * is built once per group from the fields ({@link FastLogSumExp#restore}).
 *
 * <p>The exact mode's state (bins of 32-bit chunks) does not fit a fixed buffer of a few
 * fields; it stays a {@link SoftmaxAggregate}.
 */
public final class FastSoftmaxAggregate extends ProductDeclarativeAggregate {
    private static final long serialVersionUID = 1L;

    /** What the aggregate returns, and the {@link SoftmaxRuntime} method that builds it from the fields. */
    public enum Output {
        /** {@code logsumexp(x)}: a DOUBLE, NULL when there is no non-null value. */
        LOGSUMEXP(DataTypes.DoubleType, "fastLogSumExp"),
        /** {@code softmax_state(x)}: the core's bytes, NULL when there is no non-null value. */
        STATE(DataTypes.BinaryType, "fastState"),
        /** The finished normalizer struct ({@link NormalizerColumns#SCHEMA}), never NULL. */
        NORMALIZER(NormalizerColumns.SCHEMA, "fastNormalizer");

        private final DataType type;
        private final String method;

        Output(DataType type, String method) {
            this.type = type;
            this.method = method;
        }

        /** The output of a project aggregator, or null if it has no fast declarative form. */
        static Output of(AccumulatorAggregator<?, ?> aggregator) {
            if (aggregator instanceof LogSumExpAggregator) {
                return LOGSUMEXP;
            }
            if (aggregator instanceof SoftmaxStateAggregator) {
                return STATE;
            }
            if (aggregator instanceof NormalizerAggregator) {
                return NORMALIZER;
            }
            return null;
        }
    }

    private final String name;
    private final Output output;
    private final double temperature;
    private final Expression child;
    private AttributeReference[] buffer;

    /**
     * @param name the SQL name
     * @param output what to return
     * @param temperature the values are divided by it (checked by the caller)
     * @param child the values, as DOUBLE
     */
    public FastSoftmaxAggregate(String name, Output output, double temperature, Expression child) {
        this.name = Objects.requireNonNull(name, "name");
        this.output = Objects.requireNonNull(output, "output");
        this.temperature = temperature;
        this.child = Objects.requireNonNull(child, "child");
    }

    /** count, flags, max, max_count, sum: created once per instance, as Spark's own aggregates do. */
    private AttributeReference[] buffer() {
        if (buffer == null) {
            buffer = new AttributeReference[] {
                attribute("count", DataTypes.LongType),
                attribute("flags", DataTypes.IntegerType),
                attribute("max", DataTypes.DoubleType),
                attribute("max_count", DataTypes.LongType),
                attribute("sum", DataTypes.DoubleType),
            };
        }
        return buffer;
    }

    private static AttributeReference attribute(String field, DataType type) {
        return new AttributeReference(field, type, false, Metadata.empty(),
                org.apache.spark.sql.catalyst.expressions.NamedExpression.newExprId(),
                ScalaCollections.seq(List.of()));
    }

    @Override
    public Seq<AttributeReference> aggBufferAttributes() {
        return ScalaCollections.seq(List.of(buffer()));
    }

    @Override
    public Seq<Expression> initialValues() {
        return ScalaCollections.seq(List.of(
                Literal.create(0L, DataTypes.LongType),
                Literal.create(0, DataTypes.IntegerType),
                Literal.create(Double.NEGATIVE_INFINITY, DataTypes.DoubleType),
                Literal.create(0L, DataTypes.LongType),
                Literal.create(0.0, DataTypes.DoubleType)));
    }

    @Override
    public Seq<Expression> updateExpressions() {
        AttributeReference[] b = buffer();
        Expression x = temperature == 1.0
                ? child
                : invoke(SoftmaxRuntime.class, "divide", DataTypes.DoubleType, child,
                        Literal.create(temperature, DataTypes.DoubleType));
        Expression isNull = new IsNull(x);
        // Every field from the fields before the step, as FastLogSumExp.accept does.
        return ScalaCollections.seq(List.of(
                new If(isNull, b[0], invoke(SoftmaxRuntime.class, "increment", DataTypes.LongType, b[0])),
                new If(isNull, b[1], invoke(FastLogSumExp.class, "foldFlags", DataTypes.IntegerType, b[1], x)),
                new If(isNull, b[2], invoke(FastLogSumExp.class, "foldMax", DataTypes.DoubleType, b[2], x)),
                new If(isNull, b[3], invoke(FastLogSumExp.class, "foldMaxCount", DataTypes.LongType, b[2], b[3], x)),
                new If(isNull, b[4], invoke(FastLogSumExp.class, "foldSum", DataTypes.DoubleType, b[2], b[4], x))));
    }

    @Override
    public Seq<Expression> mergeExpressions() {
        AttributeReference[] l = buffer();
        Expression[] r = new Expression[l.length];
        for (int i = 0; i < l.length; i++) {
            r[i] = RichAttribute(l[i]).right();
        }
        // As FastLogSumExp.combine: left is this buffer, right the other.
        return ScalaCollections.seq(List.of(
                invoke(SoftmaxRuntime.class, "add", DataTypes.LongType, l[0], r[0]),
                invoke(SoftmaxRuntime.class, "or", DataTypes.IntegerType, l[1], r[1]),
                invoke(FastLogSumExp.class, "mergeMax", DataTypes.DoubleType, l[1], l[2], r[1], r[2]),
                invoke(FastLogSumExp.class, "mergeMaxCount", DataTypes.LongType, l[1], l[2], l[3], r[1], r[2], r[3]),
                invoke(FastLogSumExp.class, "mergeSum", DataTypes.DoubleType, l[1], l[2], l[4], r[1], r[2], r[4])));
    }

    @Override
    public Expression evaluateExpression() {
        List<Expression> fields = new java.util.ArrayList<>(List.of(buffer()));
        if (output == Output.NORMALIZER) {
            fields.add(Literal.create(temperature, DataTypes.DoubleType)); // a column of the normalizer
        }
        return SoftmaxFunctionRegistry.invoke(SoftmaxRuntime.class, output.method, output.type, true, fields);
    }

    private static Expression invoke(Class<?> owner, String method, DataType type, Expression... arguments) {
        return SoftmaxFunctionRegistry.invoke(owner, method, type, false, List.of(arguments));
    }

    @Override
    public Seq<Expression> children() {
        return ScalaCollections.seq(List.of(child));
    }

    @Override
    public DataType dataType() {
        return output.type;
    }

    @Override
    public boolean nullable() {
        return output != Output.NORMALIZER;
    }

    @Override
    public String prettyName() {
        return name;
    }

    // Product, as Spark's case classes (CatalystProduct): the constructor arguments, in order.

    @Override
    public Object[] fields() {
        return new Object[] {name, output, temperature, child};
    }

    @Override
    public Expression withChildren(List<Expression> newChildren) {
        return new FastSoftmaxAggregate(name, output, temperature, newChildren.get(0));
    }
}
