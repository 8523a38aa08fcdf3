/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.spark.catalyst;

import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.objects.StaticInvoke;
import org.apache.spark.sql.types.AbstractDataType;
import org.apache.spark.sql.types.DataType;
import scala.Option;

/**
 * Shim, Spark 4.x: {@code StaticInvoke} gained a ninth argument, the V2 scalar function it
 * stands for (none here).
 */
public final class StaticInvokes {
    private StaticInvokes() {}

    /** {@code owner.method(arguments)}, deterministic. */
    public static StaticInvoke of(Class<?> owner, DataType type, String method,
            scala.collection.immutable.Seq<Expression> arguments,
            scala.collection.immutable.Seq<AbstractDataType> inputTypes, boolean propagateNull,
            boolean returnNullable) {
        return new StaticInvoke(owner, type, method, arguments, inputTypes, propagateNull, returnNullable,
                true, Option.empty());
    }
}
