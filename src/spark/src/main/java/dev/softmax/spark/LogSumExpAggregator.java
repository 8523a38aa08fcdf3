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
 * {@code logsumexp(x)}: log of the sum of exp(x) over the non-null values; NULL (as Spark's
 * {@code sum}) when there is none. Special values: {@link dev.softmax.core.Normalizer}.
 *
 * @since 0.1.0
 */
public final class LogSumExpAggregator extends ValueAggregator<Double> {
    private static final long serialVersionUID = 1L;

    public LogSumExpAggregator(SoftmaxMode mode, double temperature) {
        super(mode, temperature);
    }

    @Override
    public Double finish(LogSumExpAccumulator accumulator) {
        return SoftmaxRuntime.logSumExpOrNull(accumulator);
    }

    @Override
    public Encoder<Double> outputEncoder() {
        return Encoders.DOUBLE();
    }
}
