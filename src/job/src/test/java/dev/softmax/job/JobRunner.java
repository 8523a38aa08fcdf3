/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.softmax.spark.SharedSpark;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/** Runs the job in this JVM on the shared test session and reads what it wrote. */
final class JobRunner {

    private JobRunner() {
    }

    /** Exit code, stdout and stderr of one run. */
    record Result(int exitCode, String out, String err) {

        /** Exit code 2 with exactly one line on stderr, which is returned. */
        String badInputLine() {
            assertThat(exitCode).as("exit code; stderr: %s", err).isEqualTo(2);
            assertThat(err.lines().count()).as("stderr has one line: %s", err).isEqualTo(1);
            assertThat(err).startsWith("softmax: ");
            return err.strip();
        }

        Result succeeded() {
            assertThat(exitCode).as("exit code; stderr: %s", err).isZero();
            return this;
        }
    }

    /** Runs the job on the shared session. */
    static Result run(String... args) {
        return runIn(true, args);
    }

    /** Runs the job without a session, as its main would (only for runs that stop before Spark starts). */
    static Result runWithoutSession(String... args) {
        return runIn(false, args);
    }

    private static Result runIn(boolean withSession, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = SoftmaxJob.run(withSession ? SharedSpark.root() : null, new PrintWriter(out),
                new PrintWriter(err), args);
        return new Result(code, out.toString(), err.toString());
    }

    static Path write(Path file, String... lines) {
        try {
            Files.createDirectories(file.getParent());
            return Files.writeString(file, String.join("\n", lines) + "\n", StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The rows of a CSV directory the job wrote (header row; a line per row), each a map from
     * column name to text, null for an empty field.
     */
    static List<Map<String, String>> readCsv(Path directory) {
        List<Map<String, String>> rows = new ArrayList<>();
        try (Stream<Path> files = Files.list(directory)) {
            for (Path file : files.filter(f -> f.getFileName().toString().endsWith(".csv")).sorted().toList()) {
                List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
                if (lines.isEmpty()) {
                    continue;
                }
                List<String> header = fields(lines.get(0));
                for (String line : lines.subList(1, lines.size())) {
                    List<String> fields = fields(line);
                    assertThat(fields).as("fields of %s", line).hasSameSizeAs(header);
                    Map<String, String> row = new LinkedHashMap<>();
                    for (int i = 0; i < header.size(); i++) {
                        row.put(header.get(i), fields.get(i));
                    }
                    rows.add(row);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return rows;
    }

    /** The fields of one CSV line as Spark writes it: "" quotes, null for an empty unquoted field. */
    static List<String> fields(String line) {
        List<String> fields = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        boolean quoted = false;
        boolean wasQuoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quoted) {
                if (c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
                    field.append('"');
                    i++;
                } else if (c == '"') {
                    quoted = false;
                } else {
                    field.append(c);
                }
            } else if (c == '"') {
                quoted = true;
                wasQuoted = true;
            } else if (c == ',') {
                fields.add(field.length() == 0 && !wasQuoted ? null : field.toString());
                field.setLength(0);
                wasQuoted = false;
            } else {
                field.append(c);
            }
        }
        fields.add(field.length() == 0 && !wasQuoted ? null : field.toString());
        return fields;
    }

    /** The header line of the first CSV part file in a directory the job wrote. */
    static List<String> csvHeader(Path directory) {
        try (Stream<Path> files = Files.list(directory)) {
            Path first = files.filter(f -> f.getFileName().toString().endsWith(".csv")).sorted().findFirst()
                    .orElseThrow();
            return fields(Files.readAllLines(first).get(0));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The names in a directory, sorted. */
    static List<String> list(Path directory) {
        try (Stream<Path> files = Files.list(directory)) {
            return files.map(f -> f.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
