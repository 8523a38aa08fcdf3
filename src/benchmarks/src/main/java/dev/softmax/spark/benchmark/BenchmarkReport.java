/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.spark.benchmark;

import dev.softmax.spark.benchmark.BenchmarkPlans.Data;
import dev.softmax.spark.benchmark.BenchmarkPlans.Kind;
import dev.softmax.spark.benchmark.BenchmarkPlans.Workload;
import dev.softmax.spark.benchmark.SparkBenchmark.Result;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.Paint;
import java.awt.RenderingHints;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.DoublePredicate;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.CategoryAxis;
import org.jfree.chart.labels.ItemLabelAnchor;
import org.jfree.chart.labels.ItemLabelPosition;
import org.jfree.chart.labels.StandardCategoryItemLabelGenerator;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.chart.ui.RectangleInsets;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.category.CategoryDataset;
import org.jfree.data.category.DefaultCategoryDataset;

/**
 * The report of a {@link SparkBenchmark} run: a markdown file (the machine, the settings, one
 * table of every plan's median, spread and ratio to its workload's baseline, the targets of
 * issues 6, 11 and 14 as measured ratios, and the task balance), a CSV file of every timed run, and a PNG
 * plot (JFreeChart) with one panel of bars per workload.
 */
final class BenchmarkReport {

    static final String MARKDOWN = "spark-benchmark.md";
    static final String PLOT = "spark-benchmark.png";
    static final String CSV = "spark-benchmark.csv";

    /** How the run was made, for the report's header. */
    record Settings(String master, long rows, long groupedRows, long keys, double skew, int warmup, int reps, long seed,
            Map<Data, String> data, String loadBefore, String loadAfter, double totalSeconds, long maxHeap,
            String conf) {}

    /** A target (issues 6, 11 and 14): the ratio of two medians and the bound it should meet. */
    private record Target(String name, Workload workload, String plan, Workload baseWorkload, String basePlan,
            String bound, DoublePredicate met) {}

    private static final List<Target> TARGETS = List.of(
            new Target("aggregate pass, exact: logsumexp(x) / builtin sum(exp(x))",
                    Workload.AGGREGATE, "logsumexp-exact", Workload.AGGREGATE, "builtin-sum-exp", "<= 1.3",
                    r -> r <= 1.3),
            new Target("aggregate pass, fast: logsumexp(x) / builtin sum(exp(x))",
                    Workload.AGGREGATE, "logsumexp-fast", Workload.AGGREGATE, "builtin-sum-exp", "<= 1.0",
                    r -> r <= 1.0),
            new Target("weighted aggregate, exact: logsumexp(x, w) / logsumexp(x)",
                    Workload.AGGREGATE, "logsumexp-weighted-exact", Workload.AGGREGATE, "logsumexp-exact", "<= 1.5",
                    r -> r <= 1.5),
            new Target("global softmax (noop): Window.partitionBy() / softmax(df) exact (speed-up)",
                    Workload.SOFTMAX, "window", Workload.SOFTMAX, "softmax-exact", ">= 5", r -> r >= 5),
            new Target("global softmax (noop): softmax(df) exact / builtin 3 passes",
                    Workload.SOFTMAX, "softmax-exact", Workload.SOFTMAX, "builtin-3-pass", "<= 1.0", r -> r <= 1.0),
            new Target("global softmax (noop): softmax(df) fast / builtin 3 passes",
                    Workload.SOFTMAX, "softmax-fast", Workload.SOFTMAX, "builtin-3-pass", "-", null),
            new Target("global softmax (Parquet): softmax(df) exact / builtin 3 passes",
                    Workload.PARQUET, "softmax-exact", Workload.PARQUET, "builtin-3-pass", "-", null),
            new Target("grouped softmax: softmax(df) exact / Window.partitionBy(g)",
                    Workload.GROUPED, "softmax-exact", Workload.GROUPED, "window", "<= 0.8", r -> r <= 0.8),
            new Target("grouped softmax: SQL exact, BROADCAST join / Window.partitionBy(g)",
                    Workload.GROUPED, "sql-exact", Workload.GROUPED, "window", "<= 0.8", r -> r <= 0.8),
            new Target("grouped softmax: softmax(df) fast / Window.partitionBy(g)",
                    Workload.GROUPED, "softmax-fast", Workload.GROUPED, "window", "-", null),
            new Target("grouped softmax: SQL window form / Window.partitionBy(g)",
                    Workload.GROUPED, "sql-window-exact", Workload.GROUPED, "window", "<= 1.0", r -> r <= 1.0),
            new Target("skew: softmax(df) exact, skewed / unskewed time",
                    Workload.SKEW, "softmax-exact", Workload.GROUPED, "softmax-exact", "<= 1.5", r -> r <= 1.5),
            new Target("skew: softmax(df) exact / Window.partitionBy(g), both skewed",
                    Workload.SKEW, "softmax-exact", Workload.SKEW, "window", "<= 0.5", r -> r <= 0.5));

