/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.spark.catalyst;

import dev.softmax.core.LogSumExpAccumulator;
import dev.softmax.core.SoftmaxMode;
import java.io.Serializable;
import org.apache.spark.sql.Encoder;
import org.apache.spark.sql.catalyst.encoders.AgnosticEncoders;
import org.apache.spark.sql.catalyst.encoders.Codec;
import scala.reflect.ClassTag$;
import scala.runtime.AbstractFunction0;

/**
 * The Spark encoder of an aggregation buffer: the core's own versioned bytes
 * ({@link LogSumExpAccumulator#toBytes()}), read back only through
 * {@link LogSumExpAccumulator#fromBytes(byte[], SoftmaxMode)}, which checks format and mode.
 *
 * <p>Inside an aggregate task the buffer stays a live accumulator object (Spark's
 * {@code TypedImperativeAggregate}); this encoder runs only where Spark moves a partial
 * buffer between stages (end of the partial aggregation, spill, fallback to sort), so its
 * cost is once per partition and group, not once per row. Java serialization of the
 * accumulator's fields would tie the wire format to private field layout; the core's bytes
 * are canonical and versioned.
 */
public final class StateEncoder {

    private StateEncoder() {}

    /** An encoder that writes the state of {@code mode} as a binary column and checks it on read. */
    public static Encoder<LogSumExpAccumulator> forMode(SoftmaxMode mode) {
        return new AgnosticEncoders.TransformingEncoder<LogSumExpAccumulator, byte[]>(
                ClassTag$.MODULE$.apply(LogSumExpAccumulator.class),
                AgnosticEncoders.BinaryEncoder$.MODULE$,
                new CodecProvider(mode),
                false);
    }

    /** The codec between an accumulator and its bytes, for one mode. */
    static final class StateCodec implements Codec<LogSumExpAccumulator, byte[]> {
        private static final long serialVersionUID = 1L;
        private final SoftmaxMode mode;

        StateCodec(SoftmaxMode mode) {
            this.mode = mode;
        }

        @Override
        public byte[] encode(LogSumExpAccumulator accumulator) {
            return accumulator.toBytes();
        }

        @Override
        public LogSumExpAccumulator decode(byte[] bytes) {
            return LogSumExpAccumulator.fromBytes(bytes, mode);
        }
    }

    /** Spark ships the codec provider inside the plan: it has to be serializable. */
    private static final class CodecProvider
            extends AbstractFunction0<Codec<? super LogSumExpAccumulator, byte[]>>
            implements Serializable {
        private static final long serialVersionUID = 1L;
        private final SoftmaxMode mode;

        CodecProvider(SoftmaxMode mode) {
            this.mode = mode;
        }

        @Override
        public Codec<? super LogSumExpAccumulator, byte[]> apply() {
            return new StateCodec(mode);
        }
    }
}
