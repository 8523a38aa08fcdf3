/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.job;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.input_file_name;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import dev.softmax.core.SoftmaxException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.DataFrameReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;

/**
 * The input of one run, read once, its value column cast to double, every row marked good or
 * bad, and persisted (memory and disk) so the aggregate and the map stage see the same rows
 * even if the source changes in between.
 *
 * <p>CSV is read with every column as text (so ids such as {@code 007} come back untouched)
 * in Spark's PERMISSIVE mode with a corrupt-record column, which holds the raw text of a
 * malformed line (Spark's FAILFAST mode would name the file but not the line). JSON gets
 * the same corrupt-record column. The value column: numeric types are cast to double; any
 * other type is read as text by {@link ValueText}. A row is bad if its line is malformed or
 * its value is not blank and does not parse.
 */
final class ParsedInput implements AutoCloseable {

    /** What the bad-rows output adds to the input columns. */
    static final String BAD_ROW_FILE = "_bad_row_file";
    static final String BAD_ROW_REASON = "_bad_row_reason";
    static final String BAD_ROW_TEXT = "_bad_row_text";

    /** Parquet's reader option (a Hadoop setting) to check the CRC of every page that has one. */
    static final String PARQUET_VERIFY_CHECKSUMS = "parquet.page.verify-checksum.enabled";

    private static final UserDefinedFunction PARSE = functions.udf(
            (UDF1<String, Double>) ValueText::parseOrNull, DataTypes.DoubleType);
    private static final UserDefinedFunction DOES_NOT_PARSE = functions.udf(
            (UDF1<String, Boolean>) text -> !ValueText.isBlank(text) && ValueText.parseOrNull(text) == null,
            DataTypes.BooleanType);

    private final DataFormat format;
    private final String valueColumn;
    private final List<String> columns;
    private final String reasonColumn;
    private final String fileColumn;
    private final String textColumn;
    private final String originalValueColumn;
    private final String weightColumn;
    private final String originalWeightColumn;
    private final Dataset<Row> rows;

    private ParsedInput(DataFormat format, String valueColumn, String weightColumn, List<String> columns,
            HiddenNames hidden, Dataset<Row> rows) {
        this.format = format;
        this.valueColumn = valueColumn;
        this.weightColumn = weightColumn;
        this.originalWeightColumn = hidden.originalWeight;
        this.columns = List.copyOf(columns);
        this.reasonColumn = hidden.reason;
        this.fileColumn = hidden.file;
        this.textColumn = hidden.text;
        this.originalValueColumn = hidden.originalValue;
        this.rows = rows;
    }

    /**
     * Reads the input and checks its columns against the options.
     *
     * @param weightColumn the weight column, read as the value column is; null for none
     * @param outputColumns the columns the job adds; the input must not have them already
     * @throws SoftmaxException if the value column, a group column is missing or an output column exists
     */
    static ParsedInput read(SparkSession spark, InputPaths paths, DataFormat format, String valueColumn,
            String weightColumn, List<String> groupBy, List<String> outputColumns) {
        String[] patterns = paths.patterns().toArray(String[]::new);
        Dataset<Row> raw;
        HiddenNames hidden;
        String corruptColumn;
        switch (format) {
            case CSV: {
                StructType header = spark.read().options(DataFormat.CSV_OPTIONS).csv(patterns).schema();
                hidden = new HiddenNames(header.fieldNames());
                corruptColumn = hidden.text;
                StructType schema = new StructType();
                for (StructField field : header.fields()) {
                    schema = schema.add(field.name(), DataTypes.StringType, true);
                }
                schema = schema.add(corruptColumn, DataTypes.StringType, true);
                raw = permissive(spark.read(), corruptColumn).options(DataFormat.CSV_READ_OPTIONS).schema(schema)
                        .csv(patterns);
                break;
            }
            case JSON: {
                // The corrupt-record name must be chosen before the fields are known (schema
                // inference adds it when a line is malformed); a field of that very name would
                // be taken for it.
                corruptColumn = HiddenNames.PREFIX + "text";
                raw = permissive(spark.read(), corruptColumn).json(patterns);
                List<String> names = new ArrayList<>(Arrays.asList(raw.columns()));
                names.remove(corruptColumn);
                hidden = new HiddenNames(names.toArray(String[]::new));
                if (!Arrays.asList(raw.columns()).contains(corruptColumn)) {
                    raw = raw.withColumn(corruptColumn, lit(null).cast(DataTypes.StringType));
                }
                break;
            }
            default: {
                DataFrameReader reader = spark.read().format(format.sparkName());
                if (format == DataFormat.PARQUET) {
                    // Spark writes a CRC with every Parquet page but reads without checking it:
                    // a flipped bit in a data page then reads as a different value, silently
                    // (seen in 25 of 40 single-bit flips of a file written by Spark). Checked,
                    // every one fails the read; pages written without a CRC are read as before.
                    reader = reader.option(PARQUET_VERIFY_CHECKSUMS, "true");
                }
                raw = reader.load(patterns);
                hidden = new HiddenNames(raw.columns());
                corruptColumn = hidden.text;
                raw = raw.withColumn(corruptColumn, lit(null).cast(DataTypes.StringType));
                break;
            }
        }
        List<String> columns = new ArrayList<>(Arrays.asList(raw.columns()));
        columns.remove(corruptColumn);
        checkColumns(columns, valueColumn, groupBy, outputColumns);
        if (weightColumn != null && !columns.contains(weightColumn)) {
            throw new SoftmaxException("--weight-column: the input has no column '" + weightColumn + "'; "
                    + "its columns: " + String.join(", ", columns));
        }

        Column[] value = parse(raw, valueColumn);
        Column[] weight = weightColumn == null ? new Column[] {lit(null), lit(false), lit(null)}
                : parse(raw, weightColumn);
        Column corrupt = col(quote(corruptColumn));
        Column reason = when(corrupt.isNotNull(), lit(format == DataFormat.CSV ? "malformed line" : "malformed record"))
                .when(value[1], lit("value is not a number"))
                .when(weight[1], lit("weight is not a number"));
        Column isBad = reason.isNotNull();

        List<Column> projection = new ArrayList<>();
        for (String name : columns) {
            if (name.equals(valueColumn)) {
                projection.add(when(isBad.equalTo(false), value[0]).as(name));
            } else if (name.equals(weightColumn)) {
                projection.add(when(isBad.equalTo(false), weight[0]).as(name));
            } else {
                projection.add(col(quote(name)));
            }
        }
        projection.add(reason.as(hidden.reason));
        projection.add(when(isBad, input_file_name()).as(hidden.file));
        projection.add(corrupt.as(hidden.text));
        projection.add(when(isBad, value[2]).as(hidden.originalValue));
        projection.add(when(isBad, weight[2]).as(hidden.originalWeight));
        Dataset<Row> rows = raw.select(projection.toArray(Column[]::new)).persist(StorageLevel.MEMORY_AND_DISK());
        return new ParsedInput(format, valueColumn, weightColumn, columns, hidden, rows);
    }

