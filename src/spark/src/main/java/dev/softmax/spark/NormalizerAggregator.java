/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.spark;

import dev.softmax.core.LogSumExpAccumulator;
import dev.softmax.core.SoftmaxMode;
import org.apache.spark.sql.Encoder;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;

/**
 * The finished normalizer of a group as a struct ({@link NormalizerColumns#SCHEMA}), never
 * NULL: a group without a non-null value has status {@code EMPTY}. The finish runs once per
 * group here, so the per-row stage reads plain fields and never decodes a state.
 *
 * @since 0.1.0
 */
public final class NormalizerAggregator extends ValueAggregator<Row> {
    private static final long serialVersionUID = 1L;

    public NormalizerAggregator(SoftmaxMode mode, double temperature) {
        super(mode, temperature);
    }

    @Override
    public Row finish(LogSumExpAccumulator accumulator) {
        return NormalizerColumns.row(accumulator.finish(), temperature());
    }

    @Override
    public Encoder<Row> outputEncoder() {
        return Encoders.row(NormalizerColumns.SCHEMA);
    }
}
