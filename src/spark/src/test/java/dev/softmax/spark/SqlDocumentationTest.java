/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.spark;

import static org.assertj.core.api.Assertions.assertThat;

import dev.softmax.spark.catalyst.SoftmaxFunctionRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.spark.sql.catalyst.expressions.ExpressionInfo;
import org.junit.jupiter.api.Test;

/**
 * docs/sql.md lists every SQL function with the text {@code DESCRIBE FUNCTION EXTENDED} shows:
 * the reference is rendered from the registry's definitions, which are the one source, and
 * must equal the block between the markers in the file.
 */
class SqlDocumentationTest {
    private static final String BEGIN = "<!-- functions:begin -->\n";
    private static final String END = "<!-- functions:end -->";
    private static final Map<String, String> KINDS = Map.of(
            "agg_funcs", "Aggregate (also over a window).",
            "math_funcs", "Scalar.",
            "array_funcs", "Scalar, on an array (row-wise).");

    @Test
    void everyFunctionIsDocumentedWithItsDescribeText() throws IOException {
        Path repository = Path.of(System.getProperty("softmax.repository", "../..")).toAbsolutePath().normalize();
        Path doc = repository.resolve("docs/sql.md");
        String text = Files.readString(doc, StandardCharsets.UTF_8);
        int begin = text.indexOf(BEGIN);
        int end = text.indexOf(END);
        assertThat(begin).as("the marker %s in %s", BEGIN.trim(), doc).isNotNegative();
        assertThat(end).as("the marker %s in %s", END, doc).isGreaterThan(begin);
        String documented = text.substring(begin + BEGIN.length(), end);
        String rendered = rendered();
        if (!documented.equals(rendered)) {
            Path expected = Path.of("target", "sql-functions.md").toAbsolutePath();
            Files.createDirectories(expected.getParent());
            Files.writeString(expected, rendered, StandardCharsets.UTF_8);
            assertThat(documented)
                    .as("docs/sql.md's function reference differs from the registry; the rendered text is in %s: "
                            + "copy it between the markers", expected)
                    .isEqualTo(rendered);
        }
    }

    /** The reference: per function, its kind and DESCRIBE's usage, arguments and examples. */
    private static String rendered() {
        StringBuilder out = new StringBuilder();
        for (SoftmaxFunctionRegistry.Definition definition : SoftmaxFunctionRegistry.definitions()) {
            ExpressionInfo info = definition.info();
            out.append("### ").append(definition.name()).append("\n\n")
                    .append(KINDS.getOrDefault(info.getGroup(), info.getGroup())).append("\n\n")
                    .append("```text\n")
                    .append(info.getUsage().replace("_FUNC_", definition.name()).strip()).append("\n\n")
                    .append(block(info.getArguments())).append("\n\n")
                    .append(block(info.getExamples().replace("_FUNC_", definition.name()))).append("\n")
                    .append("```\n\n");
        }
        return out.toString();
    }

    /** DESCRIBE's indented block without its blank first and last lines, trailing spaces and common indent. */
    private static String block(String text) {
        List<String> lines = text.lines().map(String::stripTrailing).collect(Collectors.toList());
        while (!lines.isEmpty() && lines.get(0).isEmpty()) {
            lines.remove(0);
        }
        while (!lines.isEmpty() && lines.get(lines.size() - 1).isEmpty()) {
            lines.remove(lines.size() - 1);
        }
        int indent = lines.stream().filter(line -> !line.isEmpty())
                .mapToInt(line -> line.length() - line.stripLeading().length()).min().orElse(0);
        return lines.stream().map(line -> line.isEmpty() ? line : line.substring(indent))
                .collect(Collectors.joining("\n"));
    }
}
