/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The two-step rounding of exact mode ({@link CorrectRounding}): the boundary test, the exact
 * middle step of log_prob, the signs of zeros, and how often the slow paths run.
 */
class CorrectRoundingTest {

    @Test
    void theBoundaryTestKnowsTheNarrowerSpacingBelowAPowerOfTwo() {
        double half = 0x1p-53; // half the spacing above 1.0; below it is 2^-54
        assertThat(CorrectRounding.isSafe(1.0, 0.9 * half, 0)).isTrue();
        assertThat(CorrectRounding.isSafe(1.0, -0.9 * half, 0)).isFalse();
        assertThat(CorrectRounding.isSafe(1.0, -0.4 * half, 0)).isTrue();
        assertThat(CorrectRounding.isSafe(-1.0, -0.9 * half, 0)).isTrue();
        assertThat(CorrectRounding.isSafe(-1.0, 0.9 * half, 0)).isFalse();
        assertThat(CorrectRounding.isSafe(1.5, 0.9 * half, 0.2 * half)).isFalse();
        assertThat(CorrectRounding.isSafe(1.5, half, 0)).isFalse(); // a tie is never safe
        assertThat(CorrectRounding.isSafe(0.0, 0.4 * Double.MIN_VALUE, 0)).isTrue();
        assertThat(CorrectRounding.isSafe(Double.MIN_NORMAL, -0.4 * Double.MIN_VALUE, 0)).isTrue();
    }

    /** Random (h, l, lh, ll) as log_prob meets them, many of them ties, against BigDecimal. */
    @Test
    void theMiddleStepOfLogProbIsExactOrDeclines() {
        Random random = new Random(12);
        int declined = 0;
        int trials = 200_000;
        for (int i = 0; i < trials; i++) {
            double h = -Math.scalb(1 + random.nextDouble(), random.nextInt(24) - 8);
            double halfUlp = Math.ulp(h) / 2;
            double l = switch (random.nextInt(3)) {
                case 0 -> halfUlp; // x - m a tie
                case 1 -> -halfUlp;
                default -> (random.nextDouble() * 2 - 1) * halfUlp;
            };
            double lh = random.nextBoolean() ? Math.scalb(random.nextDouble(), -random.nextInt(200))
                    : random.nextDouble() * 30;
            double ll = (random.nextDouble() - 0.5) * Math.ulp(lh);
            boolean tiny = random.nextInt(10) == 0;
            if (tiny) { // as Normalizer passes it: the marked pair
                lh = 0;
                ll = Double.MIN_VALUE;
            }
            double actual = CorrectRounding.logProbOfExpansion(h, l, lh, ll, tiny);
            if (Double.isNaN(actual)) {
                declined++;
                continue;
            }
            BigDecimal exact = new BigDecimal(h).add(new BigDecimal(l))
                    .subtract(tiny ? CorrectRounding.TINY : new BigDecimal(lh).add(new BigDecimal(ll)));
            assertThat(actual).as("h %s l %s lh %s ll %s tiny %s", h, l, lh, ll, tiny)
                    .isEqualTo(exact.doubleValue());
        }
        TestReport.measured("log_prob middle step, declined", declined + " of " + trials);
        assertThat(declined).isLessThan(trials / 1000);
    }

