/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.spark.catalyst;

import dev.softmax.core.SoftmaxException;
import dev.softmax.core.SoftmaxMode;
import dev.softmax.spark.AccumulatorAggregator;
import dev.softmax.spark.LogSumExpAggregator;
import dev.softmax.spark.NormalizerAggregator;
import dev.softmax.spark.SoftmaxFunctions;
import dev.softmax.spark.SoftmaxStateAggregator;
import dev.softmax.spark.SoftmaxStateMergeAggregator;
import dev.softmax.spark.ValueAggregator;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.SparkThrowableHelper$;
import org.apache.spark.sql.AnalysisException;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.catalyst.FunctionIdentifier;
import org.apache.spark.sql.catalyst.expressions.Cast;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.ExpressionInfo;
import org.apache.spark.sql.catalyst.expressions.Literal;
import org.apache.spark.sql.catalyst.expressions.aggregate.AggregateFunction;
import org.apache.spark.sql.catalyst.expressions.objects.StaticInvoke;
import org.apache.spark.sql.errors.QueryCompilationErrors;
import org.apache.spark.sql.expressions.Aggregator;
import org.apache.spark.sql.internal.SQLConf;
import org.apache.spark.sql.types.AbstractDataType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import scala.Option;

/**
 * The one table of the project's SQL functions: name, {@link ExpressionInfo} (the text of
 * {@code DESCRIBE FUNCTION EXTENDED}) and builder. {@link SparkSoftmax#register} and
 * {@link SoftmaxExtensions} register exactly these; {@link SoftmaxFunctions} builds its
 * columns with the same builders, so SQL and the DataFrame API run the same expressions.
 *
 * <p>Aggregates are {@link SoftmaxAggregate}s running the project's {@link Aggregator}s
 * on internal rows (the buffer is a live core accumulator inside a task, the core's bytes
 * between stages).
 * Row-wise functions are a {@code StaticInvoke} of {@link SoftmaxRuntime} with Catalyst's
 * internal types, named by {@link SoftmaxCall}. Every argument is wrapped in a
 * {@link SoftmaxArgument}, which fails analysis on a wrong type, then cast to DOUBLE, BINARY
 * or ARRAY&lt;DOUBLE&gt;: a numeric to double cast cannot fail, with ANSI on or off.
 *
 * <p>These are Catalyst APIs that change between Spark minor versions: what differs between the
 * supported lines lives in the shim classes ({@link ColumnExpressions}, {@link StaticInvokes},
 * {@link FunctionIdentifiers}, {@link ScalaCollections}, {@link FunctionBuilder}), one copy per
 * line under {@code src/spark/src/shims}.
 */
public final class SoftmaxFunctionRegistry {

    /** Session conf naming the mode of the SQL functions: {@code exact} (default) or {@code fast}. */
    public static final String MODE_CONF = "spark.softmax.mode";

    /** Version of the first release with these functions ({@code since} in DESCRIBE FUNCTION). */
    static final String SINCE = "0.1.0";

    /** How a definition builds its expression from its name, the arguments and a mode. */
    @FunctionalInterface
    interface Builder {
        Expression build(String name, List<Expression> arguments, SoftmaxMode mode);
    }

    /** One SQL function: its name, its description and how to build it. */
    public static final class Definition {
        private final String name;
        private final ExpressionInfo info;
        private final int minArity;
        private final int maxArity;
        private final Builder builder;

        /** The name, written once: DESCRIBE's text, the builder and the errors all take it from here. */
        Definition(String name, String usage, String arguments, String examples, String group, int arity,
                Builder builder) {
            this(name, usage, arguments, examples, group, arity, arity, builder);
        }

        /** A function with optional trailing arguments: minArity to maxArity arguments. */
        Definition(String name, String usage, String arguments, String examples, String group, int minArity,
                int maxArity, Builder builder) {
            this.name = name;
            this.info = SoftmaxFunctionRegistry.info(name, usage, arguments, examples, group);
            this.minArity = minArity;
            this.maxArity = maxArity;
            this.builder = builder;
        }

