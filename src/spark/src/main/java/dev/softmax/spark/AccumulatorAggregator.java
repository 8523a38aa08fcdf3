/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.spark;

import dev.softmax.core.LogSumExpAccumulator;
import dev.softmax.core.SoftmaxMode;
import dev.softmax.spark.catalyst.StateEncoder;
import java.util.Objects;
import org.apache.spark.sql.Encoder;
import org.apache.spark.sql.expressions.Aggregator;

/**
 * The shared half of the project's Spark aggregators: the buffer is a core
 * {@link LogSumExpAccumulator} of one mode, partial buffers merge with
 * {@link LogSumExpAccumulator#combine}, and the buffer crosses stages as the core's
 * versioned bytes ({@link StateEncoder}).
 *
 * <p>The merge is order-free in the exact mode, so the result has the same bits whatever
 * the partitioning, the merge tree and the number of spills; in the fast mode it is within
 * the bound the core documents. Special values follow the core's policy
 * ({@link dev.softmax.core.Normalizer}); null inputs are skipped.
 *
 * @param <IN> the input type (a value or a stored state)
 * @param <OUT> the result type
 *
 * @since 0.1.0
 */
public abstract class AccumulatorAggregator<IN, OUT>
        extends Aggregator<IN, LogSumExpAccumulator, OUT> {
    private static final long serialVersionUID = 1L;

    /** The mode of every buffer of this aggregator. */
    protected final SoftmaxMode mode;

    protected AccumulatorAggregator(SoftmaxMode mode) {
        this.mode = Objects.requireNonNull(mode, "mode");
    }

    /** The mode of every buffer of this aggregator. */
    public final SoftmaxMode mode() {
        return mode;
    }

    @Override
    public final LogSumExpAccumulator zero() {
        return LogSumExpAccumulator.create(mode);
    }

    @Override
    public final LogSumExpAccumulator merge(LogSumExpAccumulator left, LogSumExpAccumulator right) {
        return left.combine(right);
    }

    @Override
    public final Encoder<LogSumExpAccumulator> bufferEncoder() {
        return StateEncoder.forMode(mode);
    }

    /**
     * Aggregators of the same class and settings compute the same thing: equal, so that
     * Catalyst runs {@code logsumexp(x)} once when a query names it twice.
     */
    @Override
    public boolean equals(Object other) {
        return other != null && other.getClass() == getClass() && ((AccumulatorAggregator<?, ?>) other).mode == mode;
    }

    @Override
    public int hashCode() {
        return getClass().hashCode() * 31 + mode.hashCode();
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "(" + mode.id() + ")";
    }
}