    /** Largest task over the mean task of a stage, in records: above this, a task holds more than its share. */
    static final double BALANCED = 1.5;

    private final List<Result> results;
    private final Settings settings;
    private final String date = ZonedDateTime.now().format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm z"));

    BenchmarkReport(List<Result> results, Settings settings) {
        this.results = results;
        this.settings = settings;
    }

    void write(Path directory) throws IOException {
        Files.createDirectories(directory);
        Files.writeString(directory.resolve(MARKDOWN), markdown(), StandardCharsets.UTF_8);
        Files.writeString(directory.resolve(CSV), csv(), StandardCharsets.UTF_8);
        ImageIO.write(plot(), "png", directory.resolve(PLOT).toFile());
    }

    /** Copies the markdown and the plot into {@code target} (README links them there). */
    void publish(Path directory, Path target) throws IOException {
        Files.createDirectories(target);
        for (String name : List.of(MARKDOWN, PLOT, CSV)) {
            Files.copy(directory.resolve(name), target.resolve(name), StandardCopyOption.REPLACE_EXISTING);
        }
    }

    // ---- markdown ---------------------------------------------------------------------------------

    String markdown() {
        StringBuilder md = new StringBuilder();
        md.append("# Spark benchmark\n\n");
        md.append(String.format(Locale.ROOT, "%s. %s, %s. %d timed runs per plan, the plans of a workload taking "
                + "turns, after %d warm-up run (a plan's code warms up once per JVM, the baseline once per workload); "
                + "%.0f s in all.%n%n", date, machine(), settings.master(), settings.reps(), settings.warmup(),
                settings.totalSeconds()));
        md.append(String.format(Locale.ROOT, "Load average (1, 5, 15 min) before: %s; after: %s.%n%n",
                settings.loadBefore(), settings.loadAfter()));
        md.append(String.format(Locale.ROOT, "Data (seed %d): x uniform in [-20, 20); global: %,d rows; grouped: "
                + "%,d rows, keys uniform over %,d; skew: as grouped, but key 0 holds %.0f%% of the rows, the rest "
                + "uniform over the other keys.", settings.seed(), settings.rows(), settings.groupedRows(),
                settings.keys(), 100 * settings.skew()));
        for (Map.Entry<Data, String> data : settings.data().entrySet()) {
            md.append(' ').append(capitalized(data.getKey().name().toLowerCase(Locale.ROOT))).append(": ")
                    .append(data.getValue()).append('.');
        }
        if (!settings.conf().isEmpty()) {
            md.append(" Spark conf: ").append(settings.conf()).append('.');
        }
        md.append("\n\n");
        md.append("| workload | plan | median (s) | min - max (s) | x baseline | x baseline, fastest runs |\n");
        md.append("|---|---|---:|---:|---:|---:|\n");
        for (Workload workload : workloads()) {
            Result baseline = of(workload).get(0);
            for (Result result : of(workload)) {
                md.append(String.format(Locale.ROOT, "| %s | %s | %.2f | %.2f - %.2f | %s | %s |%n",
                        result == baseline ? workload.id : "",
                        result.plan().kind() == Kind.PROJECT
                                ? "**" + result.plan().label() + "**" : result.plan().label(),
                        result.median(), result.min(), result.max(),
                        result == baseline ? "1 (baseline)" : String.format(Locale.ROOT, "%.2f",
                                result.median() / baseline.median()),
                        result == baseline ? "1" : String.format(Locale.ROOT, "%.2f", result.min() / baseline.min())));
            }
        }
        md.append("\nBold: the project's plans. Every plan computes the same thing: the aggregate, or `prob` for "
                + "every row (no `log_prob`). Ratios: of the medians, and of the fastest runs (the runs least "
                + "disturbed by other work on the machine).\n");

        List<String> targetRows = new ArrayList<>();
        for (Target target : TARGETS) {
            Result result = find(target.workload(), target.plan());
            Result base = find(target.baseWorkload(), target.basePlan());
            if (result == null || base == null) {
                continue;
            }
            double ratio = result.median() / base.median();
            targetRows.add(String.format(Locale.ROOT, "| %s | %.2f | %.2f | %s | %s |", target.name(), ratio,
                    result.min() / base.min(), target.bound(),
                    target.met() == null ? "-" : target.met().test(ratio) ? "met" : "**not met**"));
        }
        for (Workload workload : List.of(Workload.SKEW)) {
            Result result = find(workload, "softmax-exact");
            if (result != null && result.heaviestStage() != null) {
                double ratio = worstRecordRatio(result);
                targetRows.add(String.format(Locale.ROOT, "| skew: softmax(df) exact, largest task / mean task "
                        + "records, worst stage | %.2f | | <= %.1f | %s |", ratio, BALANCED,
                        ratio <= BALANCED ? "met" : "**not met**"));
            }
        }
        if (!targetRows.isEmpty()) {
            md.append("\n## Targets: ratios of medians within this run\n\n");
            md.append("Met or not is judged on the medians.\n\n");
            md.append("| target | median ratio | fastest runs | bound | |\n|---|---:|---:|---:|---|\n");
            targetRows.forEach(row -> md.append(row).append('\n'));
        }

        List<Result> balanced = new ArrayList<>();
        for (Workload workload : List.of(Workload.GROUPED, Workload.SKEW)) {
            balanced.addAll(of(workload));
        }
        if (!balanced.isEmpty()) {
            md.append("\n## Task balance (last timed run)\n\n");
            md.append("Records each task read (shuffle rows; cached batches of up to 10,000 rows for a scan), in the "
                    + "stage whose largest task read the most, and the worst max / mean of any stage of two or more "
                    + "tasks (in records, and in task time).\n\n");
            md.append("| workload | plan | tasks | largest task (records) | mean task | worst max / mean records "
                    + "| worst max / mean time |\n|---|---|---:|---:|---:|---:|---:|\n");
            for (Result result : balanced) {
                TaskBalance.Stage stage = result.heaviestStage();
                if (stage == null) {
                    continue;
                }
                md.append(String.format(Locale.ROOT, "| %s | %s | %d | %,d | %,.0f | %.2f | %.2f |%n",
                        result.workload().id, result.plan().label(), stage.tasks(), stage.maxRecords(),
                        stage.records() / (double) stage.tasks(), worstRecordRatio(result), worstTimeRatio(result)));
            }
        }
        md.append("\n## Where the time goes (last timed run)\n\n");
        md.append("Task time of each stage in the order the stages ran (seconds, summed over the tasks of the stage; "
                + "on 2 cores the wall time is at least half the sum).\n\n");
        md.append("| workload | plan | wall (s) | task time per stage (s) | sum (s) |\n|---|---|---:|---|---:|\n");
        for (Result result : results) {
            List<TaskBalance.Stage> stages = new ArrayList<>(result.stages());
            stages.sort(java.util.Comparator.comparingInt(TaskBalance.Stage::id));
            double total = stages.stream().mapToLong(TaskBalance.Stage::millis).sum() / 1e3;
            md.append(String.format(Locale.ROOT, "| %s | %s | %.2f | %s | %.2f |%n", result.workload().id,
                    result.plan().label(), result.seconds().get(result.seconds().size() - 1),
                    String.join(" + ", stages.stream().map(st -> String.format(Locale.ROOT, "%.2f", st.millis() / 1e3))
                            .toList()), total));
        }
        return md.toString();
    }

