/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.spark.catalyst;

import dev.softmax.core.LogSumExpAccumulator;
import dev.softmax.spark.AccumulatorAggregator;
import dev.softmax.spark.ValueAggregator;
import java.util.List;
import java.util.Objects;
import org.apache.spark.sql.catalyst.CatalystTypeConverters;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.BoundReference;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.aggregate.ImperativeAggregate;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DoubleType;
import org.apache.spark.sql.vectorized.ColumnVector;
import org.apache.spark.sql.vectorized.ColumnarBatch;
import scala.Function1;

/**
 * The Catalyst form of the project's aggregators: runs one {@link AccumulatorAggregator}
 * (its {@code zero}, {@code reduce}, {@code merge} and {@code finish}) directly on Spark's
 * internal rows, with the core's bytes between stages.
 *
 * <p>Spark's own wrapper of an {@link org.apache.spark.sql.expressions.Aggregator}
 * ({@code ScalaAggregator}) copies every input row into an {@code UnsafeRow} and runs an
 * encoder's deserializer on it before {@code reduce}; this aggregate passes the input
 * column's value (a {@code Double}, or the {@code byte[]} of a state) straight to
 * {@code reduce}, which is the same value the deserializer would build. The buffer and the
 * arithmetic are the aggregator's, so the results are the same bits
 * ({@code SoftmaxAggregateTest}); only the per-row overhead is gone. The buffer lives in
 * Spark's object hash aggregate, falling back to sorting as Spark decides.
 */
public final class SoftmaxAggregate extends ProductTypedImperativeAggregate<LogSumExpAccumulator> {
    private static final long serialVersionUID = 1L;

    private final String name;
    private final AccumulatorAggregator<Object, Object> aggregator;
    private final Expression child;
    private final int mutableAggBufferOffset;
    private final int inputAggBufferOffset;
    private final DataType dataType;
    private transient Function1<Object, Object> toCatalyst;
    // Transient and set on first use (a deserialized copy starts with the defaults):
    private transient boolean inputKnown;
    private transient int doubleColumn;
    /** The weight's DOUBLE column for a weighted aggregate over two bound columns, else -1. */
    private transient int weightColumn;
    /** A weighted aggregate's x and w when they are not both bound columns (else null): evaluated one by one. */
    private transient Expression weightedX;
    private transient Expression weightedW;
    private transient double temperature;

    /** {@code name(child)}: folds the values of {@code child} with {@code aggregator}. */
    public SoftmaxAggregate(String name, AccumulatorAggregator<?, ?> aggregator, Expression child) {
        this(name, aggregator, child, 0, 0);
    }

    /** As Catalyst copies it: the constructor arguments are the product's elements. */
    @SuppressWarnings("unchecked")
    public SoftmaxAggregate(String name, AccumulatorAggregator<?, ?> aggregator, Expression child,
            int mutableAggBufferOffset, int inputAggBufferOffset) {
        this.name = Objects.requireNonNull(name, "name");
        this.aggregator = (AccumulatorAggregator<Object, Object>) Objects.requireNonNull(aggregator, "aggregator");
        this.child = Objects.requireNonNull(child, "child");
        this.mutableAggBufferOffset = mutableAggBufferOffset;
        this.inputAggBufferOffset = inputAggBufferOffset;
        this.dataType = EncoderTypes.dataType(aggregator.outputEncoder());
    }

    public AccumulatorAggregator<?, ?> aggregator() {
        return aggregator;
    }

    public Expression child() {
        return child;
    }

    @Override
    public LogSumExpAccumulator createAggregationBuffer() {
        return aggregator.zero();
    }

    @Override
    public LogSumExpAccumulator update(LogSumExpAccumulator buffer, InternalRow input) {
        knowInput();
        if (weightColumn >= 0) {
            // A weighted aggregate over two DOUBLE columns: read both unboxed, as
            // WeightedAggregator.reduce does with the struct (a NULL x or w skips the row)
            if (!input.isNullAt(doubleColumn) && !input.isNullAt(weightColumn)) {
                double x = input.getDouble(doubleColumn);
                buffer.accept(scaled(x), input.getDouble(weightColumn));
            }
            return buffer;
        }
        if (weightedX != null) {
            // A weighted aggregate over expressions (a weight x * x, 1.0 / n): each field on its
            // own, without the struct row the child would build
            Object x = weightedX.eval(input);
            Object w = x == null ? null : weightedW.eval(input);
            if (w != null) {
                double value = (Double) x;
                buffer.accept(scaled(value), (Double) w);
            }
            return buffer;
        }
        if (doubleColumn >= 0) {
            // The common case, a DOUBLE column of the input row: read it unboxed and fold it as
            // ValueAggregator.reduce does (x / T, the division skipped for T = 1).
            if (!input.isNullAt(doubleColumn)) {
                double x = input.getDouble(doubleColumn);
                buffer.accept(scaled(x));
            }
            return buffer;
        }
        // The internal value of a DOUBLE column is a Double and of a BINARY one a byte[]: the
        // aggregator's input types (a null input is skipped by reduce).
        return aggregator.reduce(buffer, child.eval(input));
    }