        public String name() {
            return name;
        }

        public ExpressionInfo info() {
            return info;
        }

        /** The unqualified name, as {@code SparkSessionExtensions.injectFunction} takes it. */
        public FunctionIdentifier identifier() {
            return FunctionIdentifier.apply(name);
        }

        /** The name under which {@code SparkSoftmax.register} puts it in a session's registry. */
        public FunctionIdentifier sessionIdentifier() {
            return FunctionIdentifiers.session(name);
        }

        /** Builds the expression with the given mode; wrong arity is Spark's WRONG_NUM_ARGS error. */
        public Expression build(List<Expression> arguments, SoftmaxMode mode) {
            if (arguments.size() < minArity || arguments.size() > maxArity) {
                List<Object> valid = new ArrayList<>();
                for (int n = minArity; n <= maxArity; n++) {
                    valid.add(n);
                }
                throw sneakyThrow(QueryCompilationErrors.wrongNumArgsError(
                        name,
                        ScalaCollections.seq(valid),
                        arguments.size(), "", "", ""));
            }
            return builder.build(name, arguments, mode);
        }

        /** The builder Spark's function registry calls: the mode comes from {@value #MODE_CONF}. */
        public FunctionBuilder sparkBuilder() {
            return new SparkBuilder(this);
        }
    }

    private static final class SparkBuilder extends FunctionBuilder {
        private final Definition definition;

        SparkBuilder(Definition definition) {
            this.definition = definition;
        }

        @Override
        protected Expression build(List<Expression> arguments) {
            return definition.build(arguments, sessionMode());
        }
    }

    private static final List<Definition> DEFINITIONS;
    private static final Map<String, Definition> BY_NAME;

