/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.spark;

import dev.softmax.core.Normalizer;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Column names of the per-group normalizers that
 * {@link SoftmaxFunctions#normalizers(org.apache.spark.sql.Dataset, String, SoftmaxOptions)}
 * returns (after the group columns, in this order) and that
 * {@link SoftmaxFunctions#applyNormalizers} reads.
 *
 * <table>
 *   <caption>Normalizer columns</caption>
 *   <tr><th>column</th><th>type</th><th>meaning</th></tr>
 *   <tr><td>{@value #MODE}</td><td>string</td><td>{@code exact} or {@code fast}</td></tr>
 *   <tr><td>{@value #TEMPERATURE}</td><td>double</td><td>the values were divided by it</td></tr>
 *   <tr><td>{@value #STATUS}</td><td>string</td><td>a {@link dev.softmax.core.Normalizer.Status}
 *       name: {@code FINITE}, {@code EMPTY} (no non-null value), {@code NAN},
 *       {@code POSITIVE_INFINITY}, {@code ALL_NEGATIVE_INFINITY}, and with weights
 *       {@code NEGATIVE_WEIGHT} (outputs NaN; logsumexp NaN for a negative sum)</td></tr>
 *   <tr><td>{@value #COUNT}</td><td>bigint</td><td>non-null values folded</td></tr>
 *   <tr><td>{@value #MAX}</td><td>double</td><td>the maximum m (of x / temperature)</td></tr>
 *   <tr><td>{@value #MAX_COUNT}</td><td>bigint</td><td>values equal to m</td></tr>
 *   <tr><td>{@value #LOGSUMEXP}</td><td>double</td><td>log sum exp; NULL when EMPTY</td></tr>
 *   <tr><td>{@value #LOG_NORMALIZER_HIGH}, {@value #LOG_NORMALIZER_LOW}</td><td>double</td>
 *       <td>log d as a double-double, as the core finished it: exact mode rounds every output
 *       from exactly these bits, so keep them (the pair 0, 4.9E-324 marks a positive log d
 *       below 2^-1075; see {@link dev.softmax.core.Normalizer})</td></tr>
 * </table>
 *
 * @since 0.1.0
 */
public final class NormalizerColumns {
    public static final String MODE = "mode";
    public static final String TEMPERATURE = "temperature";
    public static final String STATUS = "status";
    public static final String COUNT = "count";
    public static final String MAX = "max";
    public static final String MAX_COUNT = "max_count";
    public static final String LOGSUMEXP = "logsumexp";
    public static final String LOG_NORMALIZER_HIGH = "log_normalizer_high";
    public static final String LOG_NORMALIZER_LOW = "log_normalizer_low";

    /** The normalizer columns as one struct, in order. */
    public static final StructType SCHEMA = new StructType(new StructField[] {
            DataTypes.createStructField(MODE, DataTypes.StringType, false),
            DataTypes.createStructField(TEMPERATURE, DataTypes.DoubleType, false),
            DataTypes.createStructField(STATUS, DataTypes.StringType, false),
            DataTypes.createStructField(COUNT, DataTypes.LongType, false),
            DataTypes.createStructField(MAX, DataTypes.DoubleType, false),
            DataTypes.createStructField(MAX_COUNT, DataTypes.LongType, false),
            DataTypes.createStructField(LOGSUMEXP, DataTypes.DoubleType, true),
            DataTypes.createStructField(LOG_NORMALIZER_HIGH, DataTypes.DoubleType, false),
            DataTypes.createStructField(LOG_NORMALIZER_LOW, DataTypes.DoubleType, false),
    });

    /**
     * The fields the row-wise functions read, in the parameter order of
     * {@link SoftmaxRuntime#prob}: {@code logsumexp} is left out (it follows from the others).
     */
    public static final List<String> ROW_WISE_FIELDS = List.of(MODE, STATUS, TEMPERATURE, COUNT, MAX, MAX_COUNT,
            LOG_NORMALIZER_HIGH, LOG_NORMALIZER_LOW);

    private NormalizerColumns() {}

    /**
     * Whether {@code type} is a normalizer struct the row-wise functions can read: it has every
     * field of {@link #ROW_WISE_FIELDS}, {@code mode} and {@code status} as strings and the others
     * numeric (cast on read). {@link #SCHEMA} is one; so is a struct read back from storage.
     */
    public static boolean isNormalizer(DataType type) {
        if (!(type instanceof StructType)) {
            return false;
        }
        StructType struct = (StructType) type;
        List<String> names = Arrays.asList(struct.fieldNames());
        for (String field : ROW_WISE_FIELDS) {
            if (!names.contains(field)) {
                return false;
            }
            DataType fieldType = struct.apply(field).dataType();
            boolean text = field.equals(MODE) || field.equals(STATUS);
            if (text ? !(fieldType instanceof StringType) : !(fieldType instanceof NumericType)) {
                return false;
            }
        }
        return true;
    }

    /**
     * The row of {@link #SCHEMA} for a finished normalizer: what {@code softmax_normalizer(x)} and
     * {@link SoftmaxFunctions#normalizers(org.apache.spark.sql.Dataset, String, SoftmaxOptions)}
     * return. {@code logsumexp} is NULL for an empty group.
     */
    public static Row row(Normalizer normalizer, double temperature) {
        boolean empty = normalizer.status() == Normalizer.Status.EMPTY;
        return RowFactory.create(
                normalizer.mode().id(),
                temperature,
                normalizer.status().name(),
                normalizer.count(),
                normalizer.max(),
                normalizer.maxCount(),
                empty ? null : normalizer.logSumExp(),
                normalizer.logNormalizerHigh(),
                normalizer.logNormalizerLow());
    }
}
