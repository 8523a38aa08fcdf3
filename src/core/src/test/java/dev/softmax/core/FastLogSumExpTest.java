/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The accumulator contract for {@link FastLogSumExp}: within 2048 ulps whatever the order: prob = exp((x - m) - L)
 * rounds x - m - L at the scale of |x - m| (here up to 200), which amplifies a last-bit change of L. */
class FastLogSumExpTest extends AccumulatorContractTest {
    @Override
    SoftmaxMode mode() {
        return SoftmaxMode.FAST;
    }

    @Override
    long reorderTolerance() {
        return 2048;
    }

    /** The five fields an engine keeps, folded and merged with the public field-wise functions. */
    private static final class Fields {
        long count;
        int flags;
        double max = Double.NEGATIVE_INFINITY;
        long maxCount;
        double sum;

        Fields fold(double x) {
            double m = max;
            count++;
            flags = FastLogSumExp.foldFlags(flags, x);
            sum = FastLogSumExp.foldSum(m, sum, x);
            maxCount = FastLogSumExp.foldMaxCount(m, maxCount, x);
            max = FastLogSumExp.foldMax(m, x);
            return this;
        }

        Fields merge(Fields that) {
            double m = max;
            sum = FastLogSumExp.mergeSum(flags, m, sum, that.flags, that.max, that.sum);
            maxCount = FastLogSumExp.mergeMaxCount(flags, m, maxCount, that.flags, that.max, that.maxCount);
            max = FastLogSumExp.mergeMax(flags, m, that.flags, that.max);
            count += that.count;
            flags |= that.flags;
            return this;
        }

        FastLogSumExp restore() {
            return FastLogSumExp.restore(count, flags, max, maxCount, sum);
        }
    }

    /** Values with ties, ascending runs, a NaN, infinities and nulls' absence: every branch of the fold. */
    private static double[] values(Random random, int n) {
        double[] values = new double[n];
        for (int i = 0; i < n; i++) {
            int kind = random.nextInt(20);
            values[i] = kind == 0 ? Double.NEGATIVE_INFINITY
                    : kind == 1 ? 3.0
                    : kind == 2 ? i * 0.5
                    : random.nextGaussian() * 30;
        }
        if (n > 10 && random.nextBoolean()) {
            values[random.nextInt(n)] = random.nextBoolean() ? Double.NaN : Double.POSITIVE_INFINITY;
        }
        return values;
    }

    @Test
    void fieldWiseFoldAndMergeGiveTheBitsOfAcceptAndCombine() {
        Random random = new Random(6);
        for (int trial = 0; trial < 500; trial++) {
            double[] values = values(random, random.nextInt(60));
            int split = values.length == 0 ? 0 : random.nextInt(values.length + 1);
            Fields left = new Fields();
            Fields right = new Fields();
            FastLogSumExp leftAcc = FastLogSumExp.create();
            FastLogSumExp rightAcc = FastLogSumExp.create();
            for (int i = 0; i < values.length; i++) {
                (i < split ? left : right).fold(values[i]);
                (i < split ? leftAcc : rightAcc).accept(values[i]);
            }
            assertThat(left.restore().toBytes()).as("fold, trial %d", trial).isEqualTo(leftAcc.toBytes());
            assertThat(left.merge(right).restore().toBytes()).as("merge, trial %d", trial)
                    .isEqualTo(leftAcc.combine(rightAcc).toBytes());
        }
    }

    @Test
    void restoreRefusesFieldsNoValuesGive() {
        assertThatThrownBy(() -> FastLogSumExp.restore(0, 1, 0.0, 1, 1.0))
                .isInstanceOf(SoftmaxException.class).hasMessageContaining("count 0");
        assertThatThrownBy(() -> FastLogSumExp.restore(2, 1, Double.POSITIVE_INFINITY, 1, 1.0))
                .isInstanceOf(SoftmaxException.class).hasMessageContaining("finite maximum");
        assertThatThrownBy(() -> FastLogSumExp.restore(2, 1, 0.0, 1, 0.5))
                .isInstanceOf(SoftmaxException.class).hasMessageContaining("sum in [1, count]");
        assertThat(FastLogSumExp.restore(0, 0, Double.NEGATIVE_INFINITY, 0, 0.0).toBytes())
                .isEqualTo(FastLogSumExp.create().toBytes());
    }
}