    /**
     * A numeric column read as the value column is: {parsed as double, does not parse, the
     * original}. Numeric types are cast; any other type is read as text by {@link ValueText}.
     */
    private static Column[] parse(Dataset<Row> raw, String column) {
        DataType type = raw.schema().apply(column).dataType();
        Column original = col(quote(column));
        if (type instanceof NumericType) {
            return new Column[] {original.cast(DataTypes.DoubleType), lit(false), original};
        }
        Column text = original.cast(DataTypes.StringType);
        return new Column[] {PARSE.apply(text), DOES_NOT_PARSE.apply(text), original};
    }

    private static DataFrameReader permissive(DataFrameReader reader, String corruptColumn) {
        return reader.option("mode", "PERMISSIVE").option("columnNameOfCorruptRecord", corruptColumn);
    }

    private static void checkColumns(List<String> columns, String valueColumn, List<String> groupBy,
            List<String> outputColumns) {
        String available = columns.isEmpty() ? "it has no columns (an empty file?)"
                : "its columns: " + String.join(", ", columns);
        if (!columns.contains(valueColumn)) {
            throw new SoftmaxException("--value-column: the input has no column '" + valueColumn + "'; " + available);
        }
        for (String group : groupBy) {
            if (!columns.contains(group)) {
                throw new SoftmaxException("--group-by: the input has no column '" + group + "'; " + available);
            }
        }
        for (String output : outputColumns) {
            if (columns.contains(output)) {
                throw new SoftmaxException("the input already has a column '" + output
                        + "', which the job would write; rename it, or leave it out with --outputs");
            }
        }
    }

    /** A column name as Spark's col() reads it: dots and backticks taken literally. */
    static String quote(String name) {
        return "`" + name.replace("`", "``") + "`";
    }

    /** The input's columns, in order (the value column now double). */
    List<String> columns() {
        return columns;
    }

    /** Exact counts over the persisted rows (this also fills the cache). */
    Counts counts() {
        try {
            return countRows();
        } catch (Exception e) {
            // The first action reads every file; a CSV file whose header differs from the
            // first file's fails here, deep in a task. That is bad input: say which file.
            String header = csvHeaderMismatch(e);
            if (header != null) {
                throw new SoftmaxException(header, e);
            }
            throw ParsedInput.<RuntimeException>rethrow(e);
        }
    }

    /** Spark throws checked exceptions without declaring them; this passes one on unchanged. */
    @SuppressWarnings("unchecked")
    private static <T extends Throwable> T rethrow(Throwable e) throws T {
        throw (T) e;
    }

    private static final Pattern FAILED_FILE = Pattern.compile("while reading file (\\S+?)\\.?\\s");
    private static final Pattern HEADER = Pattern.compile("Header: ([^\\n]*)\\n\\s*Schema: ([^\\n]*)");

