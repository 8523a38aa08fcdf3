/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The serialized state: format version 1 stays readable, sizes are bounded, bad bytes are refused. */
class StateFormatTest {
    private static final HexFormat HEX = HexFormat.of();

    /**
     * Golden states written by release 0.1.0 (format version 1). They must read back, give the
     * same normalizer as the values they were made from, and re-serialize to the same bytes.
     * The bins hold the bits of the exp kernel, so this test also pins the kernel: a change to
     * any bit of a term is a new format version (stored states would no longer merge exactly).
     */
    @ParameterizedTest
    @CsvSource({
        "exact, 010103053ff8000000000000020b047fb8d40061a4432d1945486f000000090204b8"
                + "0000001a48fb345d1d655b000154c50000, 1.5 -2.0 1.5 -700.25 -Infinity",
        "exact, 010101014008000000000000010b04bdfc6000b105f2d415e5bf6f0000001400000000, 3.0",
        "exact, 01010000, ''",
        "exact, 01010d034000000000000000010b04e8eee000376b730c63992e350000000700000000, NaN 2.0 Infinity",
        "fast, 010203053ff80000000000000240003dd82031c9ff, 1.5 -2.0 1.5 -700.25 -Infinity"})
    void formatVersionOneStaysReadable(String mode, String hex, String values) {
        byte[] golden = HEX.parseHex(hex);
        double[] x = values.isEmpty() ? new double[0]
                : java.util.Arrays.stream(values.split(" ")).mapToDouble(Double::parseDouble).toArray();
        LogSumExpAccumulator fromValues = SoftmaxMode.parse(mode).newAccumulator();
        fromValues.acceptAll(x);

        LogSumExpAccumulator read = LogSumExpAccumulator.fromBytes(golden, SoftmaxMode.parse(mode));

        assertThat(read.finish()).isEqualTo(fromValues.finish());
        assertThat(read.toBytes()).isEqualTo(golden);
        assertThat(fromValues.toBytes()).isEqualTo(golden);
    }

    /**
     * Golden states of format version 3: format 1's layout for an exact state that dropped a
     * finite value's term (more than 1024 below the maximum; issue 12). They must read back,
     * give the same normalizer as their values, and re-serialize to the same bytes; read as
     * format 1 (the same bytes but the version) they still read, without the mark.
     */
    @ParameterizedTest
    @CsvSource({
        "03010303408f400000000000010a0336addae0d245141429820f1f00000000, 1000 -1000 -Infinity",
        "03010104400a000000000000010b04cd90e00048b6647a2dece5b60000002100000000, -5000.5 3.25 2.0 -1e300"})
    void formatVersionThreeMarksADroppedValue(String hex, String values) {
        byte[] golden = HEX.parseHex(hex);
        ExactLogSumExp fromValues = ExactLogSumExp.of(java.util.Arrays.stream(values.split(" "))
                .mapToDouble(Double::parseDouble).toArray());

        LogSumExpAccumulator read = LogSumExpAccumulator.fromBytes(golden, SoftmaxMode.EXACT);

        assertThat(read.finish()).isEqualTo(fromValues.finish());
        assertThat(read.toBytes()).isEqualTo(golden);
        assertThat(fromValues.toBytes()).isEqualTo(golden);
        byte[] asFormat1 = golden.clone();
        asFormat1[0] = 1;
        assertThat(LogSumExpAccumulator.fromBytes(asFormat1).toBytes()).isEqualTo(asFormat1);
    }

