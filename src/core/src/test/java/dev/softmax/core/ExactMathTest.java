/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The deterministic kernels against {@link ExactOracle}. */
class ExactMathTest {
    private static final MathContext MC = ExactOracle.MC;

    private static BigDecimal dd(double hi, double lo) {
        return new BigDecimal(hi).add(new BigDecimal(lo));
    }

    private static double relativeError(BigDecimal actual, BigDecimal exact) {
        return actual.subtract(exact).abs().divide(exact.abs(), MC).doubleValue();
    }

    @Test
    void tablesAreDoubleDoubleAccurate() {
        BigDecimal ln2 = ExactOracle.log(BigDecimal.valueOf(2));
        for (int j = 0; j < 256; j++) {
            BigDecimal pow2 = ExactOracle.exp(ln2.multiply(BigDecimal.valueOf(j)).divide(BigDecimal.valueOf(256), MC));
            assertThat(relativeError(dd(ExactMath.POW2_HI[j], ExactMath.POW2_LO[j]), pow2)).isLessThan(0x1p-104);
            if (j > 0 && j < 64) {
                BigDecimal log = ExactOracle.log1p(BigDecimal.valueOf(j).divide(BigDecimal.valueOf(64), MC));
                assertThat(relativeError(dd(ExactMath.LOG1P_HI[j], ExactMath.LOG1P_LO[j]), log)).isLessThan(0x1p-104);
            }
        }
        assertThat(relativeError(dd(ExactMath.EXP_M512_HI, ExactMath.EXP_M512_LO),
                ExactOracle.exp(BigDecimal.valueOf(-512)))).isLessThan(0x1p-104);
        assertThat(relativeError(dd(ExactMath.LN2_HI, ExactMath.LN2_LO), ln2)).isLessThan(0x1p-100);
    }

    @Test
    void expScaledIsAccurateTo2ToTheMinus80() {
        Random random = new Random(1);
        double worst = 0;
        double[] out = new double[2];
        for (int i = 0; i < 3000; i++) {
            double y = (random.nextDouble() * 2 - 1) * (i % 3 == 0 ? 1 : 256);
            int n = ExactMath.expScaled(y, 0.0, out);
            BigDecimal actual = dd(out[0], out[1]).multiply(new BigDecimal(Math.scalb(1.0, n)));
            worst = Math.max(worst, relativeError(actual, ExactOracle.exp(new BigDecimal(y))));
        }
        TestReport.measured("expScaled, worst relative error", TestReport.powerOfTwo(worst));
        assertThat(worst).isLessThan(0x1p-80);
    }

    /**
     * exp(yh + yl) as Normalizer.prob forms it: expScaled(yh, 0) times 1 + yl. expScaled(yh, yl)
     * itself keeps yl to first order only and erred by 2^-67 on a row of AdversarialCasesTest.
     */
    @Test
    void expWithALowPartIsAccurateTo2ToTheMinus80() {
        Random random = new Random(4);
        double worst = 0;
        double[] out = new double[2];
        for (int i = 0; i < 3000; i++) {
            double y = -random.nextDouble() * 745;
            double low = random.nextDouble() * Math.ulp(y) - Math.ulp(y) / 2;
            double yh = y + low;
            double yl = DoubleDouble.fastTwoSumError(y, low, yh);
            int n = ExactMath.expScaled(yh, 0.0, out);
            double lo = out[1] + out[0] * yl;
            BigDecimal actual = dd(out[0], lo).multiply(ExactOracle.pow2(n));
            worst = Math.max(worst, relativeError(actual, ExactOracle.exp(dd(yh, yl))));
        }
        TestReport.measured("expScaled times 1 + yl, worst relative error", TestReport.powerOfTwo(worst));
        assertThat(worst).isLessThan(0x1p-80);
    }