    static {
        List<Definition> all = new ArrayList<>();
        all.add(new Definition("logsumexp",
                "_FUNC_(x[, w]) - Returns log(sum(exp(x))) over the non-null values of x, computed without "
                        + "overflow; NULL when there is none. With weights, log(sum(w * exp(x))) over the rows "
                        + "where x and w are non-null (scipy's b): a weight 0 removes its row, a negative sum "
                        + "gives NaN and a zero sum -Infinity.",
                "\n    Arguments:\n"
                        + "      * x - a numeric column, cast to DOUBLE. For a temperature T, write x / T.\n"
                        + "      * w - optional weights, a numeric column cast to DOUBLE, of any sign.\n",
                "\n    Examples:\n"
                        + "      > SELECT _FUNC_(x) FROM VALUES (1000D), (1000D) AS t(x);\n"
                        + "       1000.6931471805599\n"
                        + "      > SELECT g, _FUNC_(x) FROM VALUES ('a', 0D), ('a', 0D), ('b', NULL) AS t(g, x)"
                        + " GROUP BY g;\n"
                        + "       a\t0.6931471805599453\n"
                        + "       b\tNULL\n  ",
                "agg_funcs", 1, 2,
                (name, arguments, mode) -> arguments.size() == 2
                        ? weighted(name, mode, WeightedAggregator.Output.LOGSUMEXP, arguments)
                        : aggregate(name, new LogSumExpAggregator(mode, 1.0),
                                numeric(arguments.get(0), name, 1, "x"))));
        all.add(new Definition("signed_logsumexp",
                "_FUNC_(x[, w]) - Returns log(abs(S)) and the sign of S, S = sum(w * exp(x)) over the rows "
                        + "where x and w are non-null, as a STRUCT<value DOUBLE, sign DOUBLE> (scipy's "
                        + "return_sign): sign is 1, -1 or 0, and S = 0 exactly gives value -Infinity and sign 0. "
                        + "Exact mode sums the terms exactly, so terms of equal x cancel exactly. NULL when no "
                        + "row counts.",
                "\n    Arguments:\n"
                        + "      * x - a numeric column, cast to DOUBLE. For a temperature T, write x / T.\n"
                        + "      * w - optional weights (1 when left out), a numeric column cast to DOUBLE, of any "
                        + "sign.\n",
                "\n    Examples:\n"
                        + "      > SELECT s.value, s.sign FROM (SELECT _FUNC_(x, w) AS s FROM VALUES (1D, 1D), "
                        + "(1D, -1D) AS t(x, w));\n"
                        + "       -Infinity\t0.0\n"
                        + "      > SELECT _FUNC_(x, w).value FROM VALUES (0D, 2D), (0D, -1D) AS t(x, w);\n"
                        + "       0.0\n  ",
                "agg_funcs", 1, 2,
                (name, arguments, mode) -> weighted(name, mode, WeightedAggregator.Output.SIGNED, arguments)));
        all.add(new Definition("softmax_state",
                "_FUNC_(x[, w]) - Returns the softmax normalizer state of the non-null values of x: the "
                        + "versioned binary state of the core, recording its mode and format; NULL when there "
                        + "is no non-null value. Store it, merge it with softmax_state_merge, or use it with "
                        + "softmax(x, state), log_softmax(x, state) and logsumexp_of_state(state). With weights "
                        + "(rows where x or w is NULL skipped), a weighted state (format 2), which merges with "
                        + "unweighted ones.",
                "\n    Arguments:\n"
                        + "      * x - a numeric column, cast to DOUBLE. For a temperature T, write x / T.\n"
                        + "      * w - optional weights, a numeric column cast to DOUBLE, of any sign.\n",
                "\n    Examples:\n"
                        + "      > SELECT logsumexp_of_state(_FUNC_(x)) FROM VALUES (0D), (0D) AS t(x);\n"
                        + "       0.6931471805599453\n"
                        + "      > SELECT x, softmax(x, _FUNC_(x) OVER (PARTITION BY g))"
                        + " FROM VALUES ('a', 0D), ('a', 0D) AS t(g, x);\n"
                        + "       0.0\t0.5\n"
                        + "       0.0\t0.5\n  ",
                "agg_funcs", 1, 2,
                (name, arguments, mode) -> arguments.size() == 2
                        ? weighted(name, mode, WeightedAggregator.Output.STATE, arguments)
                        : aggregate(name, new SoftmaxStateAggregator(mode, 1.0),
                                numeric(arguments.get(0), name, 1, "x"))));
        all.add(new Definition("softmax_state_merge",
                "_FUNC_(state) - Merges states from softmax_state (or from earlier merges) into one, "
                        + "with the same bits as softmax_state over all the values in one pass (exact mode); "
                        + "NULL when there is no non-null state. A state of another mode or format is an error.",
                "\n    Arguments:\n"
                        + "      * state - a BINARY state from softmax_state or softmax_state_merge.\n",
                "\n    Examples:\n"
                        + "      > SELECT logsumexp_of_state(_FUNC_(s))"
                        + " FROM (SELECT softmax_state(x) AS s FROM VALUES (0D), (0D) AS t(x) GROUP BY x);\n"
                        + "       0.6931471805599453\n  ",
                "agg_funcs", 1,
                (name, arguments, mode) -> aggregate(name, new SoftmaxStateMergeAggregator(mode),
                        state(arguments.get(0), name, 1, "state"))));
        all.add(new Definition("softmax_normalizer",
                "_FUNC_(x[, w]) - Returns the finished softmax normalizer of the non-null values of x, as a "
                        + "STRUCT<mode, temperature, status, count, max, max_count, logsumexp, "
                        + "log_normalizer_high, log_normalizer_low>; status EMPTY when there is no non-null "
                        + "value. softmax(x, n) and log_softmax(x, n) read it with a few operations per row, "
                        + "so it is the form to join to the rows (with a BROADCAST hint when the groups fit "
                        + "in memory). Unlike a state, it cannot be merged. With weights (rows where x or w is NULL "
                        + "skipped), the normalizer of sum(w * exp(x)), for softmax(x, n, w) and log_softmax(x, n, w).",
                "\n    Arguments:\n"
                        + "      * x - a numeric column, cast to DOUBLE. For a temperature T, write x / T.\n"
                        + "      * w - optional weights, a numeric column cast to DOUBLE (a negative one makes the "
                        + "outputs NaN: status NEGATIVE_WEIGHT).\n",
                "\n    Examples:\n"
                        + "      > SELECT _FUNC_(x).logsumexp FROM VALUES (1000D), (1000D) AS t(x);\n"
                        + "       1000.6931471805599\n"
                        + "      > SELECT /*+ BROADCAST(n) */ t.x, softmax(t.x, n.s)"
                        + " FROM VALUES ('a', 0D), ('a', 0D) AS t(g, x)"
                        + " JOIN (SELECT g, _FUNC_(x) AS s FROM VALUES ('a', 0D), ('a', 0D) AS u(g, x) GROUP BY g) n"
                        + " ON t.g = n.g;\n"
                        + "       0.0\t0.5\n"
                        + "       0.0\t0.5\n  ",
                "agg_funcs", 1, 2,
                (name, arguments, mode) -> arguments.size() == 2
                        ? weighted(name, mode, WeightedAggregator.Output.NORMALIZER, arguments)
                        : aggregate(name, new NormalizerAggregator(mode, 1.0),
                                numeric(arguments.get(0), name, 1, "x"))));
        all.add(new Definition("softmax",
                "_FUNC_(x, state[, w]) - Returns exp(x) / sum(exp(v)) where the sum runs over the values "
                        + "the state was built from; NULL when x or state (or w) is NULL. NaN when the state "
                        + "holds a NaN or +Infinity, or only -Infinity; 0 for x = -Infinity beside finite "
                        + "values. With a weight, w * exp(x) / sum(w * exp(v)) for a weighted state: 0 for "
                        + "w = 0, NaN when the state holds a negative weight.",
                "\n    Arguments:\n"
                        + "      * x - a numeric column, cast to DOUBLE (divided by T if the state was built from"
                        + " x / T).\n"
                        + "      * state - a BINARY state from softmax_state or softmax_state_merge, or the STRUCT\n"
                        + "        normalizer from softmax_normalizer (no decode per row: the form to join to rows).\n"
                        + "      * w - optional: the row's weight, when the state was built with weights.\n",
                "\n    Examples:\n"
                        + "      > SELECT x, _FUNC_(x, softmax_state(x) OVER ()) FROM VALUES (0D), (0D) AS t(x);\n"
                        + "       0.0\t0.5\n"
                        + "       0.0\t0.5\n  ",
                "math_funcs", 2, 3,
                (name, arguments, mode) -> new RowWiseSoftmax(name, false, mode,
                        numeric(arguments.get(0), name, 1, "x"),
                        stateOrNormalizer(arguments.get(1), name, 2, "state"),
                        arguments.size() == 3 ? numeric(arguments.get(2), name, 3, "w") : null)));
        all.add(new Definition("log_softmax",
                "_FUNC_(x, state[, w]) - Returns log(softmax(x, state[, w])), computed without "
                        + "cancellation; NULL when x or state (or w) is NULL. -Infinity for x = -Infinity "
                        + "beside finite values, and for w = 0.",
                "\n    Arguments:\n"
                        + "      * x - a numeric column, cast to DOUBLE (divided by T if the state was built from"
                        + " x / T).\n"
                        + "      * state - a BINARY state from softmax_state or softmax_state_merge, or the STRUCT\n"
                        + "        normalizer from softmax_normalizer (no decode per row: the form to join to rows).\n"
                        + "      * w - optional: the row's weight, when the state was built with weights.\n",
                "\n    Examples:\n"
                        + "      > SELECT x, _FUNC_(x, softmax_state(x) OVER ()) FROM VALUES (0D), (0D) AS t(x);\n"
                        + "       0.0\t-0.6931471805599453\n"
                        + "       0.0\t-0.6931471805599453\n  ",
                "math_funcs", 2, 3,
                (name, arguments, mode) -> new RowWiseSoftmax(name, true, mode,
                        numeric(arguments.get(0), name, 1, "x"),
                        stateOrNormalizer(arguments.get(1), name, 2, "state"),
                        arguments.size() == 3 ? numeric(arguments.get(2), name, 3, "w") : null)));
        all.add(new Definition("logsumexp_of_state",
                "_FUNC_(state) - Returns the logsumexp of the values a state was built from; NULL when "
                        + "state is NULL.",
                "\n    Arguments:\n"
                        + "      * state - a BINARY state from softmax_state or softmax_state_merge.\n",
                "\n    Examples:\n"
                        + "      > SELECT _FUNC_(softmax_state(x)) FROM VALUES (1000D), (1000D) AS t(x);\n"
                        + "       1000.6931471805599\n  ",
                "math_funcs", 1,
                (name, arguments, mode) -> rowWise(name, "logSumExpOfState", DataTypes.DoubleType, true, mode,
                        state(arguments.get(0), name, 1, "state"))));
        all.add(new Definition("array_softmax",
                "_FUNC_(array[, b]) - Returns the softmax of the elements of a numeric array: exp(v) / "
                        + "sum(exp(w)), without overflow. A NULL array gives NULL, an empty array an empty "
                        + "array; NULL elements stay NULL and are left out of the sum. With weights b (an array "
                        + "of the same length), b_i * exp(v_i) / sum(b_j * exp(v_j)): 0 where b_i = 0, NaN "
                        + "everywhere when a weight is negative.",
                "\n    Arguments:\n"
                        + "      * array - an ARRAY of a numeric type, cast to ARRAY<DOUBLE>. For a temperature T, "
                        + "write transform(array, v -> v / T).\n"
                        + "      * b - optional weights, an ARRAY of a numeric type of the same length.\n",
                "\n    Examples:\n"
                        + "      > SELECT _FUNC_(array(1000D, 1000D, NULL));\n"
                        + "       [0.5,0.5,null]\n  ",
                "array_funcs", 1, 2,
                (name, arguments, mode) -> arrays(name, "arraySoftmax", "weightedArraySoftmax",
                        DataTypes.createArrayType(DataTypes.DoubleType, true), mode, arguments)));
        all.add(new Definition("array_log_softmax",
                "_FUNC_(array[, b]) - Returns the log-softmax of the elements of a numeric array. A NULL "
                        + "array gives NULL, an empty array an empty array; NULL elements stay NULL and are left "
                        + "out of the sum. With weights b, log(b_i) + v_i - log(sum(b_j * exp(v_j))).",
                "\n    Arguments:\n"
                        + "      * array - an ARRAY of a numeric type, cast to ARRAY<DOUBLE>. For a temperature T, "
                        + "write transform(array, v -> v / T).\n"
                        + "      * b - optional weights, an ARRAY of a numeric type of the same length.\n",
                "\n    Examples:\n"
                        + "      > SELECT _FUNC_(array(0D, 0D));\n"
                        + "       [-0.6931471805599453,-0.6931471805599453]\n  ",
                "array_funcs", 1, 2,
                (name, arguments, mode) -> arrays(name, "arrayLogSoftmax", "weightedArrayLogSoftmax",
                        DataTypes.createArrayType(DataTypes.DoubleType, true), mode, arguments)));
        all.add(new Definition("array_logsumexp",
                "_FUNC_(array[, b]) - Returns log(sum(exp(v))) over the non-null elements of a numeric "
                        + "array, without overflow. NULL for a NULL array, -Infinity for an empty one. With "
                        + "weights b (scipy's logsumexp(a, b=b)), log(sum(b_i * exp(v_i))): NaN for a negative "
                        + "sum, -Infinity for a zero one.",
                "\n    Arguments:\n"
                        + "      * array - an ARRAY of a numeric type, cast to ARRAY<DOUBLE>.\n"
                        + "      * b - optional weights, an ARRAY of a numeric type of the same length (an error "
                        + "naming both lengths otherwise).\n",
                "\n    Examples:\n"
                        + "      > SELECT _FUNC_(array(1000D, 1000D));\n"
                        + "       1000.6931471805599\n  ",
                "array_funcs", 1, 2,
                (name, arguments, mode) -> arrays(name, "arrayLogSumExp", "weightedArrayLogSumExp",
                        DataTypes.DoubleType, mode, arguments)));
        all.add(new Definition("array_signed_logsumexp",
                "_FUNC_(array, b) - Returns log(abs(S)) and the sign of S, S = sum(b_i * exp(v_i)) over the "
                        + "pairs where neither is NULL, as a STRUCT<value DOUBLE, sign DOUBLE> (scipy's "
                        + "logsumexp(a, b=b, return_sign=True)): S = 0 exactly gives value -Infinity and sign 0. "
                        + "NULL for a NULL array.",
                "\n    Arguments:\n"
                        + "      * array - an ARRAY of a numeric type, cast to ARRAY<DOUBLE>.\n"
                        + "      * b - weights, an ARRAY of a numeric type of the same length (an error naming both "
                        + "lengths otherwise).\n",
                "\n    Examples:\n"
                        + "      > SELECT s.value, s.sign FROM (SELECT _FUNC_(array(1D, 1D, 1D), "
                        + "array(1D, -1D, -1D)) AS s);\n"
                        + "       1.0\t-1.0\n  ",
                "array_funcs", 2,
                (name, arguments, mode) -> rowWise(name, "weightedArraySignedLogSumExp",
                        SoftmaxRuntime.SIGNED_SCHEMA, false, mode,
                        numericArray(arguments.get(0), name, 1, "array"),
                        numericArray(arguments.get(1), name, 2, "b"),
                        Literal.create(1.0, DataTypes.DoubleType))));
        DEFINITIONS = Collections.unmodifiableList(all);
        Map<String, Definition> byName = new LinkedHashMap<>();
        for (Definition definition : all) {
            byName.put(definition.name(), definition);
        }
        BY_NAME = Collections.unmodifiableMap(byName);
    }

