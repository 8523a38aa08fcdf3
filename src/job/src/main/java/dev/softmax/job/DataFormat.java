/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.job;

import dev.softmax.core.SoftmaxException;
import java.util.Locale;
import java.util.Map;

/** The table formats the job reads and writes, with the names Spark's readers use. *
 * @since 0.1.0
 */
public enum DataFormat {
    CSV("csv"),
    PARQUET("parquet"),
    JSON("json"),
    ORC("orc");

    /** Compression suffixes Spark's Hadoop codecs recognise after the format's extension. */
    private static final String[] COMPRESSION = {".gz", ".bz2", ".deflate", ".lz4", ".snappy", ".zst", ".zstd", ".xz"};

    /**
     * CSV as RFC 4180, pandas, Python's csv module and spreadsheets write it: a header row, and a
     * quote inside a quoted field doubled ({@code "a ""b"" c"}). Spark's own default escapes
     * with a backslash, which reads such a line as malformed. Used for reading and writing.
     */
    static final Map<String, String> CSV_OPTIONS = Map.of("header", "true", "escape", "\"");

    /**
     * Reading only: every file's header must name the columns of the first file, in the same
     * order. Spark's default (true) reads a file whose columns come in another order silently
     * into the wrong columns.
     */
    static final Map<String, String> CSV_READ_OPTIONS = Map.of("header", "true", "escape", "\"",
            "enforceSchema", "false");

    private final String sparkName;

    DataFormat(String sparkName) {
        this.sparkName = sparkName;
    }

    /** The name of Spark's data source: {@code spark.read().format(sparkName())}. */
    public String sparkName() {
        return sparkName;
    }

    /** Whether the reader sees lines of text, so a malformed line can be set aside raw. */
    public boolean isText() {
        return this == CSV || this == JSON;
    }

    /**
     * The format named on the command line.
     *
     * @throws SoftmaxException naming the option and the accepted names
     */
    public static DataFormat parse(String option, String name) {
        for (DataFormat format : values()) {
            if (format.sparkName.equalsIgnoreCase(name.strip())) {
                return format;
            }
        }
        throw new SoftmaxException(option + ": unknown format '" + name + "'; accepted: csv, parquet, json, orc");
    }

    /**
     * The format a file name stands for, from its extension ({@code .csv.gz} is csv,
     * {@code part-0-c000.snappy.parquet} is parquet), or null if the name does not say.
     */
    public static DataFormat fromFileName(String fileName) {
        String name = fileName.toLowerCase(Locale.ROOT);
        for (String suffix : COMPRESSION) {
            if (name.endsWith(suffix)) {
                name = name.substring(0, name.length() - suffix.length());
                break;
            }
        }
        if (name.endsWith(".csv")) {
            return CSV;
        }
        if (name.endsWith(".parquet") || name.endsWith(".parq")) {
            return PARQUET;
        }
        if (name.endsWith(".json") || name.endsWith(".jsonl") || name.endsWith(".ndjson")) {
            return JSON;
        }
        if (name.endsWith(".orc")) {
            return ORC;
        }
        return null;
    }

    @Override
    public String toString() {
        return sparkName;
    }
}