    /** One line for a CSV header that does not match the first file's, or null if that is not the error. */
    static String csvHeaderMismatch(Throwable e) {
        String file = null;
        for (Throwable t = e; t != null; t = t.getCause()) {
            String message = String.valueOf(t.getMessage());
            Matcher failed = FAILED_FILE.matcher(message + " ");
            if (file == null && failed.find()) {
                file = failed.group(1);
            }
            if (message.contains("CSV header does not conform to the schema")) {
                Matcher header = HEADER.matcher(message);
                String columns = header.find()
                        ? " names the columns " + header.group(1).strip() + ", the first file's "
                                + header.group(2).strip()
                        : " does not name the first file's columns";
                return "--input: the header of " + (file == null ? "a CSV file" : file) + columns
                        + " (every CSV file must have the same columns in the same order)";
            }
        }
        return null;
    }

    private Counts countRows() {
        Row row = rows.agg(
                count(lit(1)),
                count(col(reasonColumn)),
                sum(when(col(reasonColumn).isNull().and(col(quote(valueColumn)).isNull()), 1).otherwise(0)))
                .head();
        return new Counts(row.getLong(0), row.getLong(1), row.isNullAt(2) ? 0 : row.getLong(2));
    }

    /** The good rows with the input's columns, the value column as double. */
    Dataset<Row> goodRows() {
        return rows.filter(col(reasonColumn).isNull()).select(columns.stream().map(ParsedInput::quote)
                .map(functions::col).toArray(Column[]::new));
    }

    /**
     * The bad rows as they came in (the value column in its input type, CSV text untouched),
     * plus the file each came from, why it is bad and, for CSV and JSON, the raw line.
     */
    Dataset<Row> badRows() {
        List<Column> projection = new ArrayList<>();
        for (String name : columns) {
            if (name.equals(valueColumn)) {
                projection.add(col(originalValueColumn).as(name));
            } else if (name.equals(weightColumn)) {
                projection.add(col(originalWeightColumn).as(name));
            } else {
                projection.add(col(quote(name)));
            }
        }
        projection.add(col(fileColumn).as(BAD_ROW_FILE));
        projection.add(col(reasonColumn).as(BAD_ROW_REASON));
        if (format.isText()) {
            projection.add(col(textColumn).as(BAD_ROW_TEXT));
        }
        return rows.filter(col(reasonColumn).isNotNull()).select(projection.toArray(Column[]::new));
    }

    /**
     * The first bad row as one line for an error message: the file, the offending value and,
     * where the reader can tell, the raw line.
     */
    String describeFirstBadRow() {
        Row bad = rows.filter(col(reasonColumn).isNotNull())
                .select(col(fileColumn), col(reasonColumn), col(textColumn), col(originalValueColumn).cast("string"),
                        col(originalWeightColumn).cast("string"))
                .head();
        StringBuilder message = new StringBuilder("bad row in ").append(bad.getString(0)).append(": ");
        if (bad.isNullAt(2)) {
            boolean weight = bad.getString(1).startsWith("weight");
            message.append("value '").append(abbreviate(bad.getString(weight ? 4 : 3))).append("' in column '")
                    .append(weight ? weightColumn : valueColumn).append("' is not a number");
        } else {
            message.append(bad.getString(1)).append(" '").append(abbreviate(bad.getString(2))).append("'");
        }
        return message.toString();
    }

    /** Message text on one line: line breaks shown as \n, long text cut. */
    static String abbreviate(String text) {
        if (text == null) {
            return "null";
        }
        String line = text.replace("\\", "\\\\").replace("\r", "\\r").replace("\n", "\\n");
        return line.length() <= 200 ? line : line.substring(0, 200) + "...";
    }

    @Override
    public void close() {
        rows.unpersist(false);
    }

    /** Row counts of the whole input: all rows, bad rows, good rows whose value is null. */
    record Counts(long inputRows, long badRows, long nullValues) {
        long goodRows() {
            return inputRows - badRows;
        }
    }

    /** Names for the job's own columns that no input column has. */
    private static final class HiddenNames {
        static final String PREFIX = "__softmax_job_";
        final String reason;
        final String file;
        final String text;
        final String originalValue;
        final String originalWeight;

        HiddenNames(String[] inputColumns) {
            Set<String> taken = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
            taken.addAll(Arrays.asList(inputColumns));
            reason = free(taken, PREFIX + "reason");
            file = free(taken, PREFIX + "file");
            text = free(taken, PREFIX + "text");
            originalValue = free(taken, PREFIX + "value");
            originalWeight = free(taken, PREFIX + "weight");
        }

        private static String free(Set<String> taken, String name) {
            String candidate = name;
            while (taken.contains(candidate)) {
                candidate = candidate + "_";
            }
            taken.add(candidate);
            return candidate;
        }
    }
}