    @Test
    void zerosCarryTheSignOfTheExactValue() {
        Normalizer dominated = ExactLogSumExp.of(1000, 1).finish(); // log_prob(1000) = -e^-999
        assertThat(dominated.logProb(1000)).isEqualTo(-0.0);
        assertThat(Double.doubleToRawLongBits(dominated.logProb(1000))).isEqualTo(Double.doubleToRawLongBits(-0.0));
        assertThat(dominated.prob(1000)).isEqualTo(1.0);
        assertThat(dominated.logProb(1)).isEqualTo(-999.0);
        assertThat(dominated.logSumExp()).isEqualTo(1000.0);
        // the same through the fields, as the join and the SQL struct carry them
        Normalizer restored = Normalizer.restore(dominated.mode(), dominated.status(), dominated.count(),
                dominated.max(), dominated.maxCount(), dominated.logNormalizerHigh(), dominated.logNormalizerLow());
        assertThat(Double.doubleToRawLongBits(restored.logProb(1000))).isEqualTo(Double.doubleToRawLongBits(-0.0));
        // dropped from the state (more than 1024 below), still below the maximum
        assertThat(Double.doubleToRawLongBits(ExactLogSumExp.of(1000, -1000).finish().logProb(1000)))
                .isEqualTo(Double.doubleToRawLongBits(-0.0));
        // log(1) = +0: alone, or beside -inf only
        assertThat(Double.doubleToRawLongBits(ExactLogSumExp.of(5).finish().logProb(5))).isZero();
        assertThat(Double.doubleToRawLongBits(ExactLogSumExp.of(5, Double.NEGATIVE_INFINITY).finish().logProb(5)))
                .isZero();
        // logsumexp of [0, -1000] is e^-1000 > 0: +0.0
        assertThat(Double.doubleToRawLongBits(ExactLogSumExp.of(0, -1000).finish().logSumExp())).isZero();
        assertThat(Softmax.logSoftmax(1000, 1)).containsExactly(-0.0, -999.0);
        assertThat(Double.doubleToRawLongBits(Softmax.logSoftmax(1000, 1)[0]))
                .isEqualTo(Double.doubleToRawLongBits(-0.0));
    }

    /**
     * Groups whose L is near or below the smallest normal (x - m from -700 to -750): L is formed
     * scaled and rounded once. Unscaled, 1,611 of the first 3,000 groups' 8,000 rows and 3,000
     * logsumexps had an output off, by up to thousands of subnormal ulps; scaled but with a
     * rounded subnormal low part of L, still 26. The fourth shape puts the two values two
     * anchors apart, where a fixed scale per factor e^-512 overflowed (finish threw).
     */
    @Test
    void tinyNormalizersAreExactlyRounded() {
        Random random = new Random(9);
        for (int t = 0; t < 4000; t++) {
            double d = -(700 + random.nextDouble() * 50);
            double[] x = switch (t % 4) {
                case 0 -> new double[] {0, d};
                case 1 -> new double[] {5.5, 5.5 + d, 5.5 + d - 3};
                case 2 -> new double[] {-3, -3 + d, -3 + d + 1e-3};
                default -> new double[] {336.8306516305153, 336.8306516305153 + d}; // two anchors apart
            };
            Accuracy.measure(ExactLogSumExp.of(x).finish(), x, ExactOracle.softmax(x))
                    .assertExactlyRounded();
        }
    }

