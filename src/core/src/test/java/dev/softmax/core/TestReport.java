/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.core;

import java.util.Locale;

/**
 * The one way a test reports a figure it measured (a worst error, a time, how often a slow
 * path ran), so that all of them read alike and can be found with one search: a line
 * {@code [measured] WHAT: VALUE} on standard output, which surefire prints with the test's
 * output. A test asserts its bounds itself; the report is for the reader.
 */
public final class TestReport {
    private TestReport() {
    }

    /** Prints {@code [measured] what: value}. */
    public static void measured(String what, Object value) {
        System.out.println("[measured] " + what + ": " + value);
    }

    /** A relative error as a power of two, as the core's bounds are written: {@code 2^-82.3}. */
    public static String powerOfTwo(double relativeError) {
        return String.format(Locale.ROOT, "2^%.1f", Math.log(relativeError) / Math.log(2));
    }

    /** Seconds since {@code startNanos} ({@link System#nanoTime}), three decimals: {@code 1.234 s}. */
    public static String secondsSince(long startNanos) {
        return String.format(Locale.ROOT, "%.3f s", (System.nanoTime() - startNanos) / 1e9);
    }
}
