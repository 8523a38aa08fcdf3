/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.core;

import static dev.softmax.core.Accuracy.absoluteError;
import static dev.softmax.core.Accuracy.ulpDistance;
import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The metrics of {@link Accuracy} against hand-counted distances and exact differences. */
class AccuracyTest {

    @Test
    void ulpDistanceCountsRepresentableDoubles() {
        assertThat(ulpDistance(1.0, 1.0)).isZero();
        assertThat(ulpDistance(1.0, Math.nextUp(1.0))).isEqualTo(1);
        assertThat(ulpDistance(Math.nextDown(1.0), Math.nextUp(1.0))).isEqualTo(2);
        assertThat(ulpDistance(1.0, 2.0)).isEqualTo(1L << 52);
        assertThat(ulpDistance(0.0, -0.0)).isZero();
        assertThat(ulpDistance(-0.0, 0.0)).isZero();
        assertThat(ulpDistance(0.0, Double.MIN_VALUE)).isEqualTo(1);
        assertThat(ulpDistance(-0.0, Double.MIN_VALUE)).isEqualTo(1);
        assertThat(ulpDistance(-Double.MIN_VALUE, Double.MIN_VALUE)).isEqualTo(2);
        assertThat(ulpDistance(Double.MIN_NORMAL, Math.nextDown(Double.MIN_NORMAL))).isEqualTo(1);
        assertThat(ulpDistance(-1.0, 1.0)).isEqualTo(2 * 0x3ff0000000000000L);
        assertThat(ulpDistance(Math.nextDown(Double.MAX_VALUE), Double.MAX_VALUE)).isEqualTo(1);
        assertThat(ulpDistance(-Double.MAX_VALUE, Double.MAX_VALUE)).isEqualTo(Long.MAX_VALUE);
        assertThat(ulpDistance(Double.NaN, Double.NaN)).isZero();
        assertThat(ulpDistance(Double.NaN, Double.longBitsToDouble(0x7ff0000000000001L))).isZero();
        assertThat(ulpDistance(Double.NaN, 1.0)).isEqualTo(Long.MAX_VALUE);
        assertThat(ulpDistance(1.0, Double.NaN)).isEqualTo(Long.MAX_VALUE);
        assertThat(ulpDistance(Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY)).isZero();
        assertThat(ulpDistance(Double.NEGATIVE_INFINITY, Double.NEGATIVE_INFINITY)).isZero();
        assertThat(ulpDistance(Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY)).isEqualTo(Long.MAX_VALUE);
        assertThat(ulpDistance(Double.POSITIVE_INFINITY, Double.MAX_VALUE)).isEqualTo(Long.MAX_VALUE);
        assertThat(ulpDistance(-Double.MAX_VALUE, Double.NEGATIVE_INFINITY)).isEqualTo(Long.MAX_VALUE);
        assertThat(ulpDistance(Double.NaN, Double.POSITIVE_INFINITY)).isEqualTo(Long.MAX_VALUE);
        Random random = new Random(41);
        for (int i = 0; i < 1000; i++) {
            double a = Double.longBitsToDouble(random.nextLong());
            double b = Double.longBitsToDouble(random.nextLong());
            assertThat(ulpDistance(a, b)).isEqualTo(ulpDistance(b, a)).isNotNegative();
            if (Double.isFinite(a) && Double.isFinite(b) && Math.signum(a) == Math.signum(b)) {
                long bitsDistance = Math.abs(Double.doubleToRawLongBits(a) - Double.doubleToRawLongBits(b));
                assertThat(ulpDistance(a, b)).isEqualTo(bitsDistance);
            }
        }
    }

    @Test
    void absoluteErrorOfADouble() {
        assertThat(absoluteError(1.0, bd("1.1"))).isEqualTo(bd("1.1").subtract(BigDecimal.ONE).doubleValue());
        assertThat(absoluteError(-1e-20, BigDecimal.ZERO)).isEqualTo(1e-20);
        assertThat(absoluteError(0.1, bd(0.1))).isZero();
        assertThat(absoluteError(Double.NaN, BigDecimal.ONE)).isNaN();
        assertThat(absoluteError(Double.NEGATIVE_INFINITY, BigDecimal.ONE)).isEqualTo(Double.POSITIVE_INFINITY);
    }

    private static BigDecimal bd(double x) {
        return new BigDecimal(x);
    }

    private static BigDecimal bd(String x) {
        return new BigDecimal(x);
    }
}
