/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** Why the exact mode exists, on record; and the fast mode's accuracy where it is good. */
class FastModeTest {

    @Test
    void theNaiveFormulaOverflows() {
        double[] x = {1000, 2000, 3000};
        double sum = 0;
        for (double v : x) {
            sum += Math.exp(v);
        }
        assertThat(Math.exp(3000) / sum).isNaN(); // inf / inf
        assertThat(Softmax.softmax(x, 1, SoftmaxMode.FAST)).containsExactly(0.0, 0.0, 1.0);
        assertThat(Softmax.softmax(x)).containsExactly(0.0, 0.0, 1.0);
    }

    @Test
    void fastModeDriftsBeyondTwoUlpsOnALongAscendingRun() {
        double[] x = AdversarialCasesTest.sorted(60_000, 0, 40); // a rescale at every value
        ExactOracle.Reference expected = ExactOracle.softmax(x);
        Accuracy fast = Accuracy.measure(FastLogSumExp.of(x).finish(), x, expected);
        Accuracy exact = Accuracy.measure(ExactLogSumExp.of(x).finish(), x, expected);
        TestReport.measured("fast mode, 60,000 ascending values", fast);
        TestReport.measured("exact mode, 60,000 ascending values", exact);
        assertThat(fast.maxProbUlps()).isGreaterThan(2);
        assertThat(exact.maxProbUlps()).isZero();
    }

    @Test
    void fastModeIsCloseOnSmallUnitScaleData() {
        Random random = new Random(5);
        long worst = 0;
        for (int trial = 0; trial < 50; trial++) {
            double[] x = random.doubles(100, -5, 5).toArray();
            ExactOracle.Reference expected = ExactOracle.softmax(x);
            Accuracy fast = Accuracy.measure(FastLogSumExp.of(x).finish(), x, expected);
            worst = Math.max(worst, Math.max(fast.maxProbUlps(), fast.maxLogProbUlps()));
        }
        TestReport.measured("fast mode, 50 x 100 values in [-5, 5), worst prob or log_prob ulps", worst);
        assertThat(worst).isLessThan(1000);
    }
}
