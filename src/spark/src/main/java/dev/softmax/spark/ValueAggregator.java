/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.spark;

import dev.softmax.core.LogSumExpAccumulator;
import dev.softmax.core.Softmax;
import dev.softmax.core.SoftmaxMode;

/**
 * An aggregator over double values: each non-null value {@code x} is folded as
 * {@code x / temperature} (the quotient rounded once, as the core's {@link Softmax} does).
 *
 * @param <OUT> the result type
 *
 * @since 0.1.0
 */
public abstract class ValueAggregator<OUT> extends AccumulatorAggregator<Double, OUT> {
    private static final long serialVersionUID = 1L;

    private final double temperature;

    protected ValueAggregator(SoftmaxMode mode, double temperature) {
        super(mode);
        this.temperature = Softmax.checkTemperature(temperature);
    }

    /** The temperature the values are divided by. */
    public final double temperature() {
        return temperature;
    }

    @Override
    public boolean equals(Object other) {
        return super.equals(other)
                && Double.compare(((ValueAggregator<?>) other).temperature, temperature) == 0;
    }

    @Override
    public int hashCode() {
        return super.hashCode() * 31 + Double.hashCode(temperature);
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "(" + mode.id() + ", temperature " + temperature + ")";
    }

    @Override
    public final LogSumExpAccumulator reduce(LogSumExpAccumulator accumulator, Double value) {
        if (value != null) {
            double x = value;
            // x / 1.0 == x for every double: skip the division in the common case.
            accumulator.accept(temperature == 1.0 ? x : x / temperature);
        }
        return accumulator;
    }
}
