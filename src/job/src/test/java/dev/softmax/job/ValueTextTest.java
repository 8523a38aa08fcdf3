/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.job;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ValueTextTest {

    @Test
    void blankIsNoValue() {
        assertThat(ValueText.parseOrNull(null)).isNull();
        assertThat(ValueText.parseOrNull("")).isNull();
        assertThat(ValueText.parseOrNull("  ")).isNull();
        assertThat(ValueText.isBlank(" \t")).isTrue();
        assertThat(ValueText.isBlank("x")).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "-0.0", "1.5", "+2", ".5", "3.", "1e300", "1.0E-5", "-7.25e+3", " 4.5 ",
        "4.9E-324", "1.7976931348623157E308", "0.1", "123456789012345678901234567890"})
    void decimalTextReadsAsJavaDoes(String text) {
        assertThat(Double.doubleToRawLongBits(ValueText.parseOrNull(text)))
                .isEqualTo(Double.doubleToRawLongBits(Double.parseDouble(text)));
    }

    @Test
    void doubleToStringTextReadsBackToTheSameBits() {
        java.util.Random random = new java.util.Random(1);
        for (int i = 0; i < 10_000; i++) {
            double x = Double.longBitsToDouble(random.nextLong());
            if (!Double.isNaN(x)) {
                assertThat(Double.doubleToRawLongBits(ValueText.parseOrNull(Double.toString(x))))
                        .isEqualTo(Double.doubleToRawLongBits(x));
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"NaN", "nan", "NAN", "+nan", "-nan", " nan "})
    void nanSpellings(String text) {
        assertThat(ValueText.parseOrNull(text)).isNaN();
    }

    @ParameterizedTest
    @ValueSource(strings = {"Inf", "inf", "+Inf", "+inf", "INF", "Infinity", "+Infinity", "infinity"})
    void positiveInfinitySpellings(String text) {
        assertThat(ValueText.parseOrNull(text)).isEqualTo(Double.POSITIVE_INFINITY);
    }

    @ParameterizedTest
    @ValueSource(strings = {"-Inf", "-inf", "-INF", "-Infinity", "-infinity"})
    void negativeInfinitySpellings(String text) {
        assertThat(ValueText.parseOrNull(text)).isEqualTo(Double.NEGATIVE_INFINITY);
    }

    @ParameterizedTest
    @ValueSource(strings = {"abc", "1,5", "0x1p3", "1d", "1.0f", "e5", "--1", "1e", "in f", "nana", "infinit", ".",
        "1 2", "NULL", "None", "true"})
    void everythingElseDoesNotParse(String text) {
        assertThat(ValueText.parseOrNull(text)).isNull();
        assertThat(ValueText.isBlank(text)).isFalse();
    }
}
