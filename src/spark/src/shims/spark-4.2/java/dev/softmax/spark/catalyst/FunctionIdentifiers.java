/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.spark.catalyst;

import org.apache.spark.sql.catalyst.FunctionIdentifier;
import org.apache.spark.sql.catalyst.analysis.FunctionRegistry$;

/**
 * Shim, Spark 4.2: the name a function gets in a session's registry. Since 4.2 the session
 * registry takes only qualified names ({@code system.builtin.name}), and unqualified calls
 * resolve there; before, the bare name.
 */
public final class FunctionIdentifiers {
    private FunctionIdentifiers() {}

    /** {@code system.builtin.name}. */
    public static FunctionIdentifier session(String name) {
        return FunctionRegistry$.MODULE$.builtinFunctionIdentifier(name);
    }
}
