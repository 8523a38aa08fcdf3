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
 * {@code softmax_state_merge(state)}: merges stored states (the output of
 * {@code softmax_state}) into one; NULL when there is no non-null state. Each input is read
 * through {@link LogSumExpAccumulator#fromBytes(byte[], SoftmaxMode)}: corrupt bytes, a state
 * of another mode or of an unknown format raise the core's
 * {@link dev.softmax.core.SoftmaxException} ("expected X, actual Y").
 *
 * @since 0.1.0
 */
public final class SoftmaxStateMergeAggregator extends AccumulatorAggregator<byte[], byte[]> {
    private static final long serialVersionUID = 1L;

    public SoftmaxStateMergeAggregator(SoftmaxMode mode) {
        super(mode);
    }

    @Override
    public LogSumExpAccumulator reduce(LogSumExpAccumulator accumulator, byte[] state) {
        return state == null ? accumulator : accumulator.combine(LogSumExpAccumulator.fromBytes(state, mode));
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