    private SoftmaxFunctionRegistry() {}

    /** Every SQL function of the project, in a fixed order. */
    public static List<Definition> definitions() {
        return DEFINITIONS;
    }

    /** The definition of one SQL function. */
    public static Definition definition(String name) {
        Definition definition = BY_NAME.get(name);
        if (definition == null) {
            throw new SoftmaxException("function must be one of " + BY_NAME.keySet() + ", got " + name);
        }
        return definition;
    }

    /**
     * Whether the running Spark has the error class of a value outside a conf's options (4.1 added
     * it; on 3.5 and 4.0 a bad {@value #MODE_CONF} is the project's own error, same message).
     */
    private static final boolean HAS_OUT_OF_RANGE_ERROR = hasErrorClass("INVALID_CONF_VALUE.OUT_OF_RANGE_OF_OPTIONS");

    private static boolean hasErrorClass(String errorClass) {
        try {
            SparkThrowableHelper$.MODULE$.errorReader().getMessageTemplate(errorClass);
            return true;
        } catch (Exception e) { // Spark's INTERNAL_ERROR, a checked SparkException in Java's eyes
            return false;
        }
    }

    /**
     * The mode of the active session ({@value #MODE_CONF}, {@code exact} when unset). An
     * unknown value is Spark's INVALID_CONF_VALUE error, raised at analysis.
     */
    public static SoftmaxMode sessionMode() {
        String value = SQLConf.get().getConfString(MODE_CONF, SoftmaxMode.EXACT.id());
        try {
            return SoftmaxMode.parse(value);
        } catch (SoftmaxException e) {
            if (!HAS_OUT_OF_RANGE_ERROR) {
                throw new SoftmaxException("the value '" + value + "' in the config \"" + MODE_CONF
                        + "\" is invalid: it must be one of '" + SoftmaxMode.EXACT.id() + "', '"
                        + SoftmaxMode.FAST.id() + "'", e);
            }
            Map<String, String> parameters = new LinkedHashMap<>();
            parameters.put("confValue", value);
            parameters.put("confName", MODE_CONF);
            parameters.put("confOptions", SoftmaxMode.EXACT.id() + "', '" + SoftmaxMode.FAST.id());
            throw sneakyThrow(new AnalysisException("INVALID_CONF_VALUE.OUT_OF_RANGE_OF_OPTIONS",
                    ScalaCollections.map(parameters)));
        }
    }

