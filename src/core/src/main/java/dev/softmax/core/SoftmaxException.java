/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.core;

/**
 * The one exception type of spark-softmax: a bad argument, an unknown option, or a state that
 * cannot be read. Messages name what was wrong, the value, and what would be accepted.
 *
 * @since 0.1.0
 */
public class SoftmaxException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public SoftmaxException(String message) {
        super(message);
    }

    public SoftmaxException(String message, Throwable cause) {
        super(message, cause);
    }
}
