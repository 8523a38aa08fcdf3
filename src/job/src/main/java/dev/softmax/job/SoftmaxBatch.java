/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.job;

import static org.apache.spark.sql.functions.col;

import dev.softmax.core.SoftmaxException;
import dev.softmax.spark.SoftmaxFunctions;
import dev.softmax.spark.SoftmaxOptions;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.network.util.JavaUtils;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.DataFrameWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;

/**
 * One run of the job, once the options are checked: check the paths, read and parse the input,
 * aggregate the per-group normalizers once, apply them, write atomically, print the summary.
 */
final class SoftmaxBatch {

    private SoftmaxBatch() {
    }

    /**
     * Lets adaptive execution coalesce the shuffle partitions of a persisted plan. The job
     * persists the normalizer table, an aggregate; without this, Spark keeps its 200 shuffle
     * partitions (seen: three stages of 200 tasks each for the 120 groups of the sample data).
     */
    static final String COALESCE_CACHED_PLANS = "spark.sql.optimizer.canChangeCachedPlanOutputPartitioning";

    /**
     * Spark conf read by the job: the per-group normalizers are broadcast to the rows when
     * their size is at most this many bytes (a size such as {@code 128m}; negative: never).
     * They are cached and counted before the join, so Spark knows their real size here, and a
     * broadcast lets the rows stay where they are (no shuffle, no skewed task).
     */
    static final String BROADCAST_THRESHOLD = "spark.softmax.broadcastThreshold";

    /** 128 MiB: about a million groups; the driver collects them once. */
    static final String DEFAULT_BROADCAST_THRESHOLD = "128m";

    static long broadcastThreshold(SparkSession spark) {
        String value = spark.conf().get(BROADCAST_THRESHOLD, DEFAULT_BROADCAST_THRESHOLD).strip();
        try {
            return value.startsWith("-") ? -1 : JavaUtils.byteStringAsBytes(value);
        } catch (NumberFormatException e) {
            throw new SoftmaxException(BROADCAST_THRESHOLD + " must be a size in bytes such as 134217728 or 128m, "
                    + "or -1 for never, got " + value);
        }
    }