    // ---- expression builders ----------------------------------------------------------------------

    static Expression numeric(Expression child, String function, int position, String argument) {
        return new Cast(new SoftmaxArgument(child, function, position, argument, SoftmaxArgument.Kind.NUMERIC),
                DataTypes.DoubleType, Option.empty());
    }

    static Expression state(Expression child, String function, int position, String argument) {
        return new Cast(new SoftmaxArgument(child, function, position, argument, SoftmaxArgument.Kind.STATE),
                DataTypes.BinaryType, Option.empty());
    }

    /** A state or a normalizer struct, left uncast: {@link RowWiseSoftmax} reads either. */
    static Expression stateOrNormalizer(Expression child, String function, int position, String argument) {
        return new SoftmaxArgument(child, function, position, argument, SoftmaxArgument.Kind.STATE_OR_NORMALIZER);
    }

    static Expression numericArray(Expression child, String function, int position, String argument) {
        return new Cast(new SoftmaxArgument(child, function, position, argument, SoftmaxArgument.Kind.NUMERIC_ARRAY),
                DataTypes.createArrayType(DataTypes.DoubleType, true), Option.empty());
    }

    /**
     * An aggregate over one checked input, named {@code name}: in fast mode over values, a
     * {@link FastSoftmaxAggregate} (Spark's generated hash aggregate); otherwise a
     * {@link SoftmaxAggregate} running {@code aggregator}. The same bits either way.
     */
    static Expression aggregate(String name, AccumulatorAggregator<?, ?> aggregator, Expression argument) {
        FastSoftmaxAggregate.Output output = FastSoftmaxAggregate.Output.of(aggregator);
        if (aggregator.mode() == SoftmaxMode.FAST && output != null) {
            return new FastSoftmaxAggregate(name, output, ((ValueAggregator<?>) aggregator).temperature(), argument);
        }
        return new SoftmaxAggregate(name, aggregator, argument);
    }

