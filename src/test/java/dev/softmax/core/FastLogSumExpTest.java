/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.core;

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
}
