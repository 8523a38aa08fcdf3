/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.core;

/** The accumulator contract for {@link ExactLogSumExp}: the same bits whatever the order. */
class ExactLogSumExpTest extends AccumulatorContractTest {
    @Override
    SoftmaxMode mode() {
        return SoftmaxMode.EXACT;
    }

    @Override
    long reorderTolerance() {
        return 0;
    }
}
