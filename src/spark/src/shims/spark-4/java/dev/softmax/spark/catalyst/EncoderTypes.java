/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.spark.catalyst;

import org.apache.spark.sql.Encoder;
import org.apache.spark.sql.catalyst.encoders.AgnosticEncoder;
import org.apache.spark.sql.types.DataType;

/** Shim, Spark 4.x: the Catalyst type an encoder writes. Spark 4's encoders are agnostic encoders. */
public final class EncoderTypes {
    private EncoderTypes() {}

    /** The type of the column the encoder writes (a struct for a row, DOUBLE for a double, ...). */
    public static DataType dataType(Encoder<?> encoder) {
        return ((AgnosticEncoder<?>) encoder).dataType();
    }
}