    /**
     * A weighted aggregate: {@code output} of the rows (x, w) of the first two arguments (w = 1
     * when there is one argument), run by {@link SoftmaxAggregate} in either mode.
     */
    static Expression weighted(String name, SoftmaxMode mode, WeightedAggregator.Output output,
            List<Expression> arguments) {
        return new SoftmaxAggregate(name, new WeightedAggregator(mode, 1.0, output),
                pair(name, arguments.get(0), arguments.size() > 1 ? arguments.get(1) : null));
    }

    /** STRUCT&lt;x, w&gt; of the checked arguments x and w (w = 1 when null). */
    static Expression pair(String name, Expression x, Expression w) {
        Expression weight = w == null ? Literal.create(1.0, DataTypes.DoubleType) : numeric(w, name, 2, "w");
        return new org.apache.spark.sql.catalyst.expressions.CreateNamedStruct(ScalaCollections.seq(List.of(
                Literal.create("x", DataTypes.StringType), numeric(x, name, 1, "x"),
                Literal.create("w", DataTypes.StringType), weight)));
    }

    /** An array function of (array) or (array, b). */
    static Expression arrays(String name, String method, String weightedMethod, DataType type, SoftmaxMode mode,
            List<Expression> arguments) {
        if (arguments.size() == 1) {
            return rowWise(name, method, type, false, mode, numericArray(arguments.get(0), name, 1, "array"),
                    Literal.create(1.0, DataTypes.DoubleType));
        }
        return rowWise(name, weightedMethod, type, false, mode, numericArray(arguments.get(0), name, 1, "array"),
                numericArray(arguments.get(1), name, 2, "b"), Literal.create(1.0, DataTypes.DoubleType));
    }

