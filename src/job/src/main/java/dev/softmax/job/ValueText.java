/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.job;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Reads the text of a value column (CSV fields, string columns of Parquet, JSON or ORC) as a
 * double, the way docs/job.md promises.
 *
 * <ul>
 *   <li>{@code null}, an empty field or only blanks: no value ({@code null}).
 *   <li>Decimal text as Java, numpy and pandas write it: {@code 1}, {@code -0.5},
 *       {@code 1.0E-5}, {@code .5}, {@code 3.}, {@code 1e300}, with an optional sign.
 *   <li>Any case of {@code nan}, {@code inf}, {@code infinity}, each with an optional sign:
 *       {@code NaN}, {@code -Inf}, {@code +Inf}, {@code Infinity}, {@code nan}, {@code -inf}.
 *       Spark's CSV reader alone turns {@code nan}, {@code inf} and {@code +Inf} into null
 *       (besides Java's own spellings it accepts only its {@code nanValue},
 *       {@code positiveInf} and {@code negativeInf} options, by default {@code NaN},
 *       {@code Inf} and {@code -Inf}), which would hide a NaN or +inf group.
 *   <li>Anything else (e.g. {@code abc}, {@code 1,5}, {@code 0x1p3}, {@code 1d}) does not
 *       parse: the row is a bad row.
 * </ul>
 *
 * <p>Leading and trailing blanks are ignored. A parsed number is {@link Double#parseDouble},
 * so it rounds exactly as Java (and Spark's own cast) does and {@code Double.toString} text
 * reads back to the same bits.
 *
 * @since 0.1.0
 */
public final class ValueText {

    private static final Pattern DECIMAL =
            Pattern.compile("[+-]?(?:[0-9]+\\.?[0-9]*|\\.[0-9]+)(?:[eE][+-]?[0-9]+)?");

    private ValueText() {
    }

    /** True if {@code text} is null or holds only blanks: the row has no value. */
    public static boolean isBlank(String text) {
        return text == null || text.isBlank();
    }

    /**
     * The double {@code text} stands for, or {@code null} if it is blank or does not parse;
     * tell the two apart with {@link #isBlank(String)}.
     */
    public static Double parseOrNull(String text) {
        if (text == null) {
            return null;
        }
        String s = text.strip();
        if (s.isEmpty()) {
            return null;
        }
        if (DECIMAL.matcher(s).matches()) {
            return Double.parseDouble(s);
        }
        String word = s.toLowerCase(Locale.ROOT);
        boolean negative = word.startsWith("-");
        if (negative || word.startsWith("+")) {
            word = word.substring(1);
        }
        switch (word) {
            case "nan":
                return Double.NaN;
            case "inf":
            case "infinity":
                return negative ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
            default:
                return null;
        }
    }
}