    /**
     * The weighted deposits' precise kernel: relative error below 2^-138 (its third part is
     * what the deposit adds beyond the first two, so this is the accuracy of a weighted term),
     * over random reduced arguments with and without a low part, and the edges: 0, tiny
     * arguments, the reduction's midpoints (k ln2/256 + ln2/512) and the ends of the range.
     */
    @Test
    void expScaledPreciseIsAccurateTo2ToTheMinus138() {
        Random random = new Random(5);
        double worst = 0;
        double[] out = new double[3];
        double[] old = new double[2];
        double step = Math.log(2) / 256;
        for (int i = 0; i < 6000; i++) {
            double rh;
            switch (i % 6) {
                case 0 -> rh = (random.nextDouble() * 2 - 1) * 1000;
                case 1 -> rh = (random.nextDouble() * 2 - 1) * 0.01;
                case 2 -> rh = (random.nextInt(2_000_001) - 1_000_000 + 0.5) * step
                        * (1 + 1e-15 * random.nextGaussian());
                case 3 -> rh = Math.scalb(random.nextDouble(), -random.nextInt(1000)) * (random.nextBoolean() ? 1 : -1);
                case 4 -> rh = i % 12 == 4 ? 0.0 : (random.nextDouble() * 2 - 1) * 256;
                default -> rh = (random.nextBoolean() ? 1 : -1) * (1000 - random.nextDouble());
            }
            if (i % 300 == 7) {
                rh = (random.nextInt(9) - 4) * Math.log(2) * (1 + 0x1p-50 * random.nextGaussian()); // near 2^n
            }
            if (Math.abs(rh) > 1000) {
                rh = Math.copySign(1000, rh);
            }
            double rl = i % 2 == 0 ? 0.0 : (random.nextDouble() * 2 - 1) * 0x1p-44;
            int n = ExactMath.expScaledPrecise(rh, rl, out, 0);
            BigDecimal actual = dd(out[0], out[1]).add(new BigDecimal(out[2])).multiply(ExactOracle.pow2(n));
            BigDecimal exact = ExactOracle.exp(dd(rh, rl));
            worst = Math.max(worst, relativeError(actual, exact));
            int oldN = ExactMath.expScaled(rh, 0.0, old);
            assertThat(Math.abs(oldN - n)).isLessThanOrEqualTo(1); // the two reductions may straddle a power of two
            if (rl == 0) {
                double scaled = Math.scalb(out[0], n - oldN);
                assertThat(Math.abs(scaled - old[0])).isLessThanOrEqualTo(8 * Math.ulp(old[0])); // unnormalised
            }
            assertThat(Math.abs(out[1])).isLessThanOrEqualTo(0x1p-50 * out[0]);
            assertThat(Math.abs(out[2])).isLessThanOrEqualTo(0x1p-80 * out[0]);
        }
        TestReport.measured("expScaledPrecise, worst relative error", TestReport.powerOfTwo(worst));
        assertThat(worst).isLessThan(0x1p-138);
    }

    @Test
    void expRoundedIsCorrectlyRoundedIncludingSubnormals() {
        Random random = new Random(2);
        long worst = 0;
        for (int i = 0; i < 3000; i++) {
            double y = i % 2 == 0 ? -745 + random.nextDouble() * 37 : -700 + random.nextDouble() * 700;
            double low = random.nextDouble() * Math.ulp(y) - Math.ulp(y) / 2;
            double yh = y + low;
            double yl = DoubleDouble.fastTwoSumError(y, low, yh);
            double expected = ExactOracle.exp(dd(yh, yl)).doubleValue();
            worst = Math.max(worst, Accuracy.ulpDistance(expected, ExactMath.expRounded(yh, yl)));
        }
        assertThat(worst).isLessThanOrEqualTo(1); // expRounded has no second step: Normalizer.prob does
    }

    @Test
    void logAndLog1pKeepRelativePrecision() {
        Random random = new Random(3);
        double[] out = new double[2];
        double worst = 0;
        for (int i = 0; i < 2000; i++) {
            double z = Math.scalb(1 + random.nextDouble(), random.nextInt(120) - 110);
            ExactMath.log1p(z, 0.0, out);
            worst = Math.max(worst, relativeError(dd(out[0], out[1]), ExactOracle.log1p(new BigDecimal(z))));
            double x = 1 + random.nextDouble() * Math.scalb(1.0, random.nextInt(60));
            ExactMath.log(x, 0.0, out);
            worst = Math.max(worst, relativeError(dd(out[0], out[1]), ExactOracle.log(new BigDecimal(x))));
        }
        TestReport.measured("log, log1p, worst relative error", TestReport.powerOfTwo(worst));
        assertThat(worst).isLessThan(0x1p-80);
    }
}