    /**
     * A value dropped from the state (more than 1024 below the maximum) beside a -inf: the
     * state marks the drop (format 3), so log_prob of the maximum is -0.0, the sign of the
     * exact -e^-2000, in every order of the values and every split of them into merged
     * states. A format 1 state of the same values (as written before format 3) cannot tell the
     * dropped value from a second -inf and still gives +0.0.
     */
    @Test
    void aDroppedValueBesideMinusInfinityKeepsTheSignOfZero() {
        double[] x = {1000, -1000, Double.NEGATIVE_INFINITY, 999.5};
        Normalizer exact = ExactLogSumExp.of(1000, -1000, Double.NEGATIVE_INFINITY).finish();
        assertThat(Double.doubleToRawLongBits(ExactOracle.softmax(1000, -1000, Double.NEGATIVE_INFINITY)
                .logProb()[0])).isEqualTo(Double.doubleToRawLongBits(-0.0));
        assertThat(Double.doubleToRawLongBits(exact.logProb(1000))).isEqualTo(Double.doubleToRawLongBits(-0.0));
        Accuracy.measure(exact, new double[] {1000, -1000, Double.NEGATIVE_INFINITY},
                ExactOracle.softmax(1000, -1000, Double.NEGATIVE_INFINITY)).assertExactlyRounded();
        // every order of three of the values, folded whole and split in two merged states
        double[][] orders = {{1000, -1000, Double.NEGATIVE_INFINITY}, {-1000, 1000, Double.NEGATIVE_INFINITY},
            {Double.NEGATIVE_INFINITY, -1000, 1000}, {-1000, Double.NEGATIVE_INFINITY, 1000}};
        for (double[] order : orders) {
            for (int split = 0; split <= order.length; split++) {
                ExactLogSumExp left = ExactLogSumExp.of(Arrays.copyOfRange(order, 0, split));
                ExactLogSumExp right = ExactLogSumExp.of(Arrays.copyOfRange(order, split, order.length));
                ExactLogSumExp merged = ((ExactLogSumExp) LogSumExpAccumulator.fromBytes(left.toBytes(),
                        SoftmaxMode.EXACT)).combine(right);
                assertThat(merged.toBytes()).as(Arrays.toString(order) + " split at " + split)
                        .isEqualTo(ExactLogSumExp.of(1000, -1000, Double.NEGATIVE_INFINITY).toBytes());
                assertThat(Double.doubleToRawLongBits(merged.finish().logProb(1000)))
                        .isEqualTo(Double.doubleToRawLongBits(-0.0));
            }
        }
        // dropped when the maximum arrives after it (its anchor shifted out), and kept apart
        assertThat(ExactLogSumExp.of(-1000, 1000).toBytes()[0]).isEqualTo((byte) 3);
        assertThat(ExactLogSumExp.of(x).toBytes()[0]).isEqualTo((byte) 3);
        assertThat(ExactLogSumExp.of(1000, 999.5, Double.NEGATIVE_INFINITY).toBytes()[0]).isEqualTo((byte) 1);
        // the same values written as format 1: the drop is not known, the sign is +0.0
        byte[] format1 = exactBytesAsFormat1(ExactLogSumExp.of(1000, -1000, Double.NEGATIVE_INFINITY).toBytes());
        assertThat(Double.doubleToRawLongBits(LogSumExpAccumulator.fromBytes(format1).finish().logProb(1000)))
                .isZero();
    }

    /** A format 3 state's bytes with the version byte of format 1 (what a writer before format 3 wrote). */
    private static byte[] exactBytesAsFormat1(byte[] format3) {
        assertThat(format3[0]).isEqualTo((byte) 3);
        byte[] bytes = format3.clone();
        bytes[0] = 1;
        return bytes;
    }

    /**
     * How often each step runs on held-out-like data: the groups of sample-data/ (class logits
     * and retrieval scores, real-looking data the job's tests use) and random groups from the
     * properties' distributions. Every output is checked against the oracle too. The counts are
     * printed for the record; the assertion is that the BigDecimal paths stay rare.
     */
    @Test
    void theSlowPathsAreRareOnHeldOutLikeData() throws IOException {
        List<double[]> groups = new ArrayList<>();
        groups.addAll(groups(sampleData("class_logits.csv")));
        groups.addAll(groups(sampleData("retrieval_scores.csv")));
        Random random = new Random(2026);
        for (ExactModePropertiesTest.Distribution d : ExactModePropertiesTest.Distribution.values()) {
            for (int g = 0; g < 30; g++) {
                groups.add(d.sample(1 + random.nextInt(300), random));
            }
        }
        long prob = CorrectRounding.PROB_SLOW.sum();
        long logProb = CorrectRounding.LOG_PROB_SLOW.sum();
        long expansion = CorrectRounding.LOG_PROB_EXPANSION.sum();
        long lse = CorrectRounding.LOG_SUM_EXP_SLOW.sum();
        long outputs = 0;
        for (double[] x : groups) {
            ExactOracle.Reference expected = ExactOracle.softmax(x);
            Normalizer normalizer = ExactLogSumExp.of(x).finish();
            for (int i = 0; i < x.length; i++) {
                // doubleToLongBits: NaN equals NaN, -0.0 does not equal 0.0
                assertThat(Double.doubleToLongBits(normalizer.prob(x[i])))
                        .isEqualTo(Double.doubleToLongBits(expected.prob()[i]));
                assertThat(Double.doubleToLongBits(normalizer.logProb(x[i])))
                        .isEqualTo(Double.doubleToLongBits(expected.logProb()[i]));
            }
            outputs += 2L * x.length + 1;
        }
        prob = CorrectRounding.PROB_SLOW.sum() - prob;
        logProb = CorrectRounding.LOG_PROB_SLOW.sum() - logProb;
        expansion = CorrectRounding.LOG_PROB_EXPANSION.sum() - expansion;
        lse = CorrectRounding.LOG_SUM_EXP_SLOW.sum() - lse;
        TestReport.measured("slow paths on " + groups.size() + " groups, " + outputs + " outputs", "prob (BigDecimal) "
                + prob + ", log_prob middle step " + expansion + ", log_prob (BigDecimal) " + logProb
                + ", logsumexp (BigDecimal) " + lse);
        assertThat(prob + logProb + lse).as("BigDecimal runs").isLessThanOrEqualTo(outputs / 10_000);
    }

