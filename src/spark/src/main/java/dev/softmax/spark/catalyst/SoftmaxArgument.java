/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.spark.catalyst;

import dev.softmax.spark.NormalizerColumns;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.spark.sql.AnalysisException;
import org.apache.spark.sql.catalyst.analysis.TypeCheckResult;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.BinaryType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.NullType;
import org.apache.spark.sql.types.NumericType;

/**
 * A transparent wrapper around one argument of a softmax function that checks its type at
 * analysis, before Spark's implicit casts could turn a string column into doubles.
 *
 * <p>It evaluates to its child unchanged (in generated code too), prints as its child, and
 * fails analysis with Spark's {@code UNEXPECTED_INPUT_TYPE} error naming the function, the
 * argument and the accepted types. The builders of {@link SoftmaxFunctionRegistry} wrap every
 * argument in one, so SQL and the DataFrame API (whose columns are still unresolved when the
 * expression is built) check the same way.
 */
public final class SoftmaxArgument extends PassThroughExpression {
    private static final long serialVersionUID = 1L;

    /** What an argument accepts. */
    public enum Kind {
        /** Any numeric type (cast to double) or NULL. */
        NUMERIC("\"NUMERIC\" (TINYINT, SMALLINT, INT, BIGINT, FLOAT, DOUBLE or DECIMAL)"),
        /** A state from softmax_state or softmax_state_merge (BINARY) or NULL. */
        STATE("\"BINARY\" (a state from softmax_state or softmax_state_merge)"),
        /** A state (BINARY) or a finished normalizer (the STRUCT of softmax_normalizer), or NULL. */
        STATE_OR_NORMALIZER("\"BINARY\" (a state from softmax_state or softmax_state_merge) or "
                + "\"STRUCT\" (a normalizer from softmax_normalizer, with the fields "
                + NormalizerColumns.ROW_WISE_FIELDS + ")"),
        /** An array of a numeric type or NULL. */
        NUMERIC_ARRAY("\"ARRAY<NUMERIC>\" (an array of TINYINT, SMALLINT, INT, BIGINT, FLOAT, DOUBLE or DECIMAL)");

        private final String description;

        Kind(String description) {
            this.description = description;
        }

        /** The accepted types, as the error message names them. */
        public String description() {
            return description;
        }

        boolean accepts(DataType type) {
            if (type instanceof NullType) {
                return true;
            }
            switch (this) {
                case NUMERIC:
                    return type instanceof NumericType;
                case STATE:
                    return type instanceof BinaryType;
                case STATE_OR_NORMALIZER:
                    return type instanceof BinaryType || NormalizerColumns.isNormalizer(type);
                case NUMERIC_ARRAY:
                    return type instanceof ArrayType
                            && (((ArrayType) type).elementType() instanceof NumericType
                                    || ((ArrayType) type).elementType() instanceof NullType);
                default:
                    throw new AssertionError(this);
            }
        }
    }

    private final String function;
    private final int position;
    private final String argument;
    private final Kind kind;

    /**
     * @param child the argument
     * @param function the SQL name of the function
     * @param position 1-based position of the argument
     * @param argument the argument's name in the function's usage
     * @param kind what the argument accepts
     */
    public SoftmaxArgument(Expression child, String function, int position, String argument, Kind kind) {
        super(child);
        this.function = Objects.requireNonNull(function, "function");
        this.position = position;
        this.argument = Objects.requireNonNull(argument, "argument");
        this.kind = Objects.requireNonNull(kind, "kind");
    }

    public String function() {
        return function;
    }

    public int position() {
        return position;
    }

    public String argument() {
        return argument;
    }

    public Kind kind() {
        return kind;
    }

    /**
     * Spark's analyzer asks every resolved expression for this; a wrong type fails the query
     * here with the function's name rather than somewhere inside a cast.
     */
    @Override
    public TypeCheckResult checkInputDataTypes() {
        if (child().resolved() && !kind.accepts(child().dataType())) {
            throw SoftmaxFunctionRegistry.sneakyThrow(wrongType());
        }
        return TypeCheckResult.TypeCheckSuccess$.MODULE$;
    }

    AnalysisException wrongType() {
        Map<String, String> parameters = new LinkedHashMap<>();
        parameters.put("paramIndex", position + " (" + argument + ")");
        parameters.put("functionName", "`" + function + "`");
        parameters.put("requiredType", kind.description());
        parameters.put("inputSql", "\"" + child().sql() + "\"");
        parameters.put("inputType", "\"" + child().dataType().sql() + "\"");
        return new AnalysisException("UNEXPECTED_INPUT_TYPE",
                ScalaCollections.map(parameters));
    }

    @Override
    public String sql() {
        return child().sql();
    }

    @Override
    public String toString() {
        return child().toString();
    }

    // Product, as Spark's case classes (CatalystProduct): the constructor arguments, in order.

    @Override
    public Object[] fields() {
        return new Object[] {child(), function, position, argument, kind};
    }

    @Override
    public Expression withChildren(List<Expression> newChildren) {
        Expression newChild = newChildren.get(0);
        return new SoftmaxArgument(newChild, function, position, argument, kind);
    }
}
