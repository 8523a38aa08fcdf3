/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** Row-wise functions, temperature and argument checks. */
class SoftmaxTest {

    @Test
    void temperatureAppliesToTheRoundedQuotients() {
        double[] x = {1.3, -0.7, 2.9, 0.1};
        double t = 0.37;
        double[] scaled = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            scaled[i] = x[i] / t;
        }
        ExactOracle.Reference expected = ExactOracle.softmax(scaled);
        double[] prob = Softmax.softmax(x, t, SoftmaxMode.EXACT);
        double[] logProb = Softmax.logSoftmax(x, t, SoftmaxMode.EXACT);
        for (int i = 0; i < x.length; i++) {
            assertThat(Accuracy.ulpDistance(expected.prob()[i], prob[i])).isZero();
            assertThat(Accuracy.ulpDistance(expected.logProb()[i], logProb[i])).isZero();
        }
        assertThat(Accuracy.ulpDistance(expected.logSumExp(), Softmax.logSumExp(x, t, SoftmaxMode.EXACT)))
                .isZero();
    }

    @Test
    void highTemperatureFlattensLowSharpens() {
        double[] x = {1, 2, 3};
        double[] flat = Softmax.softmax(x, 1e6, SoftmaxMode.EXACT);
        double[] sharp = Softmax.softmax(x, 1e-3, SoftmaxMode.EXACT);
        assertThat(flat[0]).isCloseTo(1.0 / 3, org.assertj.core.data.Offset.offset(1e-6));
        assertThat(sharp).containsExactly(0.0, 0.0, 1.0);
    }

    @Test
    void badTemperaturesAreRefusedNamingTheValue() {
        for (double t : new double[] {0, -1, Double.NaN, Double.POSITIVE_INFINITY, -0.0}) {
            assertThatThrownBy(() -> Softmax.softmax(new double[] {1}, t, SoftmaxMode.EXACT))
                    .isInstanceOf(SoftmaxException.class)
                    .hasMessageContaining("temperature must be finite and > 0, got " + t);
        }
    }

    @Test
    void modesParseInAnyCaseAndRefuseOthers() {
        assertThat(SoftmaxMode.parse("EXACT")).isEqualTo(SoftmaxMode.EXACT);
        assertThat(SoftmaxMode.parse(" fast ")).isEqualTo(SoftmaxMode.FAST);
        assertThatThrownBy(() -> SoftmaxMode.parse("precise"))
                .isInstanceOf(SoftmaxException.class).hasMessage("mode: expected exact or fast, got 'precise'");
    }

    @Test
    void probabilitiesSumToOneAndMatchTheLogs() {
        double[] x = {0.5, 1.5, -3, 7, 7};
        double[] prob = Softmax.softmax(x);
        double[] logProb = Softmax.logSoftmax(x);
        double sum = 0;
        for (int i = 0; i < x.length; i++) {
            sum += prob[i];
            assertThat(Accuracy.ulpDistance(Math.exp(logProb[i]), prob[i])).isLessThanOrEqualTo(4);
        }
        assertThat(sum).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-15));
    }
}