    /** The largest max / mean records over the stages of at least two tasks that read records. */
    private static double worstRecordRatio(Result result) {
        return result.stages().stream().filter(s -> s.tasks() >= 2 && s.records() >= s.tasks())
                .mapToDouble(TaskBalance.Stage::recordRatio).max().orElse(1);
    }

    /** The largest max / mean task time over the stages of at least two tasks and 100 ms of work. */
    private static double worstTimeRatio(Result result) {
        return result.stages().stream().filter(s -> s.tasks() >= 2 && s.millis() >= 100)
                .mapToDouble(TaskBalance.Stage::timeRatio).max().orElse(1);
    }

    private String csv() {
        StringBuilder csv = new StringBuilder("workload,plan,run,seconds\n");
        for (Result result : results) {
            for (int i = 0; i < result.seconds().size(); i++) {
                csv.append(String.format(Locale.ROOT, "%s,%s,%d,%.4f%n", result.workload().id,
                        result.plan().id(), i + 1, result.seconds().get(i)));
            }
        }
        return csv.toString();
    }

    // ---- plot -------------------------------------------------------------------------------------

    private static final Color BASELINE = new Color(0x9E, 0x9E, 0x9E);
    private static final Color BUILTIN = new Color(0xE0, 0x8A, 0x3C);
    private static final Color PROJECT = new Color(0x2F, 0x6D, 0xB5);

