/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.job;

import dev.softmax.core.Softmax;
import dev.softmax.core.SoftmaxException;
import dev.softmax.core.SoftmaxMode;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.spark.SparkThrowable;
import org.apache.spark.sql.AnalysisException;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The spark-submit batch job: reads a table, adds {@code prob} and {@code log_prob} of one
 * column (over the whole column or per group) and writes the table back.
 *
 * <p>Exit codes: 0 success (and {@code --help}); 2 bad input or usage, with one line on
 * stderr; 1 a failure at run time, after Spark's own retries. The job never sets a master of
 * its own: {@code --master}, else spark-submit's (or {@code spark.master}).
 *
 * <p>Tests and embedding programs call {@link #run(SparkSession, String...)}, which returns the
 * exit code instead of leaving the JVM.
 *
 * @since 0.1.0
 */
@Command(
        name = "softmax",
        sortOptions = false,
        usageHelpWidth = 100,
        customSynopsis = {
            "jobs/softmax --input PATH [PATH...] --value-column COL --output DIR",
            "             [--weight-column COL] [--group-by COL[,COL...]] [--temperature T] [--mode exact|fast]",
            "             [--input-format csv|parquet|json|orc] [--output-format csv|parquet|json|orc]",
            "             [--outputs prob,log_prob] [--overwrite] [--bad-rows DIR]",
            "             [--master URL] [--conf key=value]...",
        },
        description = {
            "",
            "Adds softmax (prob) and log-softmax (log_prob) of one column to a table, over the whole column "
                    + "or per group, and writes every input row and column back with them.",
            "Exit codes: 0 success, 2 bad input or usage, 1 failure at run time.",
            "",
        })
public final class SoftmaxJob implements Callable<Integer> {

    static final String PROB = "prob";
    static final String LOG_PROB = "log_prob";

    @Option(names = "--input", required = true, arity = "1..*", paramLabel = "PATH",
            description = "Input files, directories or globs (Hadoop paths: file:, hdfs:, s3a: ...).")
    private List<String> inputs;

    @Option(names = "--value-column", required = true, paramLabel = "COL",
            description = "The column to normalize; numeric, or text read as a number (NaN, inf, -inf... allowed).")
    private String valueColumn;

    @Option(names = "--weight-column", paramLabel = "COL",
            description = "Weights (scipy's b): softmax of w exp(value) within the group; 0 masks a row,"
                    + " a negative weight makes its group NaN. Read as --value-column is.")
    private String weightColumn;

    @Option(names = "--output", required = true, paramLabel = "DIR",
            description = "Output directory; replaced all at once on success.")
    private String output;

    @Option(names = "--group-by", split = ",", paramLabel = "COL",
            description = "Softmax within each group of these columns (default: over the whole column).")
    private List<String> groupBy = new ArrayList<>();

    @Option(names = "--temperature", paramLabel = "T", defaultValue = "1",
            description = "Softmax of value / T; finite and > 0 (default: ${DEFAULT-VALUE}).")
    private String temperature;

    @Option(names = "--mode", paramLabel = "exact|fast", defaultValue = "exact",
            description = "exact: the exactly rounded result, the same bits on any partitioning; "
                    + "fast: plain doubles (default: ${DEFAULT-VALUE}).")
    private String mode;

    @Option(names = "--input-format", paramLabel = "FORMAT",
            description = "csv, parquet, json or orc (default: from the file names; .csv.gz is csv).")
    private String inputFormat;

    @Option(names = "--output-format", paramLabel = "FORMAT",
            description = "csv, parquet, json or orc (default: the input's).")
    private String outputFormat;

    @Option(names = "--outputs", split = ",", paramLabel = "COL", defaultValue = "prob,log_prob",
            description = "Which of prob, log_prob to write (default: ${DEFAULT-VALUE}).")
    private List<String> outputs;

    @Option(names = "--overwrite", description = "Replace an existing output (and bad-rows directory).")
    private boolean overwrite;

    @Option(names = "--bad-rows", paramLabel = "DIR",
            description = "Write rows that do not parse here, in the input format, and go on without them"
                    + " (default: fail on the first).")
    private String badRows;

    @Option(names = "--master", paramLabel = "URL",
            description = "Spark master, e.g. local[*], local[4], spark://host:7077 (default: spark-submit's).")
    private String master;

    @Option(names = "--conf", paramLabel = "key=value",
            description = "A Spark configuration property; repeatable, as in spark-submit.")
    private List<String> conf = new ArrayList<>();

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Print this help and exit.")
    private boolean help;

    @Spec
    private CommandLine.Model.CommandSpec spec;

    private final SparkSession givenSession;

    private SoftmaxJob(SparkSession givenSession) {
        this.givenSession = givenSession;
    }

    public static void main(String[] args) {
        System.exit(run(null, args));
    }

    /**
     * Runs the job in this JVM and returns its exit code, printing to System.out and System.err.
     *
     * @param session the session to run in (a new session of it, so --conf stays local), or
     *     null to create one from --master, --conf and spark-submit's settings, and stop it after
     */
    public static int run(SparkSession session, String... args) {
        return run(session, new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
    }

    /** {@link #run(SparkSession, String...)} printing the summary to {@code out}, errors to {@code err}. */
    public static int run(SparkSession session, PrintWriter out, PrintWriter err, String... args) {
        CommandLine commandLine = new CommandLine(new SoftmaxJob(session));
        commandLine.setOut(out);
        commandLine.setErr(err);
        commandLine.setParameterExceptionHandler((e, ignored) -> {
            err.println("softmax: " + firstLine(e.getMessage()) + " (see --help)");
            err.flush();
            return 2;
        });
        commandLine.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (isBadInput(e)) {
                err.println("softmax: " + firstLine(e.getMessage()));
                err.flush();
                return 2;
            }
            String unreadable = unreadableInputFile(e);
            if (unreadable != null) {
                err.println("softmax: " + unreadable);
                err.flush();
                return 2;
            }
            err.println("softmax: failed: " + firstLine(e.toString()));
            e.printStackTrace(err);
            err.flush();
            return 1;
        });
        int code = commandLine.execute(args);
        out.flush();
        err.flush();
        return code;
    }

    /** The project's error type, and Spark's own for a query that cannot run on this input. */
    private static boolean isBadInput(Exception e) {
        return e instanceof SoftmaxException || e instanceof AnalysisException;
    }

    /**
     * One line for an input file Spark could not read after its task retries (its error
     * condition FAILED_READ_FILE: a truncated or corrupt file, a Parquet page whose checksum
     * fails, a file deleted after the job listed it), naming the file and the cause; null if
     * that is not the error. Bad input, exit 2, like a row that does not parse.
     */
    // getErrorClass(): getCondition() is its Spark 4 name, which 3.5 lacks; both lines have this one.
    @SuppressWarnings("deprecation")
    static String unreadableInputFile(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SparkThrowable spark && spark.getErrorClass() != null
                    && spark.getErrorClass().startsWith("FAILED_READ_FILE")) {
                String path = spark.getMessageParameters().get("path");
                Throwable root = t;
                while (root.getCause() != null && root.getCause() != root) {
                    root = root.getCause();
                }
                String cause = root == t ? spark.getErrorClass() : firstLine(root.getMessage());
                return "--input: cannot read " + (path == null ? "an input file" : path) + ": " + cause
                        + " (a truncated, corrupt or deleted file? Spark: " + spark.getErrorClass() + ")";
            }
        }
        return null;
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "";
        }
        String trimmed = message.strip();
        int end = trimmed.indexOf('\n');
        return end < 0 ? trimmed : trimmed.substring(0, end).strip();
    }

    @Override
    public Integer call() {
        long start = System.nanoTime();
        JobSettings settings = settings();
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (givenSession != null) {
            SparkSession spark = givenSession.newSession();
            for (Map.Entry<String, String> entry : settings.conf().entrySet()) {
                try {
                    spark.conf().set(entry.getKey(), entry.getValue());
                } catch (RuntimeException e) {
                    throw new SoftmaxException("--conf " + entry.getKey() + ": cannot be set in a running session: "
                            + firstLine(e.getMessage()), e);
                }
            }
            SoftmaxBatch.run(spark, settings, out, err, start);
            return 0;
        }
        if (master == null && !settings.conf().containsKey("spark.master")
                && System.getProperty("spark.master") == null) {
            throw new SoftmaxException("no Spark master: pass --master local[*] (or spark://host:port), or run through"
                    + " spark-submit or jobs/softmax");
        }
        SparkSession.Builder builder = SparkSession.builder().appName("softmax " + valueColumn);
        if (master != null) {
            builder.master(master);
        }
        settings.conf().forEach(builder::config);
        SparkSession spark = builder.getOrCreate();
        try {
            SoftmaxBatch.run(spark, settings, out, err, start);
        } finally {
            spark.stop();
        }
        return 0;
    }

    /**
     * Checks every option that can be checked before Spark starts.
     *
     * @throws SoftmaxException naming the option, the value and what is accepted
     */
    private JobSettings settings() {
        double t = parseTemperature(temperature);
        SoftmaxMode softmaxMode;
        try {
            softmaxMode = SoftmaxMode.parse(mode);
        } catch (SoftmaxException e) {
            throw new SoftmaxException("--mode: expected exact or fast, got '" + mode + "'", e);
        }
        DataFormat in = inputFormat == null ? null : DataFormat.parse("--input-format", inputFormat);
        DataFormat out = outputFormat == null ? null : DataFormat.parse("--output-format", outputFormat);
        List<String> outputColumns = new ArrayList<>();
        for (String name : outputs) {
            String column = name.strip();
            if (!column.equals(PROB) && !column.equals(LOG_PROB)) {
                throw new SoftmaxException("--outputs: unknown output '" + name + "'; accepted: prob, log_prob");
            }
            if (!outputColumns.contains(column)) {
                outputColumns.add(column);
            }
        }
        List<String> groups = new ArrayList<>();
        for (String group : groupBy) {
            if (group.isBlank()) {
                throw new SoftmaxException("--group-by: empty column name in '" + String.join(",", groupBy) + "'");
            }
            groups.add(group.strip());
        }
        if (valueColumn.isBlank()) {
            throw new SoftmaxException("--value-column: empty column name");
        }
        if (weightColumn != null && weightColumn.isBlank()) {
            throw new SoftmaxException("--weight-column: empty column name");
        }
        if (weightColumn != null && weightColumn.equals(valueColumn)) {
            throw new SoftmaxException("--weight-column: must differ from --value-column, got '" + weightColumn
                    + "' for both");
        }
        Map<String, String> sparkConf = new LinkedHashMap<>();
        for (String pair : conf) {
            int equals = pair.indexOf('=');
            if (equals <= 0) {
                throw new SoftmaxException("--conf: expected key=value, got '" + pair + "'");
            }
            sparkConf.put(pair.substring(0, equals).strip(), pair.substring(equals + 1));
        }
        if (badRows != null && badRows.isBlank()) {
            throw new SoftmaxException("--bad-rows: empty path");
        }
        return new JobSettings(List.copyOf(inputs), in, valueColumn, output, out, List.copyOf(groups), t,
                softmaxMode, List.copyOf(outputColumns), overwrite, badRows, sparkConf, weightColumn);
    }

    private static double parseTemperature(String text) {
        Double t = ValueText.parseOrNull(text);
        if (t == null) {
            throw new SoftmaxException("--temperature: expected a finite number > 0, got '" + text + "'");
        }
        try {
            return Softmax.checkTemperature(t);
        } catch (SoftmaxException e) {
            throw new SoftmaxException("--temperature: expected a finite number > 0, got " + text.strip(), e);
        }
    }
}
