/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.spark.catalyst;

import dev.softmax.core.LogSumExpAccumulator;
import dev.softmax.core.Normalizer;
import dev.softmax.core.Softmax;
import dev.softmax.core.SoftmaxMode;
import dev.softmax.spark.AccumulatorAggregator;
import dev.softmax.spark.NormalizerColumns;
import org.apache.spark.sql.Encoder;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.catalyst.InternalRow;

/**
 * The weighted aggregates ({@code logsumexp(x, w)}, {@code signed_logsumexp(x, w)},
 * {@code softmax_state(x, w)}, {@code softmax_normalizer(x, w)} and the normalizer of the
 * DataFrame softmax with a weight): folds the rows (x / T, w) of a STRUCT&lt;x DOUBLE, w
 * DOUBLE&gt; input with the core's {@code accept(x, w)}, skipping a row where x or w is NULL.
 * Only for calls with a weight: in exact mode {@code accept(x, 1.0)} makes a weighted state (it
 * deposits the third part of the term), so the one-argument forms fold with {@code accept(x)}
 * through a {@link dev.softmax.spark.ValueAggregator}. Run by {@link SoftmaxAggregate}
 * (exact and fast mode alike), with the core's bytes between stages.
 */
public final class WeightedAggregator extends AccumulatorAggregator<InternalRow, Object> {
    private static final long serialVersionUID = 1L;

    /** What the aggregate returns. */
    public enum Output {
        /** log S as a DOUBLE, NULL when no row counted. */
        LOGSUMEXP,
        /** STRUCT&lt;value, sign&gt;: log |S| and the sign of S; NULL when no row counted. */
        SIGNED,
        /** The state (BINARY, format 2: see {@code LogSumExpAccumulator}), NULL when empty. */
        STATE,
        /** The normalizer struct of {@link NormalizerColumns}. */
        NORMALIZER
    }

    private final Output output;
    private final double temperature;

    public WeightedAggregator(SoftmaxMode mode, double temperature, Output output) {
        super(mode);
        this.temperature = Softmax.checkTemperature(temperature);
        this.output = output;
    }

    public Output output() {
        return output;
    }

    /** The temperature the values x are divided by (the weights are not). */
    public double temperature() {
        return temperature;
    }

    @Override
    public LogSumExpAccumulator reduce(LogSumExpAccumulator accumulator, InternalRow row) {
        if (row != null && !row.isNullAt(0) && !row.isNullAt(1)) {
            double x = row.getDouble(0);
            accumulator.accept(temperature == 1.0 ? x : x / temperature, row.getDouble(1));
        }
        return accumulator;
    }

    @Override
    public Object finish(LogSumExpAccumulator accumulator) {
        switch (output) {
            case LOGSUMEXP:
                return SoftmaxRuntime.logSumExpOrNull(accumulator);
            case STATE:
                return SoftmaxRuntime.stateOrNull(accumulator);
            case SIGNED:
                return SoftmaxRuntime.signedOrNull(accumulator);
            default:
                Normalizer normalizer = accumulator.finish();
                return NormalizerColumns.row(normalizer, temperature);
        }
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    @Override
    public Encoder<Object> outputEncoder() {
        switch (output) {
            case LOGSUMEXP:
                return (Encoder) Encoders.DOUBLE();
            case STATE:
                return (Encoder) Encoders.BINARY();
            case SIGNED:
                return (Encoder) Encoders.row(SoftmaxRuntime.SIGNED_SCHEMA);
            default:
                return (Encoder) Encoders.row(NormalizerColumns.SCHEMA);
        }
    }

    @Override
    public boolean equals(Object other) {
        return super.equals(other) && ((WeightedAggregator) other).output == output
                && Double.compare(((WeightedAggregator) other).temperature, temperature) == 0;
    }

    @Override
    public int hashCode() {
        return (super.hashCode() * 31 + output.hashCode()) * 31 + Double.hashCode(temperature);
    }

    @Override
    public String toString() {
        return "WeightedAggregator(" + mode().id() + ", " + output + ", temperature " + temperature + ")";
    }
}
