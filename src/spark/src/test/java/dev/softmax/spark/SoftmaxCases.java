/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.spark;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The groups every Spark test runs, each named for what it holds: the special values (null,
 * NaN, +-inf, -0.0, subnormals), adversarial cases (values that overflow the naive formula,
 * deep underflow, +-MAX_VALUE, one value far above the rest, many binades, a long ascending
 * run) and a skewed group. A value is a
 * {@code Double}; {@code null} is a null row. The expected outputs are never written here: the
 * tests compute them with the core on the same values (exact mode: the same bits).
 */
final class SoftmaxCases {

    /** The key of the group whose key is NULL (the map key is this name; the row key is null). */
    static final String NULL_KEY = "<null key>";

    private SoftmaxCases() {}

    /** Group name to values, in a fixed order. */
    static Map<String, List<Double>> groups() {
        Map<String, List<Double>> groups = new LinkedHashMap<>();
        groups.put("overflowing", values(1000, 2000, 3000));
        groups.put("tiny log_prob", values(0, -40));
        groups.put("deep underflow", values(0.1, -700.3));
        groups.put("max value twice", values(Double.MAX_VALUE, Double.MAX_VALUE));
        groups.put("plus and minus max", values(Double.MAX_VALUE, -Double.MAX_VALUE, 0));
        groups.put("big close values", values(1e16, 1e16 + 2));
        groups.put("subnormals and zeros", values(Double.MIN_VALUE, 0.0, -0.0));
        groups.put("subnormals only", values(Double.MIN_VALUE, 2 * Double.MIN_VALUE, Double.MIN_NORMAL / 3));
        groups.put("nan", values(Double.NaN, 1));
        groups.put("nan and +inf", values(Double.NaN, Double.POSITIVE_INFINITY, 3));
        groups.put("+inf", values(Double.POSITIVE_INFINITY, 0));
        groups.put("all -inf", values(Double.NEGATIVE_INFINITY, Double.NEGATIVE_INFINITY));
        groups.put("-inf beside finite", values(Double.NEGATIVE_INFINITY, 2, 5, Double.NEGATIVE_INFINITY));
        List<Double> withNulls = new ArrayList<>(values(1.5, -2.25, 7));
        withNulls.add(1, null);
        withNulls.add(null);
        groups.put("with nulls", withNulls);
        groups.put("all null", Collections.nCopies(3, null));
        groups.put("single row", values(42.5));
        groups.put(NULL_KEY, values(3, 1, 4, 1, 5));
        groups.put("one far above", farAbove());
        groups.put("many binades", manyBinades());
        groups.put("ascending", ascending());
        return groups;
    }

    /** A group holding most rows, beside small ones: folded by many tasks. */
    static List<Double> skewed(int n) {
        Random random = new Random(7);
        List<Double> values = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            values.add(random.nextGaussian() * 30);
        }
        return values;
    }

    static List<Double> values(double... xs) {
        List<Double> values = new ArrayList<>(xs.length);
        for (double x : xs) {
            values.add(x);
        }
        return values;
    }

    /** One value 40 above 300 others: log_prob of the maximum is about -e^-40. */
    private static List<Double> farAbove() {
        List<Double> values = new ArrayList<>(Collections.nCopies(300, 0.0));
        values.add(40.0);
        return values;
    }

    /** Values over many binades below the maximum, so x - m is inexact. */
    private static List<Double> manyBinades() {
        Random random = new Random(11);
        List<Double> values = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            double magnitude = Math.scalb(1.0 + random.nextDouble(), random.nextInt(40) - 20);
            values.add(random.nextBoolean() ? magnitude : -magnitude);
        }
        return values;
    }

    /** Sorted values in [0, 40): the plain online fold rescales at every element. */
    private static List<Double> ascending() {
        Random random = new Random(13);
        List<Double> values = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            values.add(random.nextDouble() * 40);
        }
        Collections.sort(values);
        return values;
    }
}
