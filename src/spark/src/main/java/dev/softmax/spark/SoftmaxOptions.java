/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.spark;

import dev.softmax.core.Softmax;
import dev.softmax.core.SoftmaxException;
import dev.softmax.core.SoftmaxMode;
import java.io.Serializable;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * Options of the DataFrame softmax ({@link SoftmaxFunctions#softmax(org.apache.spark.sql.Dataset,
 * String, SoftmaxOptions)}): immutable, each setter returns a new instance.
 *
 * <pre>{@code
 * SoftmaxOptions options = SoftmaxOptions.defaults()
 *     .groupBy("query_id")
 *     .temperature(0.5)
 *     .logProbColumn(null);   // only the prob column
 * }</pre>
 *
 * <table>
 *   <caption>Options and defaults</caption>
 *   <tr><th>option</th><th>default</th></tr>
 *   <tr><td>{@link #groupBy}</td><td>none: one softmax over the whole column</td></tr>
 *   <tr><td>{@link #temperature}</td><td>1 (finite and &gt; 0; the values are divided by it)</td></tr>
 *   <tr><td>{@link #mode}</td><td>{@link SoftmaxMode#EXACT}</td></tr>
 *   <tr><td>{@link #probColumn}</td><td>{@code prob} ({@code null}: leave it out)</td></tr>
 *   <tr><td>{@link #logProbColumn}</td><td>{@code log_prob} ({@code null}: leave it out)</td></tr>
 *   <tr><td>{@link #broadcastThreshold}</td><td>10 MiB</td></tr>
 * </table>
 *
 * @since 0.1.0
 */
public final class SoftmaxOptions implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Default of {@link #broadcastThreshold()}: 10 MiB, as Spark's autoBroadcastJoinThreshold. */
    public static final long DEFAULT_BROADCAST_THRESHOLD = 10L * 1024 * 1024;

    private static final SoftmaxOptions DEFAULTS = new SoftmaxOptions(
            Collections.emptyList(), 1.0, SoftmaxMode.EXACT, "prob", "log_prob", DEFAULT_BROADCAST_THRESHOLD, null,
            null);

    private final List<String> groupBy;
    private final double temperature;
    private final SoftmaxMode mode;
    private final String probColumn;
    private final String logProbColumn;
    private final long broadcastThreshold;
    /** The weight column's name, or null (no weights; or a weight given as a Column). */
    private final String weightColumn;
    /** The weight as a Column, or null; not serialized (a Column is a driver-side object). */
    private final transient org.apache.spark.sql.Column weight;

    private SoftmaxOptions(List<String> groupBy, double temperature, SoftmaxMode mode,
            String probColumn, String logProbColumn, long broadcastThreshold, String weightColumn,
            org.apache.spark.sql.Column weight) {
        this.weightColumn = weightColumn;
        this.weight = weight;
        this.groupBy = groupBy;
        this.temperature = temperature;
        this.mode = mode;
        this.probColumn = probColumn;
        this.logProbColumn = logProbColumn;
        this.broadcastThreshold = broadcastThreshold;
    }

    /** Global softmax, temperature 1, exact mode, columns {@code prob} and {@code log_prob}. */
    public static SoftmaxOptions defaults() {
        return DEFAULTS;
    }

    /**
     * One softmax per group of these columns (a null key is a group of its own, as in GROUP
     * BY); no column means one softmax over the whole column.
     */
    public SoftmaxOptions groupBy(String... columns) {
        Objects.requireNonNull(columns, "columns");
        for (String column : columns) {
            if (column == null || column.isEmpty()) {
                throw new SoftmaxException("group-by column names must be non-empty, got " + Arrays.toString(columns));
            }
        }
        return new SoftmaxOptions(List.of(columns), temperature, mode, probColumn, logProbColumn, broadcastThreshold,
                weightColumn, weight);
    }

    /** The softmax of x / temperature (the quotient rounded once); finite and &gt; 0. */
    public SoftmaxOptions temperature(double temperature) {
        return new SoftmaxOptions(groupBy, Softmax.checkTemperature(temperature), mode, probColumn,
                logProbColumn, broadcastThreshold, weightColumn, weight);
    }

    /** {@link SoftmaxMode#EXACT} (reproducible bits, default) or {@link SoftmaxMode#FAST}. */
    public SoftmaxOptions mode(SoftmaxMode mode) {
        return new SoftmaxOptions(groupBy, temperature, Objects.requireNonNull(mode, "mode"), probColumn,
                logProbColumn, broadcastThreshold, weightColumn, weight);
    }

    /** The mode by name: {@code exact} or {@code fast}, any case. */
    public SoftmaxOptions mode(String mode) {
        return mode(SoftmaxMode.parse(mode));
    }

    /** Name of the probability column; {@code null} leaves it out. */
    public SoftmaxOptions probColumn(String name) {
        return new SoftmaxOptions(groupBy, temperature, mode, checkName(name, "probColumn"), logProbColumn,
                broadcastThreshold, weightColumn, weight);
    }

    /** Name of the log-probability column; {@code null} leaves it out. */
    public SoftmaxOptions logProbColumn(String name) {
        return new SoftmaxOptions(groupBy, temperature, mode, probColumn, checkName(name, "logProbColumn"),
                broadcastThreshold, weightColumn, weight);
    }

    /**
     * Grouped softmax only: the budget of the per-group normalizers, in bytes. The DataFrame
     * softmax computes them first and measures them (as Spark's UnsafeRows); when they are at
     * most this many bytes they are broadcast and every row is mapped in place, otherwise they
     * are joined to the rows (see docs/dataframe.md, Plans). {@code applyNormalizers} compares
     * Spark's size estimate of the stored normalizers instead, before running. A negative value
     * never broadcasts: the join is then chosen before running, a sort-merge join.
     */
    public SoftmaxOptions broadcastThreshold(long bytes) {
        return new SoftmaxOptions(groupBy, temperature, mode, probColumn, logProbColumn, bytes, weightColumn, weight);
    }

    /**
     * Weights (scipy's b): the softmax of the rows (x, w) is w exp(x) / sum of w exp(x) over the
     * group, with rows where x or w is NULL left out (their outputs NULL). A weight of 0 gives
     * prob 0 and log_prob -Infinity (the row is masked but kept); a negative weight in a group
     * makes that group's outputs NaN (its normalizer's status is {@code NEGATIVE_WEIGHT}). The
     * temperature divides x only. {@code null} removes the weights.
     */
    public SoftmaxOptions weight(String column) {
        if (column != null && column.isEmpty()) {
            throw new SoftmaxException("weight must be a non-empty column name or null, got \"\"");
        }
        return new SoftmaxOptions(groupBy, temperature, mode, probColumn, logProbColumn, broadcastThreshold, column,
                null);
    }

    /** Weights as an expression over the input; see {@link #weight(String)}. */
    public SoftmaxOptions weight(org.apache.spark.sql.Column column) {
        return new SoftmaxOptions(groupBy, temperature, mode, probColumn, logProbColumn, broadcastThreshold, null,
                column);
    }

    /** The weight column's name, or null. */
    public String weightColumn() {
        return weightColumn;
    }

    /** The weight given as a Column, or null. */
    public org.apache.spark.sql.Column weight() {
        return weight;
    }

    /** Whether weights are set (by name or as a Column). */
    public boolean weighted() {
        return weightColumn != null || weight != null;
    }

    private static String checkName(String name, String option) {
        if (name != null && name.isEmpty()) {
            throw new SoftmaxException(option + " must be a non-empty column name or null, got \"\"");
        }
        return name;
    }

    public List<String> groupBy() {
        return groupBy;
    }

    public double temperature() {
        return temperature;
    }

    public SoftmaxMode mode() {
        return mode;
    }

    /** The probability column's name, or null when left out. */
    public String probColumn() {
        return probColumn;
    }

    /** The log-probability column's name, or null when left out. */
    public String logProbColumn() {
        return logProbColumn;
    }

    public long broadcastThreshold() {
        return broadcastThreshold;
    }

    @Override
    public boolean equals(Object other) {
        if (this == other) {
            return true;
        }
        if (!(other instanceof SoftmaxOptions)) {
            return false;
        }
        SoftmaxOptions that = (SoftmaxOptions) other;
        return Double.compare(temperature, that.temperature) == 0
                && broadcastThreshold == that.broadcastThreshold
                && groupBy.equals(that.groupBy)
                && mode == that.mode
                && Objects.equals(probColumn, that.probColumn)
                && Objects.equals(logProbColumn, that.logProbColumn)
                && Objects.equals(weightColumn, that.weightColumn)
                && Objects.equals(weight, that.weight);
    }

    @Override
    public int hashCode() {
        return Objects.hash(groupBy, temperature, mode, probColumn, logProbColumn, broadcastThreshold, weightColumn,
                weight);
    }

    @Override
    public String toString() {
        return "SoftmaxOptions{groupBy=" + groupBy + ", temperature=" + temperature + ", mode=" + mode.id()
                + ", probColumn=" + probColumn + ", logProbColumn=" + logProbColumn
                + ", broadcastThreshold=" + broadcastThreshold
                + (weighted() ? ", weight=" + (weightColumn != null ? weightColumn : weight) : "") + "}";
    }
}