    static void run(SparkSession spark, JobSettings settings, PrintWriter out, PrintWriter err, long startNanos) {
        if (!settings.conf().containsKey(COALESCE_CACHED_PLANS)) {
            spark.conf().set(COALESCE_CACHED_PLANS, "true");
        }
        long broadcastThreshold = broadcastThreshold(spark);
        Configuration hadoopConf = spark.sparkContext().hadoopConfiguration();
        InputPaths inputs = InputPaths.resolve(hadoopConf, settings.inputs());
        DataFormat inputFormat = settings.inputFormat() != null ? settings.inputFormat() : inputs.detectFormat();
        DataFormat outputFormat = settings.outputFormat() != null ? settings.outputFormat() : inputFormat;

        Path outputPath = InputPaths.qualify(hadoopConf, settings.output());
        inputs.checkOutsideInputs("--output", outputPath);
        Path badRowsPath = null;
        if (settings.badRows() != null) {
            badRowsPath = InputPaths.qualify(hadoopConf, settings.badRows());
            inputs.checkOutsideInputs("--bad-rows", badRowsPath);
            String a = outputPath.toUri().getPath() + "/";
            String b = badRowsPath.toUri().getPath() + "/";
            if (a.startsWith(b) || b.startsWith(a)) {
                throw new SoftmaxException("--bad-rows: " + badRowsPath + " and --output " + outputPath
                        + " must be apart, neither inside the other");
            }
        }
        String runId = AtomicOutput.newRunId();
        AtomicOutput output = AtomicOutput.prepare(hadoopConf, "--output", outputPath, settings.overwrite(), runId);
        AtomicOutput badRowsOutput = badRowsPath == null ? null
                : AtomicOutput.prepare(hadoopConf, "--bad-rows", badRowsPath, settings.overwrite(), runId);
        printNotices(err, output);
        printNotices(err, badRowsOutput);

        // Spark throws checked exceptions (SparkException) undeclared: clean up in finally.
        boolean written = false;
        try (ParsedInput input = ParsedInput.read(spark, inputs, inputFormat, settings.valueColumn(),
                settings.weightColumn(), settings.groupBy(), settings.outputColumns())) {
            ParsedInput.Counts counts = input.counts();
            if (counts.badRows() > 0 && badRowsOutput == null) {
                throw new SoftmaxException(input.describeFirstBadRow() + "; " + counts.badRows() + " bad row"
                        + (counts.badRows() == 1 ? "" : "s") + " in all, nothing written"
                        + " (pass --bad-rows DIR to set them aside and go on)");
            }

            // The group columns go to the Spark layer under names of the job's own: the
            // normalizer table holds them beside its own columns (status, count, max, ...),
            // which a group column of the same name would make ambiguous.
            Dataset<Row> good = input.goodRows();
            List<String> groupKeys = new ArrayList<>();
            for (String group : settings.groupBy()) {
                String key = freeName(good.columns(), "__softmax_job_group_" + groupKeys.size());
                good = good.withColumn(key, col(ParsedInput.quote(group)));
                groupKeys.add(key);
            }
            SoftmaxOptions options = SoftmaxOptions.defaults()
                    .groupBy(groupKeys.toArray(String[]::new))
                    .temperature(settings.temperature())
                    .mode(settings.mode())
                    .probColumn(settings.outputColumns().contains(SoftmaxJob.PROB) ? SoftmaxJob.PROB : null)
                    .logProbColumn(settings.outputColumns().contains(SoftmaxJob.LOG_PROB) ? SoftmaxJob.LOG_PROB : null)
                    .broadcastThreshold(broadcastThreshold)
                    .weight(settings.weightColumn());
            Dataset<Row> normalizers = SoftmaxFunctions.normalizers(good, settings.valueColumn(), options)
                    .persist(StorageLevel.MEMORY_AND_DISK());
            try {
                Map<String, Long> groupsByStatus = groupsByStatus(normalizers);
                Dataset<Row> result = SoftmaxFunctions.applyNormalizers(good, settings.valueColumn(), normalizers,
                        options);
                List<Column> columns = new ArrayList<>();
                for (String name : input.columns()) {
                    columns.add(col(ParsedInput.quote(name)));
                }
                for (String name : settings.outputColumns()) {
                    columns.add(col(name));
                }
                result = result.select(columns.toArray(Column[]::new));

                write(result, outputFormat, output);
                if (badRowsOutput != null) {
                    write(input.badRows(), inputFormat, badRowsOutput);
                    badRowsOutput.commit();
                }
                output.commit();
                written = true;

                JobSummary summary = new JobSummary(settings, inputFormat, outputFormat, output.target(),
                        badRowsPath, counts, groupsByStatus, (System.nanoTime() - startNanos) / 1e9);
                out.print(summary.format());
                out.flush();
            } finally {
                normalizers.unpersist(false);
            }
        } finally {
            if (!written) {
                output.abort();
                if (badRowsOutput != null) {
                    badRowsOutput.abort();
                }
            }
        }
    }

    private static String freeName(String[] taken, String name) {
        String candidate = name;
        while (Arrays.asList(taken).contains(candidate)) {
            candidate = candidate + "_";
        }
        return candidate;
    }

    private static Map<String, Long> groupsByStatus(Dataset<Row> normalizers) {
        Map<String, Long> counts = new HashMap<>();
        for (Row row : normalizers.groupBy("status").count().collectAsList()) {
            // Status names as Normalizer.Status spells them (FINITE, NAN, ...), any case.
            counts.put(row.getString(0).toLowerCase(Locale.ROOT), row.getLong(1));
        }
        return counts;
    }

    private static void write(Dataset<Row> rows, DataFormat format, AtomicOutput output) {
        DataFrameWriter<Row> writer = rows.write().format(format.sparkName());
        if (format == DataFormat.CSV) {
            writer = writer.options(DataFormat.CSV_OPTIONS);
        }
        writer.save(output.temporary().toString());
    }

    private static void printNotices(PrintWriter err, AtomicOutput output) {
        if (output != null) {
            for (String notice : output.notices()) {
                err.println("softmax: " + notice);
            }
            err.flush();
        }
    }
}