    /**
     * Golden weighted states (format version 2, issue 14): they must read back, give the same
     * normalizer as the rows they were made from, re-serialize to the same bytes, and merge
     * with format 1 states as the rows together would.
     */
    @ParameterizedTest
    @CsvSource({
        "exact, 0201a3053ff80000000000000200000000000000001403006ddba800fe072e7f454aaa8e130300e1c00000b40a55c7000003"
                + "840b0400280000004edaf19e175830110003fe500b0201e38f2b003409181e00000000"
                + ", 1.5 -2.0 1.5 -700.25 -Infinity, 0.5 2 -0.5 3 1",
        "exact, 0201810140080000000000000100000000000000001404002f7f1800ec417cb505796fdb000000051303019ea00000ecf171"
                + "be000003220000000000000000, 3.0, 0.25",
        "exact, 0201a1023ff0000000000000020000000000000000000000000000000000000000, 1 1, 1 -1",
        "exact, 02018102408f400000000000013ff00000000000000b15003c9b411858667c6a010651bb0000000000000000000000000000"
                + "00000000000000000000000000000000000000000000000000000000000000000000540000004e3d85b7232a4185375b"
                + "61efc7cd3667000000030a1400af064000ddbaf665fffffffdffffffffffffffffffffffffffffffffffffffffffffff"
                + "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffff523119af184d988369bb5021000009be000000"
                + "0000000000, 1000 0, 9.332636185032189E-302 1.0E300",
        "exact, 0201b9034000000000000000010000000000000000140400d1ddc0006ed6e619c7325c6a0000000e130301c00000004baa22"
                + "bd0000afca0000000000000000, NaN 2.0 Infinity, 2 2 -1",
        "fast, 0202a3053ff8000000000000023faeec1018e4ff60, 1.5 -2.0 1.5 -700.25 -Infinity, 0.5 2 -0.5 3 1"})
    void formatVersionTwoStaysReadable(String mode, String hex, String values, String weights) {
        byte[] golden = HEX.parseHex(hex);
        double[] x = java.util.Arrays.stream(values.split(" ")).mapToDouble(Double::parseDouble).toArray();
        double[] w = java.util.Arrays.stream(weights.split(" ")).mapToDouble(Double::parseDouble).toArray();
        LogSumExpAccumulator fromValues = SoftmaxMode.parse(mode).newAccumulator();
        fromValues.acceptAll(x, w);

        LogSumExpAccumulator read = LogSumExpAccumulator.fromBytes(golden, SoftmaxMode.parse(mode));

        assertThat(read.finish()).isEqualTo(fromValues.finish());
        assertThat(read.toBytes()).isEqualTo(golden);
        assertThat(fromValues.toBytes()).isEqualTo(golden);
        // format 1 merges with format 2
        LogSumExpAccumulator unweighted = SoftmaxMode.parse(mode).newAccumulator();
        unweighted.acceptAll(7.5, -1.0);
        LogSumExpAccumulator all = SoftmaxMode.parse(mode).newAccumulator();
        all.acceptAll(x, w);
        all.acceptAll(7.5, -1.0);
        LogSumExpAccumulator merged = LogSumExpAccumulator.fromBytes(unweighted.toBytes()).combine(read);
        if (mode.equals("exact")) {
            assertThat(merged.toBytes()).isEqualTo(all.toBytes());
        }
        assertThat(merged.finish().status()).isEqualTo(all.finish().status());
    }

    @Test
    void oneValueTakesAtMost64BytesInExactMode() {
        Random random = new Random(1);
        int largest = 0;
        for (int i = 0; i < 10_000; i++) {
            double x = Math.scalb(random.nextDouble(), random.nextInt(2090) - 1070) * (random.nextBoolean() ? 1 : -1);
            largest = Math.max(largest, ExactLogSumExp.of(x).toBytes().length);
        }
        assertThat(largest).isLessThanOrEqualTo(64).isLessThanOrEqualTo(39);
    }

    @Test
    void theLargestStateIsBounded() {
        // every bin of the three anchors non-zero, long counts: the documented 373 bytes at most
        Random random = new Random(2);
        int largest = 0;
        for (int trial = 0; trial < 20; trial++) {
            ExactLogSumExp acc = ExactLogSumExp.create();
            double top = 512 * 100 + random.nextDouble() * 200;
            for (int i = 0; i < 5000; i++) {
                acc.accept(top - random.nextDouble() * 1500);
            }
            largest = Math.max(largest, acc.toBytes().length);
        }
        assertThat(largest).isLessThanOrEqualTo(373);
    }