    /**
     * A row-wise function: NULL when any argument is NULL, otherwise
     * {@code SoftmaxRuntime.method(arguments..., modeOrdinal)}.
     */
    static Expression rowWise(String name, String method, DataType type, boolean returnNullable,
            SoftmaxMode mode, Expression... arguments) {
        List<Expression> all = new ArrayList<>(List.of(arguments));
        int shown = (int) all.stream().filter(e -> !(e instanceof Literal)).count();
        all.add(Literal.create(mode.ordinal(), DataTypes.IntegerType));
        return new SoftmaxCall(invoke(SoftmaxRuntime.class, method, type, returnNullable, all), name, shown);
    }

    /**
     * {@code owner.method(arguments)}, a static Java method called from Spark's generated code
     * with Catalyst's internal types: NULL when an argument is NULL, without calling it.
     */
    static StaticInvoke invoke(Class<?> owner, String method, DataType type, boolean returnNullable,
            List<Expression> arguments) {
        return StaticInvokes.of(owner, type, method, ScalaCollections.seq(arguments),
                ScalaCollections.seq(List.<AbstractDataType>of()), true, returnNullable);
    }

    private static ExpressionInfo info(String name, String usage, String arguments, String examples,
            String group) {
        return new ExpressionInfo(SoftmaxFunctions.class.getName(), null, name, usage, arguments,
                examples, "", group, SINCE, "", "java_udf");
    }

