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
