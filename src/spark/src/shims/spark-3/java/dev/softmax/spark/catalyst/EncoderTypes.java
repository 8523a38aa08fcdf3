/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.spark.catalyst;

import org.apache.spark.sql.Encoder;
import org.apache.spark.sql.catalyst.encoders.ExpressionEncoder;
import org.apache.spark.sql.types.DataType;

/**
 * Shim, Spark 3.5: the Catalyst type an encoder writes. Spark 3.5's encoders are expression
 * encoders, whose schema wraps a value that is not a struct in a single field.
 */
public final class EncoderTypes {
    private EncoderTypes() {}

    /** The type of the column the encoder writes (a struct for a row, DOUBLE for a double, ...). */
    public static DataType dataType(Encoder<?> encoder) {
        ExpressionEncoder<?> expressionEncoder = (ExpressionEncoder<?>) encoder;
        return expressionEncoder.isSerializedAsStructForTopLevel()
                ? expressionEncoder.schema()
                : expressionEncoder.schema().fields()[0].dataType();
    }
}
