/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.spark.catalyst;

import dev.softmax.core.LogSumExpAccumulator;
import dev.softmax.core.SoftmaxMode;
import org.apache.spark.sql.Encoder;
import org.apache.spark.sql.Encoders;

/**
 * Shim, Spark 3.5: the Spark encoder of an {@code Aggregator}'s buffer. Spark 3.5 has no
 * transforming encoder (the spark-4 shim writes the core's versioned bytes), so the buffer is
 * serialized field by field with Kryo. That is exact (the fields are the state) and lives only
 * inside one query: the bytes a user stores are always the core's ({@code softmax_state}).
 *
 * <p>The project's own aggregates ({@code SoftmaxAggregate}) never use this encoder: their
 * buffers travel as the core's bytes on every line. It serves {@code functions.udaf(...)} and
 * {@code Aggregator.toColumn()} of the public aggregators.
 */
public final class StateEncoder {

    private StateEncoder() {}

    /** An encoder of the accumulators of {@code mode}. */
    public static Encoder<LogSumExpAccumulator> forMode(SoftmaxMode mode) {
        return Encoders.kryo(LogSumExpAccumulator.class);
    }
}
