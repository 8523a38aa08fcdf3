/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.spark.catalyst;

import org.apache.spark.sql.catalyst.FunctionIdentifier;

/**
 * Shim, Spark 3.5 to 4.1 (this copy: 3.5): the name a function gets in a session's registry, the bare name
 * (4.2 qualifies it as {@code system.builtin.name}).
 */
public final class FunctionIdentifiers {
    private FunctionIdentifiers() {}

    /** The unqualified name. */
    public static FunctionIdentifier session(String name) {
        return FunctionIdentifier.apply(name);
    }
}
