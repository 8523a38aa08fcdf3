/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.job;

import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.fs.Path;

/**
 * The few lines a successful run prints on stdout. Every count comes from the data (an
 * aggregate over the persisted input and the normalizer table), not from accumulators, which
 * count a retried task twice.
 */
final class JobSummary {

    private final JobSettings settings;
    private final DataFormat inputFormat;
    private final DataFormat outputFormat;
    private final Path output;
    private final Path badRows;
    private final ParsedInput.Counts counts;
    private final Map<String, Long> groupsByStatus;
    private final double seconds;

    JobSummary(JobSettings settings, DataFormat inputFormat, DataFormat outputFormat, Path output, Path badRows,
            ParsedInput.Counts counts, Map<String, Long> groupsByStatus, double seconds) {
        this.settings = settings;
        this.inputFormat = inputFormat;
        this.outputFormat = outputFormat;
        this.output = output;
        this.badRows = badRows;
        this.counts = counts;
        this.groupsByStatus = Map.copyOf(groupsByStatus);
        this.seconds = seconds;
    }

    private long groups(String status) {
        return groupsByStatus.getOrDefault(status, 0L);
    }

    String format() {
        long groups = groupsByStatus.values().stream().mapToLong(Long::longValue).sum();
        long nan = groups("nan");
        long positiveInfinity = groups("positive_infinity");
        long allNegativeInfinity = groups("all_negative_infinity");
        long empty = groups("empty");
        long negativeWeight = groups("negative_weight");
        StringBuilder text = new StringBuilder();
        line(text, "input", String.join(" ", settings.inputs()) + " (" + inputFormat + ")");
        line(text, "input rows", counts.inputRows() + " (" + counts.nullValues() + " with a null "
                + settings.valueColumn() + ", " + counts.badRows() + " bad)");
        if (badRows != null) {
            line(text, "bad rows", counts.badRows() + " written to " + badRows);
        }
        String by = settings.groupBy().isEmpty() ? "one group: the whole column"
                : "by " + String.join(", ", settings.groupBy());
        line(text, "groups", groups + " (" + by + ")");
        boolean weighted = settings.weightColumn() != null;
        line(text, "NaN groups", (nan + positiveInfinity + allNegativeInfinity + negativeWeight) + " (" + nan
                + " with a NaN, " + positiveInfinity + " with +inf, " + allNegativeInfinity + " all -inf"
                + (weighted ? ", " + negativeWeight + " with a negative weight" : "") + ")"
                + (empty > 0 ? "; " + empty + " with only null values" : ""));
        line(text, "rows written", counts.goodRows() + " (" + String.join(", ", settings.outputColumns()) + " added)");
        line(text, "output", output + " (" + outputFormat + ")");
        line(text, "mode", settings.mode().name().toLowerCase(Locale.ROOT) + ", temperature "
                + formatNumber(settings.temperature()));
        line(text, "time", String.format(Locale.ROOT, "%.1f s", seconds));
        return text.toString();
    }

    private static void line(StringBuilder text, String label, String value) {
        text.append(String.format(Locale.ROOT, "%-13s %s%n", label, value));
    }

    private static String formatNumber(double x) {
        return x == Math.rint(x) && Math.abs(x) < 1e15 ? Long.toString((long) x) : Double.toString(x);
    }
}
