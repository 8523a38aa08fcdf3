/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.spark.catalyst;

import dev.softmax.core.LogSumExpAccumulator;
import dev.softmax.core.SoftmaxMode;
import dev.softmax.spark.ValueAggregator;
import org.apache.spark.sql.Encoder;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;

/**
 * {@code signed_logsumexp(x)} without weights: log S and its sign (1, or 0 for S = 0 with
 * nothing but -inf) as a STRUCT&lt;value, sign&gt;, NULL when there is no non-null value. The
 * values fold with the core's unweighted {@code accept(x)}, as {@code logsumexp(x)}'s do: the
 * state stays format 1 (a weight 1 would make an exact state weighted, and pay the third part
 * of every term for nothing).
 */
public final class SignedLogSumExpAggregator extends ValueAggregator<Row> {
    private static final long serialVersionUID = 1L;

    public SignedLogSumExpAggregator(SoftmaxMode mode, double temperature) {
        super(mode, temperature);
    }

    @Override
    public Row finish(LogSumExpAccumulator accumulator) {
        return SoftmaxRuntime.signedOrNull(accumulator);
    }

    @Override
    public Encoder<Row> outputEncoder() {
        return Encoders.row(SoftmaxRuntime.SIGNED_SCHEMA);
    }
}