    /** The sample-data file, looked for upwards from the working directory (a module's or the root). */
    static Path sampleData(String name) {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.isDirectory(dir.resolve("sample-data"))) {
            dir = dir.getParent();
        }
        assertThat(dir).as("sample-data/ above the working directory").isNotNull();
        return dir.resolve("sample-data").resolve(name);
    }

    /**
     * The values of a CSV with a header, grouped by its first column; the value is the last
     * column. Empty and malformed values are left out, as the layers above the core skip them.
     */
    static List<double[]> groups(Path csv) throws IOException {
        Map<String, List<Double>> groups = new LinkedHashMap<>();
        List<String> lines = Files.readAllLines(csv);
        for (String line : lines.subList(1, lines.size())) {
            String[] fields = line.split(",", -1);
            String value = fields[fields.length - 1].trim().toLowerCase(java.util.Locale.ROOT);
            double v;
            try {
                v = switch (value) {
                    case "inf", "+inf" -> Double.POSITIVE_INFINITY;
                    case "-inf" -> Double.NEGATIVE_INFINITY;
                    case "nan" -> Double.NaN;
                    default -> Double.parseDouble(value);
                };
            } catch (NumberFormatException nullOrBadRow) { // the files hold a few, for the job's tests
                continue;
            }
            groups.computeIfAbsent(fields[0], k -> new ArrayList<>()).add(v);
        }
        List<double[]> out = new ArrayList<>();
        for (List<Double> values : groups.values()) {
            out.add(values.stream().mapToDouble(Double::doubleValue).toArray());
        }
        return out;
    }

    /**
     * The slow path of prob near overflow (x far above the maximum, not a member): exp of a value
     * above ln(Double.MAX_VALUE) rounds to +inf, and one just below it to the oracle's double,
     * with no exception from the midpoint test.
     */
    @Test
    void slowProbNearOverflowRoundsToInfinityOrTheOracle() {
        assertThat(CorrectRounding.prob(714.9, 5, 0, 0, false)).isEqualTo(Double.POSITIVE_INFINITY);
        assertThat(CorrectRounding.prob(1e300, 5, 0, 0, false)).isEqualTo(Double.POSITIVE_INFINITY);
        double exact = ExactOracle.exp(new BigDecimal(714.7).subtract(BigDecimal.valueOf(5))).doubleValue();
        assertThat(CorrectRounding.prob(714.7, 5, 0, 0, false)).isEqualTo(exact);
        // the weighted slow path: w e^709.9 with w = 1.5 overflows, with w = 0.5 it does not
        BigDecimal y = new BigDecimal(709.9);
        assertThat(CorrectRounding.roundedExp(y, new BigDecimal(1.5))).isEqualTo(Double.POSITIVE_INFINITY);
        assertThat(CorrectRounding.roundedExp(y, new BigDecimal(0.5)))
                .isEqualTo(ExactOracle.exp(y).multiply(new BigDecimal(0.5)).doubleValue());
    }
}
