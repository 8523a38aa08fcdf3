/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.spark;

import dev.softmax.core.LogSumExpAccumulator;
import dev.softmax.core.SoftmaxMode;
import dev.softmax.spark.catalyst.SoftmaxRuntime;
import org.apache.spark.sql.Encoder;
import org.apache.spark.sql.Encoders;

/**
 * {@code softmax_state(x)}: the core's versioned binary state of the non-null values
 * ({@link LogSumExpAccumulator#toBytes()}); NULL when there is none. The bytes record the
 * mode and the format; they can be stored and merged later with
 * {@link SoftmaxStateMergeAggregator}, with the same bits as one pass in the exact mode.
 *
 * @since 0.1.0
 */
public final class SoftmaxStateAggregator extends ValueAggregator<byte[]> {
    private static final long serialVersionUID = 1L;

    public SoftmaxStateAggregator(SoftmaxMode mode, double temperature) {
        super(mode, temperature);
    }

    @Override
    public byte[] finish(LogSumExpAccumulator accumulator) {
        return SoftmaxRuntime.stateOrNull(accumulator);
    }

    @Override
    public Encoder<byte[]> outputEncoder() {
        return Encoders.BINARY();
    }
}