    /** One horizontal bar chart per workload, stacked; each bar labelled with seconds and ratio. */
    BufferedImage plot() {
        int width = 1100;
        int header = 72;
        List<Workload> workloads = workloads();
        int[] heights = workloads.stream().mapToInt(w -> 70 + 34 * of(w).size()).toArray();
        int height = header + java.util.Arrays.stream(heights).sum() + 10;
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 17));
        g.drawString(String.format(Locale.ROOT, "spark-softmax on Spark %s: median time per plan (s), ratio to the "
                + "workload's baseline (grey)", org.apache.spark.package$.MODULE$.SPARK_VERSION()), 12, 24);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        g.drawString(String.format(Locale.ROOT, "%s, %s; global %,d rows, grouped %,d rows over %,d keys; median "
                + "of %d runs (range in brackets). Blue: spark-softmax; orange: builtin recipes", date,
                settings.master(), settings.rows(), settings.groupedRows(), settings.keys(), settings.reps()), 12, 44);
        g.drawString(String.format(Locale.ROOT, "%s; load average before %s, after %s", machine(),
                settings.loadBefore(), settings.loadAfter()), 12, 60);
        int y = header;
        for (int i = 0; i < workloads.size(); i++) {
            chart(workloads.get(i)).draw(g, new Rectangle2D.Double(0, y, width, heights[i]));
            y += heights[i];
        }
        g.dispose();
        return image;
    }

    private JFreeChart chart(Workload workload) {
        List<Result> of = of(workload);
        DefaultCategoryDataset dataset = new DefaultCategoryDataset();
        for (Result result : of) {
            dataset.addValue(result.median(), "median", result.plan().label());
        }
        double base = of.get(0).median();
        JFreeChart chart = ChartFactory.createBarChart(workload.title, null, null, dataset,
                PlotOrientation.HORIZONTAL, false, false, false);
        chart.getTitle().setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
        chart.setBackgroundPaint(Color.WHITE);
        CategoryPlot plot = chart.getCategoryPlot();
        plot.setBackgroundPaint(Color.WHITE);
        plot.setRangeGridlinePaint(new Color(0xDD, 0xDD, 0xDD));
        plot.setRangeGridlineStroke(new BasicStroke(1f));
        plot.setOutlineVisible(false);
        plot.setInsets(new RectangleInsets(2, 8, 2, 8));
        plot.getRangeAxis().setUpperMargin(0.36);
        CategoryAxis axis = plot.getDomainAxis();
        axis.setTickLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        axis.setMaximumCategoryLabelWidthRatio(0.45f);
        axis.setCategoryMargin(0.25);
        BarRenderer renderer = new BarRenderer() {
            private static final long serialVersionUID = 1L;

            @Override
            public Paint getItemPaint(int row, int column) {
                return column == 0 ? BASELINE : of.get(column).plan().kind() == Kind.PROJECT ? PROJECT : BUILTIN;
            }
        };
        renderer.setBarPainter(new StandardBarPainter());
        renderer.setShadowVisible(false);
        renderer.setMaximumBarWidth(0.5);
        renderer.setDefaultItemLabelGenerator(new StandardCategoryItemLabelGenerator() {
            private static final long serialVersionUID = 1L;

            @Override
            public String generateLabel(CategoryDataset data, int row, int column) {
                Result result = of.get(column);
                return String.format(Locale.ROOT, "%.2f s  (%.2f - %.2f)   %.2fx", result.median(), result.min(),
                        result.max(), result.median() / base);
            }
        });
        renderer.setDefaultItemLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        renderer.setDefaultItemLabelsVisible(true);
        renderer.setDefaultPositiveItemLabelPosition(
                new ItemLabelPosition(ItemLabelAnchor.OUTSIDE3, TextAnchor.CENTER_LEFT));
        plot.setRenderer(renderer);
        return chart;
    }

    // ---- helpers ----------------------------------------------------------------------------------

    private List<Workload> workloads() {
        return results.stream().map(Result::workload).distinct().toList();
    }

    private List<Result> of(Workload workload) {
        return results.stream().filter(r -> r.workload() == workload).toList();
    }

    private Result find(Workload workload, String plan) {
        return results.stream().filter(r -> r.workload() == workload && r.plan().id().equals(plan)).findFirst()
                .orElse(null);
    }

    private String machine() {
        return String.format(Locale.ROOT, "%s, %d cores, %s RAM, Java %s, Spark %s, driver -Xmx %.1f GB", cpu(),
                Runtime.getRuntime().availableProcessors(), memory(), System.getProperty("java.version"),
                org.apache.spark.package$.MODULE$.SPARK_VERSION(), settings.maxHeap() / 1e9);
    }

    /** The 1, 5 and 15 minute load averages of the machine, as uptime shows them. */
    static String loadAverage() {
        try {
            String[] fields = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return fields[0] + ", " + fields[1] + ", " + fields[2];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    private static String cpu() {
        try (Stream<String> lines = Files.lines(Path.of("/proc/cpuinfo"))) {
            return lines.filter(line -> line.startsWith("model name"))
                    .map(line -> line.substring(line.indexOf(':') + 1).trim())
                    .findFirst().orElse("unknown CPU");
        } catch (IOException | RuntimeException e) {
            return System.getProperty("os.arch");
        }
    }

    private static String memory() {
        try (Stream<String> lines = Files.lines(Path.of("/proc/meminfo"))) {
            return lines.filter(line -> line.startsWith("MemTotal:"))
                    .map(line -> String.format(Locale.ROOT, "%.0f GB",
                            Long.parseLong(line.replaceAll("\\D", "")) / 1024.0 / 1024.0))
                    .findFirst().orElse("unknown");
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    private static String capitalized(String text) {
        return text.isEmpty() ? text : Character.toUpperCase(text.charAt(0)) + text.substring(1);
    }
}
