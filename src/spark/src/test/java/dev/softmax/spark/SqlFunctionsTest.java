/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.spark;

import static dev.softmax.spark.SparkTestSupport.frame;
import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.softmax.core.SoftmaxException;
import dev.softmax.spark.catalyst.ScalaCollections;
import dev.softmax.spark.catalyst.SoftmaxFunctionRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.spark.sql.AnalysisException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.expressions.ExpressionInfo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The SQL face: registration with usage text, the session extension, the documented
 * examples, null semantics, the mode conf, and the errors (wrong types at analysis, corrupt or
 * foreign states at run time as the project's {@link SoftmaxException}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SqlFunctionsTest {

    private SparkSession spark;

    @BeforeAll
    void start() {
        spark = SharedSpark.newSessionWithFunctions();
        Dataset<Row> df = frame(spark, SparkTestSupport.rows(SoftmaxCases.groups()), 3, 1);
        df.createOrReplaceTempView("t");
    }

    @AfterEach
    void resetMode() {
        spark.conf().unset(SoftmaxFunctionRegistry.MODE_CONF);
    }

    static List<String> names() {
        return SoftmaxFunctionRegistry.definitions().stream()
                .map(SoftmaxFunctionRegistry.Definition::name).collect(Collectors.toList());
    }

    @Test
    void everyFunctionIsRegistered() {
        assertThat(names()).containsExactly("logsumexp", "signed_logsumexp", "softmax_state",
                "softmax_state_merge", "softmax_normalizer", "softmax", "log_softmax", "logsumexp_of_state",
                "array_softmax", "array_log_softmax", "array_logsumexp", "array_signed_logsumexp");
        for (String name : names()) {
            assertThat(spark.catalog().functionExists(name)).as(name).isTrue();
        }
    }

    @ParameterizedTest
    @MethodSource("names")
    void describeFunctionExtendedShowsUsageArgumentsAndExamples(String name) {
        String description = spark.sql("DESCRIBE FUNCTION EXTENDED " + name).collectAsList().stream()
                .map(row -> row.getString(0)).collect(Collectors.joining("\n"));
        assertThat(description)
                .contains("Function: " + name)
                .contains("Usage: " + name + "(")
                .contains("Arguments:")
                .contains("Examples:")
                .contains("> SELECT ")
                .contains("Since: 0.1.0");
    }

    /** Every example in the usage text runs and prints what the text says. */
    @ParameterizedTest
    @MethodSource("names")
    void documentedExamplesGiveTheDocumentedResults(String name) {
        ExpressionInfo info = SoftmaxFunctionRegistry.definition(name).info();
        Matcher example = Pattern.compile("> (SELECT .*?);\\n((?: {7}.*\\n)*)").matcher(info.getExamples());
        int examples = 0;
        while (example.find()) {
            examples++;
            List<String> expected = new ArrayList<>();
            for (String line : example.group(2).split("\n")) {
                if (!line.isBlank()) {
                    expected.add(line.substring(7));
                }
            }
            List<String> actual = spark.sql(example.group(1)).collectAsList().stream()
                    .map(SqlFunctionsTest::format).collect(Collectors.toList());
            assertThat(actual).as(example.group(1)).containsExactlyInAnyOrderElementsOf(expected);
        }
        assertThat(examples).as("examples of " + name).isPositive();
    }

    private static String format(Row row) {
        List<String> fields = new ArrayList<>();
        for (int i = 0; i < row.length(); i++) {
            Object value = row.get(i);
            if (value == null) {
                fields.add("NULL");
            } else if (value instanceof scala.collection.Seq) {
                fields.add(ScalaCollections.list((scala.collection.Seq<?>) value).stream()
                        .map(String::valueOf).collect(Collectors.joining(",", "[", "]")));
            } else {
                fields.add(value.toString());
            }
        }
        return String.join("\t", fields);
    }

    /**
     * {@code --conf spark.sql.extensions=...} lands in the SparkContext's conf, which Spark reads
     * when it creates a session; the test sets it on the shared context for one new session.
     */
    @Test
    void extensionInjectsTheSameDefinitions() {
        SparkSession active = SparkSession.active();
        org.apache.spark.SparkConf contextConf = spark.sparkContext().conf();
        contextConf.set("spark.sql.extensions", SoftmaxExtensions.class.getName());
        // A new session on the same context: with no active or default session, getOrCreate()
        // builds one and applies the extensions (Spark 4's builder().create() does not exist on 3.5).
        scala.Option<SparkSession> previousDefault = SparkSession.getDefaultSession();
        SparkSession withExtension;
        SparkSession.clearActiveSession();
        SparkSession.clearDefaultSession();
        try {
            withExtension = SparkSession.builder().getOrCreate();
        } finally {
            contextConf.remove("spark.sql.extensions");
            SparkSession.setActiveSession(active);
            if (previousDefault.isDefined()) {
                SparkSession.setDefaultSession(previousDefault.get());
            }
        }
        try {
            for (String name : names()) {
                assertThat(withExtension.catalog().functionExists(name)).as(name).isTrue();
            }
            String usage = withExtension.sql("DESCRIBE FUNCTION softmax_state").collectAsList().toString();
            assertThat(usage).contains("softmax_state(x[, w]) - Returns the softmax normalizer state");
            Row row = withExtension.sql("SELECT logsumexp(x), array_logsumexp(array(0D, 0D)) "
                    + "FROM VALUES (0D), (0D) AS v(x)").first();
            assertThat(row.getDouble(0)).isEqualTo(Math.log(2));
            assertThat(row.getDouble(1)).isEqualTo(Math.log(2));
            // The optimizer rule: the window form runs as the grouped plan, NULL key a group of its own.
            Dataset<Row> grouped = withExtension.sql("SELECT g, softmax(x, softmax_state(x) OVER (PARTITION BY g)),"
                    + " logsumexp(x) OVER (PARTITION BY g) FROM VALUES ('a', 0D), ('a', 0D), (NULL, 1D) AS v(g, x)"
                    + " ORDER BY g NULLS FIRST");
            assertThat(grouped.queryExecution().optimizedPlan().toString()).contains("GroupedSoftmax")
                    .doesNotContain("Window");
            assertThat(grouped.collectAsList().toString()).isEqualTo("[[null,1.0,1.0], [a,0.5,"
                    + Math.log(2) + "], [a,0.5," + Math.log(2) + "]]");
        } finally {
            SparkSession.setActiveSession(active);
            SparkSession.setDefaultSession(SharedSpark.root());
        }
    }

    @Test
    void columnsAreNamedAsTheCall() {
        Dataset<Row> named = spark.sql("SELECT softmax(x, s), log_softmax(x, s), logsumexp_of_state(s), "
                + "array_softmax(a), array_log_softmax(a), array_logsumexp(a) "
                + "FROM (SELECT x, softmax_state(x) OVER () AS s, array(x) AS a FROM t)");
        assertThat(named.columns()).containsExactly("softmax(x, s)", "log_softmax(x, s)",
                "logsumexp_of_state(s)", "array_softmax(a)", "array_log_softmax(a)", "array_logsumexp(a)");
        Dataset<Row> aggregates = spark.sql("SELECT logsumexp(x), softmax_state(x), softmax_state_merge(s) "
                + "FROM (SELECT x, softmax_state(x) OVER () AS s FROM t)");
        assertThat(aggregates.columns()).containsExactly("logsumexp(x)", "softmax_state(x)", "softmax_state_merge(s)");
        Dataset<Row> normalizer = spark.sql("SELECT softmax(x, n), log_softmax(x, n) "
                + "FROM (SELECT x, softmax_normalizer(x) OVER () AS n FROM t)");
        assertThat(normalizer.columns()).containsExactly("softmax(x, n)", "log_softmax(x, n)");
    }

    @Test
    void aggregatesWorkOverWindows() {
        List<Row> mismatches = spark.sql("SELECT a.g FROM (SELECT g, logsumexp(x) AS lse FROM t GROUP BY g) a "
                + "JOIN (SELECT DISTINCT g, logsumexp(x) OVER (PARTITION BY g) AS lse FROM t) w ON w.g <=> a.g "
                + "JOIN (SELECT DISTINCT g, logsumexp_of_state(softmax_state_merge(s) OVER (PARTITION BY g)) AS lse "
                + "FROM (SELECT DISTINCT g, id % 2, softmax_state(x) OVER (PARTITION BY g, id % 2) AS s FROM t)) m "
                + "ON m.g <=> a.g "
                + "WHERE NOT (w.lse <=> a.lse) OR NOT (m.lse <=> a.lse)").collectAsList();
        assertThat(mismatches).as("groups whose window aggregates differ from GROUP BY").isEmpty();
    }

    @Test
    void nullArgumentsGiveNull() {
        Row row = spark.sql("SELECT softmax(1D, NULL), log_softmax(1D, NULL), logsumexp_of_state(NULL), "
                + "softmax(NULL, s), log_softmax(NULL, s), array_softmax(NULL), array_logsumexp(NULL) "
                + "FROM (SELECT softmax_state(x) AS s FROM t)").first();
        for (int i = 0; i < row.length(); i++) {
            assertThat(row.isNullAt(i)).as("field " + i + " of " + row).isTrue();
        }
        Row allNull = spark.sql("SELECT softmax_state(x), logsumexp(x) FROM t WHERE g = 'all null'").first();
        assertThat(allNull.isNullAt(0)).isTrue();
        assertThat(allNull.isNullAt(1)).isTrue();
    }

    @Test
    void numericTypesAreCastToDouble() {
        Row row = spark.sql("SELECT logsumexp(CAST(x AS INT)), logsumexp(CAST(x AS DECIMAL(10, 2))), "
                + "logsumexp(CAST(x AS FLOAT)), logsumexp(CAST(x AS BIGINT)), logsumexp(x) "
                + "FROM VALUES (1D), (2D) AS v(x)").first();
        for (int i = 0; i < 5; i++) {
            assertThat(row.getDouble(i)).isEqualTo(row.getDouble(4));
        }
    }

    @Test
    void wrongArgumentTypesFailAtAnalysisNamingFunctionAndArgument() {
        assertThatThrownBy(() -> spark.sql("SELECT logsumexp(g) FROM t"))
                .isInstanceOf(AnalysisException.class)
                .hasMessageContaining("UNEXPECTED_INPUT_TYPE").hasMessageContaining("`logsumexp`")
                .hasMessageContaining("Parameter 1 (x)").hasMessageContaining("NUMERIC").hasMessageContaining("STRING");
        assertThatThrownBy(() -> spark.sql("SELECT softmax(x, x) FROM t"))
                .isInstanceOf(AnalysisException.class)
                .hasMessageContaining("`softmax`").hasMessageContaining("Parameter 2 (state)")
                .hasMessageContaining("BINARY");
        assertThatThrownBy(() -> spark.sql("SELECT softmax(x, named_struct('max', x)) FROM t"))
                .isInstanceOf(AnalysisException.class)
                .hasMessageContaining("`softmax`").hasMessageContaining("Parameter 2 (state)")
                .hasMessageContaining("STRUCT").hasMessageContaining("log_normalizer_low");
        assertThatThrownBy(() -> spark.sql("SELECT softmax_state_merge(x) FROM t"))
                .isInstanceOf(AnalysisException.class)
                .hasMessageContaining("`softmax_state_merge`").hasMessageContaining("Parameter 1 (state)");
        assertThatThrownBy(() -> spark.sql("SELECT array_softmax(x) FROM t"))
                .isInstanceOf(AnalysisException.class)
                .hasMessageContaining("`array_softmax`").hasMessageContaining("ARRAY<NUMERIC>");
        assertThatThrownBy(() -> spark.sql("SELECT array_softmax(array('a')) FROM t"))
                .isInstanceOf(AnalysisException.class).hasMessageContaining("`array_softmax`");
        assertThatThrownBy(() -> spark.sql("SELECT softmax(x) FROM t"))
                .isInstanceOf(AnalysisException.class)
                .hasMessageContaining("WRONG_NUM_ARGS").hasMessageContaining("`softmax` requires [2, 3] parameters");
        Dataset<Row> t = spark.table("t");
        assertThatThrownBy(() -> t.agg(SoftmaxFunctions.softmax_state("g")))
                .isInstanceOf(AnalysisException.class)
                .hasMessageContaining("`softmax_state`").hasMessageContaining("Parameter 1 (x)");
        assertThatThrownBy(() -> SoftmaxFunctions.softmax(t, "g"))
                .isInstanceOf(AnalysisException.class)
                .hasMessageContaining("`softmax`").hasMessageContaining("STRING");
    }

    @Test
    void modeComesFromTheSessionConf() {
        spark.conf().set(SoftmaxFunctionRegistry.MODE_CONF, "FAST");
        byte[] fast = (byte[]) spark.sql("SELECT softmax_state(x) FROM t WHERE g = 'overflowing'").first().get(0);
        assertThat(fast[1]).as("mode byte of the state").isEqualTo((byte) 2);
        Row fastOut = spark.sql("SELECT logsumexp_of_state(s), softmax(1000D, s) FROM "
                + "(SELECT softmax_state(x) AS s FROM t WHERE g = 'overflowing')").first();
        assertThat(fastOut.getDouble(0)).isCloseTo(3000.0, org.assertj.core.data.Offset.offset(1e-9));

        spark.conf().set(SoftmaxFunctionRegistry.MODE_CONF, "exact");
        spark.createDataFrame(List.of(org.apache.spark.sql.RowFactory.create((Object) fast)),
                new org.apache.spark.sql.types.StructType().add("s", org.apache.spark.sql.types.DataTypes.BinaryType))
                .createOrReplaceTempView("fast_states");
        assertThatThrownBy(() -> spark.sql("SELECT logsumexp_of_state(s) FROM fast_states").collect())
                .satisfies(e -> assertThat(rootSoftmaxException(e))
                        .hasMessageContaining("expected mode exact, actual fast"));
        assertThatThrownBy(() -> spark.sql("SELECT softmax_state_merge(s) FROM fast_states").collect())
                .satisfies(e -> assertThat(rootSoftmaxException(e))
                        .hasMessageContaining("expected mode exact, actual fast"));

        spark.conf().set(SoftmaxFunctionRegistry.MODE_CONF, "approximate");
        // Spark's INVALID_CONF_VALUE.OUT_OF_RANGE_OF_OPTIONS where the line has it (4.1 on), else the
        // project's own error; the same words either way.
        assertThatThrownBy(() -> spark.sql("SELECT logsumexp(x) FROM t"))
                .isInstanceOfAny(AnalysisException.class, SoftmaxException.class)
                .hasMessageContaining("is invalid")
                .hasMessageContaining(SoftmaxFunctionRegistry.MODE_CONF).hasMessageContaining("approximate")
                .hasMessageContaining("exact");
    }

    @Test
    void corruptOrForeignBytesGiveTheProjectsError() {
        spark.createDataFrame(List.of(
                        org.apache.spark.sql.RowFactory.create(1.0, (Object) new byte[] {1}),
                        org.apache.spark.sql.RowFactory.create(2.0,
                                (Object) new byte[] {(byte) 0xDE, (byte) 0xAD, (byte) 0xBE, (byte) 0xEF}),
                        org.apache.spark.sql.RowFactory.create(3.0, (Object) new byte[0])),
                new org.apache.spark.sql.types.StructType()
                        .add("x", org.apache.spark.sql.types.DataTypes.DoubleType)
                        .add("s", org.apache.spark.sql.types.DataTypes.BinaryType))
                .repartition(2)
                .createOrReplaceTempView("corrupt");
        for (String query : List.of(
                "SELECT softmax(x, s) FROM corrupt",
                "SELECT log_softmax(x, s) FROM corrupt",
                "SELECT logsumexp_of_state(s) FROM corrupt",
                "SELECT softmax_state_merge(s) FROM corrupt")) {
            assertThatThrownBy(() -> spark.sql(query).collect()).as(query)
                    .satisfies(e -> assertThat(rootSoftmaxException(e)).hasMessageContaining("softmax state"));
        }
        Dataset<Row> corrupt = spark.table("corrupt");
        assertThatThrownBy(() -> corrupt.select(SoftmaxFunctions.softmax(col("x"), col("s"))).collect())
                .satisfies(e -> assertThat(rootSoftmaxException(e)).isNotNull());
    }

    /** The SoftmaxException in a cause chain (Spark wraps task failures in its own exception). */
    static SoftmaxException rootSoftmaxException(Throwable error) {
        for (Throwable e = error; e != null; e = e.getCause()) {
            if (e instanceof SoftmaxException) {
                return (SoftmaxException) e;
            }
        }
        throw new AssertionError("no SoftmaxException in the cause chain of " + error, error);
    }

    @Test
    void definitionsAreWhatTheRegistryHolds() {
        Map<String, ExpressionInfo> infos = new java.util.LinkedHashMap<>();
        for (SoftmaxFunctionRegistry.Definition definition : SoftmaxFunctionRegistry.definitions()) {
            infos.put(definition.name(), definition.info());
            scala.collection.Seq<org.apache.spark.sql.catalyst.FunctionIdentifier> registered =
                    spark.sessionState().functionRegistry().listFunction();
            assertThat(ScalaCollections.list(registered)).contains(definition.sessionIdentifier());
        }
        assertThat(infos.values()).allSatisfy(info -> {
            assertThat(info.getSince()).isEqualTo("0.1.0");
            assertThat(info.getGroup()).isIn("agg_funcs", "math_funcs", "array_funcs");
        });
    }
}
