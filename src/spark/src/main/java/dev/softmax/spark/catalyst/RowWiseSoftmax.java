/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.spark.catalyst;

import dev.softmax.core.SoftmaxMode;
import dev.softmax.spark.NormalizerColumns;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.Cast;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.GetStructField;
import org.apache.spark.sql.catalyst.expressions.codegen.CodegenContext;
import org.apache.spark.sql.catalyst.expressions.codegen.ExprCode;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import scala.Option;

/**
 * {@code softmax(x, s)} and {@code log_softmax(x, s)}, where {@code s} is either a stored
 * state (BINARY, from {@code softmax_state}) or a finished normalizer (the STRUCT of
 * {@code softmax_normalizer}). The type of {@code s} is known only once the query is
 * resolved (DataFrame columns are built unresolved), so this expression picks its
 * implementation then, and evaluates it, in generated code too:
 *
 * <ul>
 *   <li>a state: {@link SoftmaxRuntime#softmax(double, byte[], int)}, which decodes and finishes
 *       the state (reused while consecutive rows carry the same one);
 *   <li>a normalizer: {@link SoftmaxRuntime#prob} on its fields, a few flops per row, whatever
 *       the order of the rows (the form to use after a join).
 * </ul>
 *
 * Both give the same bits for the same values. NULL when {@code x} or {@code s} is NULL.
 */
public final class RowWiseSoftmax extends ProductExpression {
    private static final long serialVersionUID = 1L;

    private final String name;
    private final boolean log;
    private final SoftmaxMode mode;
    private final Expression x;
    private final Expression s;
    /** The row's weight (a checked DOUBLE), or null for the unweighted function. */
    private final Expression w;
    private transient Expression implementation;

    /**
     * @param name the SQL name ({@code softmax} or {@code log_softmax})
     * @param log whether this is log_softmax
     * @param mode the mode a state must have (a normalizer carries its own)
     * @param x the checked value argument, as DOUBLE
     * @param s the checked state or normalizer argument ({@link SoftmaxArgument.Kind#STATE_OR_NORMALIZER})
     */
    public RowWiseSoftmax(String name, boolean log, SoftmaxMode mode, Expression x, Expression s) {
        this(name, log, mode, x, s, null);
    }

    /** The weighted form {@code name(x, s, w)}; w null is the unweighted one. */
    public RowWiseSoftmax(String name, boolean log, SoftmaxMode mode, Expression x, Expression s, Expression w) {
        this.w = w;
        this.name = Objects.requireNonNull(name, "name");
        this.log = log;
        this.mode = Objects.requireNonNull(mode, "mode");
        this.x = Objects.requireNonNull(x, "x");
        this.s = Objects.requireNonNull(s, "s");
    }

    boolean log() {
        return log;
    }

    SoftmaxMode mode() {
        return mode;
    }

    Expression x() {
        return x;
    }

    Expression s() {
        return s;
    }

    /** The weight, or null. */
    Expression w() {
        return w;
    }

    /** The expression this evaluates: chosen from the type of {@code s}, which must be resolved. */
    Expression implementation() {
        if (implementation == null) {
            implementation = s.dataType() instanceof StructType ? ofNormalizer() : ofState();
        }
        return implementation;
    }

    private Expression ofState() {
        if (w != null) {
            return SoftmaxFunctionRegistry.rowWise(name, log ? "weightedLogSoftmax" : "weightedSoftmax",
                    DataTypes.DoubleType, false, mode, x, new Cast(s, DataTypes.BinaryType, Option.empty()), w);
        }
        return SoftmaxFunctionRegistry.rowWise(name, log ? "logSoftmax" : "softmax", DataTypes.DoubleType, false,
                mode, x, new Cast(s, DataTypes.BinaryType, Option.empty()));
    }

    private Expression ofNormalizer() {
        StructType struct = (StructType) s.dataType();
        List<Expression> arguments = new ArrayList<>();
        arguments.add(x);
        if (w != null) {
            arguments.add(w);
        }
        for (String field : NormalizerColumns.ROW_WISE_FIELDS) {
            Expression value = new GetStructField(s, struct.fieldIndex(field), Option.apply(field));
            switch (field) {
                case NormalizerColumns.MODE:
                    arguments.add(invoke("modeOrdinal", DataTypes.IntegerType, value));
                    break;
                case NormalizerColumns.STATUS:
                    arguments.add(invoke("statusOrdinal", DataTypes.IntegerType, value));
                    break;
                case NormalizerColumns.TEMPERATURE:
                    arguments.add(invoke("checkedTemperature", DataTypes.DoubleType,
                            cast(value, DataTypes.DoubleType)));
                    break;
                default:
                    arguments.add(cast(value, NormalizerColumns.SCHEMA.apply(field).dataType()));
            }
        }
        String method = w != null ? (log ? "weightedLogProb" : "weightedProb") : (log ? "logProb" : "prob");
        return invoke(method, DataTypes.DoubleType, arguments.toArray(new Expression[0]));
    }

    private static Expression cast(Expression value, DataType type) {
        return value.dataType().equals(type) ? value : new Cast(value, type, Option.empty());
    }

    private static Expression invoke(String method, DataType type, Expression... arguments) {
        return SoftmaxFunctionRegistry.invoke(SoftmaxRuntime.class, method, type, false, List.of(arguments));
    }

    @Override
    public scala.collection.immutable.Seq<Expression> children() {
        return ScalaCollections.seq(w == null ? List.of(x, s) : List.of(x, s, w));
    }

    @Override
    public DataType dataType() {
        return DataTypes.DoubleType;
    }

    @Override
    public boolean nullable() {
        return true;
    }

    @Override
    public Object eval(InternalRow input) {
        return implementation().eval(input);
    }

    @Override
    public ExprCode doGenCode(CodegenContext context, ExprCode ev) {
        return implementation().genCode(context);
    }

    @Override
    public String prettyName() {
        return name;
    }

    @Override
    public String sql() {
        return name + "(" + x.sql() + ", " + s.sql() + (w == null ? "" : ", " + w.sql()) + ")";
    }

    @Override
    public String toString() {
        return name + "(" + x + ", " + s + (w == null ? "" : ", " + w) + ")";
    }

    // Product, as Spark's case classes (CatalystProduct): the constructor arguments, in order.

    @Override
    public Object[] fields() {
        return new Object[] {name, log, mode, x, s, w};
    }

    @Override
    public Expression withChildren(List<Expression> newChildren) {
        return new RowWiseSoftmax(name, log, mode, newChildren.get(0), newChildren.get(1),
                newChildren.size() > 2 ? newChildren.get(2) : null);
    }
}