    @Test
    void truncatedStatesAreRefused() {
        byte[] bytes = ExactLogSumExp.of(1, 2, 3, -1000, Double.NaN).toBytes();
        for (int length = 0; length < bytes.length; length++) {
            byte[] truncated = java.util.Arrays.copyOf(bytes, length);
            assertThatThrownBy(() -> LogSumExpAccumulator.fromBytes(truncated)).isInstanceOf(SoftmaxException.class);
        }
        byte[] longer = java.util.Arrays.copyOf(bytes, bytes.length + 1);
        assertThatThrownBy(() -> LogSumExpAccumulator.fromBytes(longer))
                .isInstanceOf(SoftmaxException.class).hasMessageContaining("expected " + bytes.length + " bytes");
    }

    @Test
    void otherVersionsAndModesSayWhatWasExpected() {
        byte[] exact = ExactLogSumExp.of(1, 2).toBytes();
        byte[] fast = FastLogSumExp.of(1, 2).toBytes();
        exact[0] = 2;
        assertThatThrownBy(() -> LogSumExpAccumulator.fromBytes(exact))
                .isInstanceOf(SoftmaxException.class).hasMessageContaining("expected format version 1, actual 2");
        assertThatThrownBy(() -> LogSumExpAccumulator.fromBytes(fast, SoftmaxMode.EXACT))
                .isInstanceOf(SoftmaxException.class).hasMessageContaining("expected mode exact, actual fast");
        assertThatThrownBy(() -> ExactLogSumExp.create().combine(FastLogSumExp.create()))
                .isInstanceOf(SoftmaxException.class).hasMessageContaining("expected mode exact, actual fast");
        assertThatThrownBy(() -> LogSumExpAccumulator.fromBytes(null)).isInstanceOf(SoftmaxException.class);
    }

    @Test
    void foreignBytesAreRefused() {
        byte[][] foreign = {
            new byte[0],
            "hello, world".getBytes(StandardCharsets.UTF_8),
            HEX.parseHex("aced0005737200"), // Java serialization
            HEX.parseHex("504b0304"), // zip
            HEX.parseHex("0101ff03"), // unknown flags
            HEX.parseHex("03010000"), // format 3 without a finite value
            HEX.parseHex("03010101" + "4008000000000000" + "01" + "0b04bdfc6000b105f2d415e5bf6f00000014"
                    + "00000000"), // format 3 with the maximum alone
            HEX.parseHex("030203053ff80000000000000240003dd82031c9ff"), // format 3 in fast mode
            HEX.parseHex("01010100"), // finite flag with count 0
            HEX.parseHex("01010101" + "7ff0000000000000" + "01" + "0000" + "0000" + "0000"), // infinite max
            HEX.parseHex("01010101" + "4008000000000000" + "01" + "0000" + "0000" + "0000"), // no term for the max
            HEX.parseHex("01010101" + "4008000000000000" + "01" + "1a05"
                    + "0000000100000001000000010000000100000001" + "0000" + "0000"),
        };
        for (byte[] bytes : foreign) {
            assertThatThrownBy(() -> LogSumExpAccumulator.fromBytes(bytes))
                    .as(HEX.formatHex(bytes)).isInstanceOf(SoftmaxException.class);
        }
    }

    @Test
    void randomCorruptionIsRefusedOrReadsAsAValidState() {
        Random random = new Random(3);
        byte[] valid = ExactLogSumExp.of(1.5, -3, 800, 799.5, -1e5).toBytes();
        int refused = 0;
        for (int trial = 0; trial < 20_000; trial++) {
            byte[] bytes = trial % 2 == 0 ? valid.clone() : new byte[random.nextInt(80)];
            if (trial % 2 == 0) {
                bytes[random.nextInt(bytes.length)] ^= (byte) (1 << random.nextInt(8));
            } else {
                random.nextBytes(bytes);
                if (bytes.length > 1) {
                    bytes[0] = 1;
                    bytes[1] = (byte) (1 + random.nextInt(2));
                }
            }
            try {
                LogSumExpAccumulator state = LogSumExpAccumulator.fromBytes(bytes);
                // accepted: it must then be a consistent state that finishes and re-serializes
                assertThat(state.toBytes()).isEqualTo(bytes);
                state.finish();
            } catch (SoftmaxException expected) {
                refused++;
            }
        }
        assertThat(refused).isGreaterThan(10_000); // bit flips inside bins are valid states
    }
}