    /**
     * Folds the rows of a columnar batch (a scan's, not turned into rows), as {@link
     * #update(LogSumExpAccumulator, InternalRow)} folds each of them: a DOUBLE column (and a
     * DOUBLE weight column) read straight from its vectors, anything else row by row.
     */
    public LogSumExpAccumulator update(LogSumExpAccumulator buffer, ColumnarBatch batch) {
        knowInput();
        int rows = batch.numRows();
        if (doubleColumn < 0) {
            java.util.Iterator<InternalRow> each = batch.rowIterator();
            LogSumExpAccumulator folded = buffer;
            while (each.hasNext()) {
                folded = update(folded, each.next());
            }
            return folded;
        }
        ColumnVector values = batch.column(doubleColumn);
        if (weightColumn >= 0) {
            ColumnVector weights = batch.column(weightColumn);
            for (int i = 0; i < rows; i++) {
                if (!values.isNullAt(i) && !weights.isNullAt(i)) {
                    double x = values.getDouble(i);
                    buffer.accept(scaled(x), weights.getDouble(i));
                }
            }
        } else if (!values.hasNull() && temperature == 1.0) {
            for (int i = 0; i < rows; i++) {
                buffer.accept(values.getDouble(i));
            }
        } else {
            for (int i = 0; i < rows; i++) {
                if (!values.isNullAt(i)) {
                    double x = values.getDouble(i);
                    buffer.accept(scaled(x));
                }
            }
        }
        return buffer;
    }

    /** x / T, as the aggregator folds it: the division skipped for T = 1. */
    private double scaled(double x) {
        return temperature == 1.0 ? x : x / temperature;
    }

    /** Reads the shape of the (bound) input once: which of the fast paths of update applies. */
    private void knowInput() {
        if (!inputKnown) {
            weightColumn = -1;
            weightedX = null;
            weightedW = null;
            doubleColumn = doubleColumn();
            inputKnown = true;
        }
    }

    /**
     * The ordinal of the input row's column that the values are, when they are a bound DOUBLE
     * column (a {@link SoftmaxArgument} around it is transparent) and the aggregator folds
     * values; -1 otherwise.
     */
    private int doubleColumn() {
        Object weighted = aggregator;
        if (weighted instanceof WeightedAggregator weightedAggregator
                && child instanceof org.apache.spark.sql.catalyst.expressions.CreateNamedStruct struct) {
            List<Expression> values = ScalaCollections.list(struct.valExprs());
            int x = boundDouble(values.get(0));
            int w = boundDouble(values.get(1));
            temperature = weightedAggregator.temperature();
            if (x >= 0 && w >= 0) {
                weightColumn = w;
                return x;
            }
            weightedX = values.get(0);
            weightedW = values.get(1);
            return -1;
        }
        Expression values = child instanceof SoftmaxArgument argument ? argument.child() : child;
        Object folds = aggregator;
        if (folds instanceof ValueAggregator<?> valueAggregator && values instanceof BoundReference column
                && column.dataType() instanceof DoubleType) {
            temperature = valueAggregator.temperature();
            return column.ordinal();
        }
        return -1;
    }

    /** The ordinal of a bound DOUBLE column (a {@link SoftmaxArgument} around it is transparent), else -1. */
    private static int boundDouble(Expression expression) {
        Expression e = expression instanceof SoftmaxArgument argument ? argument.child() : expression;
        return e instanceof BoundReference column && column.dataType() instanceof DoubleType ? column.ordinal() : -1;
    }

    @Override
    public LogSumExpAccumulator merge(LogSumExpAccumulator buffer, LogSumExpAccumulator input) {
        return aggregator.merge(buffer, input);
    }

    @Override
    public Object eval(LogSumExpAccumulator buffer) {
        if (toCatalyst == null) {
            toCatalyst = CatalystTypeConverters.createToCatalystConverter(dataType);
        }
        return toCatalyst.apply(aggregator.finish(buffer));
    }

    @Override
    public byte[] serialize(LogSumExpAccumulator buffer) {
        return buffer.toBytes();
    }

    @Override
    public LogSumExpAccumulator deserialize(byte[] bytes) {
        return LogSumExpAccumulator.fromBytes(bytes, aggregator.mode());
    }

    @Override
    public int mutableAggBufferOffset() {
        return mutableAggBufferOffset;
    }

    @Override
    public int inputAggBufferOffset() {
        return inputAggBufferOffset;
    }

    @Override
    public ImperativeAggregate withNewMutableAggBufferOffset(int offset) {
        return new SoftmaxAggregate(name, aggregator, child, offset, inputAggBufferOffset);
    }

    @Override
    public ImperativeAggregate withNewInputAggBufferOffset(int offset) {
        return new SoftmaxAggregate(name, aggregator, child, mutableAggBufferOffset, offset);
    }

    @Override
    public scala.collection.immutable.Seq<Expression> children() {
        return ScalaCollections.seq(List.of(child));
    }

    @Override
    public DataType dataType() {
        return dataType;
    }

    @Override
    public boolean nullable() {
        return true;
    }

    @Override
    public String prettyName() {
        return name;
    }

    // Product, as Spark's case classes (CatalystProduct): the constructor arguments, in order.

    @Override
    public Object[] fields() {
        return new Object[] {name, aggregator, child, mutableAggBufferOffset, inputAggBufferOffset};
    }

    @Override
    public Expression withChildren(List<Expression> newChildren) {
        return new SoftmaxAggregate(name, aggregator, newChildren.get(0), mutableAggBufferOffset,
                inputAggBufferOffset);
    }
}
