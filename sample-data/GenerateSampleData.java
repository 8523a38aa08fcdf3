/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Random;

/**
 * Writes the two sample inputs of jobs/softmax, always the same bytes (java.util.Random with a
 * fixed seed is specified to give the same numbers on every JVM):
 *
 * <ul>
 *   <li>retrieval_scores.csv: a re-ranker's scores of candidate documents per query
 *       (query_id, doc_id, score); softmax per query turns them into a distribution over the
 *       candidates. A few scores are missing (empty field: the scorer timed out), one query
 *       has a numpy "nan" (its whole group comes out NaN) and two documents were filtered
 *       out with -inf (prob 0).
 *   <li>class_logits.csv: an image classifier's logits over the ten CIFAR-10 classes per
 *       example (example_id, class, logit); softmax per example with a temperature above 1
 *       softens over-confident predictions. Some examples mask classes with -inf.
 * </ul>
 *
 * Run from the repository root: {@code java sample-data/GenerateSampleData.java}
 */
public final class GenerateSampleData {

    private static final String[] CLASSES = {
        "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"
    };

    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args.length > 0 ? args[0] : "sample-data");
        retrievalScores(dir.resolve("retrieval_scores.csv"), new Random(20240501L));
        classLogits(dir.resolve("class_logits.csv"), new Random(20240502L));
    }

    private static void retrievalScores(Path file, Random random) throws IOException {
        try (PrintWriter out = new PrintWriter(Files.newBufferedWriter(file, StandardCharsets.UTF_8))) {
            out.print("query_id,doc_id,score\n");
            int doc = 0;
            for (int q = 1; q <= 120; q++) {
                int candidates = 10 + random.nextInt(21);
                int relevant = random.nextInt(4);
                for (int c = 0; c < candidates; c++) {
                    doc += 1 + random.nextInt(37);
                    double score = random.nextInt(candidates) < relevant
                            ? 6.0 + 2.0 * random.nextGaussian()
                            : -2.0 + 3.0 * random.nextGaussian();
                    String text = String.format(Locale.ROOT, "%.4f", score);
                    if (q == 17 && c == 3 || q == 58 && c == 0 || q == 91 && c == 12 || q == 104 && c == 5) {
                        text = "";
                    } else if (q == 42 && c == 7) {
                        text = "nan";
                    } else if (q == 73 && (c == 1 || c == 2)) {
                        text = "-inf";
                    }
                    out.printf(Locale.ROOT, "q%04d,d%06d,%s%n", q, doc, text);
                }
            }
        }
    }

    private static void classLogits(Path file, Random random) throws IOException {
        try (PrintWriter out = new PrintWriter(Files.newBufferedWriter(file, StandardCharsets.UTF_8))) {
            out.print("example_id,class,logit\n");
            for (int e = 1; e <= 300; e++) {
                int label = random.nextInt(CLASSES.length);
                int confusable = (label + 1 + random.nextInt(CLASSES.length - 1)) % CLASSES.length;
                boolean masked = e % 25 == 0;
                for (int k = 0; k < CLASSES.length; k++) {
                    double logit = random.nextGaussian() * 1.5;
                    if (k == label) {
                        logit += 4.0 + 3.0 * random.nextDouble();
                    } else if (k == confusable) {
                        logit += 2.0 * random.nextDouble();
                    }
                    String text = masked && (k == 0 || k == 9) && k != label
                            ? "-inf"
                            : String.format(Locale.ROOT, "%.5f", logit);
                    out.printf(Locale.ROOT, "ex%04d,%s,%s%n", e, CLASSES[k], text);
                }
            }
        }
    }
}