    /**
     * Throws Spark's (checked, in Java's eyes) AnalysisException from code whose signature
     * cannot declare it, as Scala code does; the return type only lets callers write
     * {@code throw sneakyThrow(e)}.
     */
    static RuntimeException sneakyThrow(Throwable error) {
        return SoftmaxFunctionRegistry.<RuntimeException>throwUnchecked(error);
    }

    @SuppressWarnings("unchecked")
    private static <E extends Throwable> E throwUnchecked(Throwable error) throws E {
        throw (E) error;
    }

    /** An array function ({@code array_softmax}, ...) as a column, as the SQL function builds it. */
    public static Column arrayColumn(String name, String method, org.apache.spark.sql.types.DataType type,
            Column array, double temperature, SoftmaxMode mode) {
        dev.softmax.core.Softmax.checkTemperature(temperature);
        return ColumnExpressions.column(rowWise(name, method, type, false, mode,
                numericArray(ColumnExpressions.expression(array), name, 1, "array"),
                Literal.create(temperature, DataTypes.DoubleType)));
    }

    /** The SQL function {@code name} as a column, built as SQL builds it, in {@code mode}. */
    public static Column column(String name, SoftmaxMode mode, Column... arguments) {
        List<Expression> expressions = new ArrayList<>();
        for (Column argument : arguments) {
            expressions.add(ColumnExpressions.expression(argument));
        }
        Expression built = definition(name).build(expressions, mode);
        if (built instanceof AggregateFunction) {
            built = ((AggregateFunction) built).toAggregateExpression();
        }
        return ColumnExpressions.column(built);
    }
}
