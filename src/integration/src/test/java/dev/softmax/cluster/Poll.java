/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.cluster;

import java.time.Duration;
import java.util.function.Supplier;

/**
 * Bounded waits on a condition that can be observed (the Master's JSON, a driver's REST API, a
 * log line, a process): never a sleep standing in for synchronization.
 */
public final class Poll {

    private Poll() {
    }

    /**
     * Calls {@code probe} every {@code interval} until it returns a non-null value, and returns
     * it. A probe that throws is called again (a server not answering yet), unless it throws
     * {@link Abort}.
     *
     * @param what what is awaited, for the failure message
     * @param state describes what was last seen, for the failure message
     * @throws AssertionError after {@code timeout}, naming {@code what} and the last state
     */
    public static <T> T until(String what, Duration timeout, Duration interval, Supplier<T> probe,
            Supplier<String> state) {
        long deadline = System.nanoTime() + timeout.toNanos();
        RuntimeException lastError = null;
        while (true) {
            try {
                T value = probe.get();
                if (value != null) {
                    return value;
                }
                lastError = null;
            } catch (Abort e) {
                throw new AssertionError("gave up waiting for " + what + ": " + e.getMessage(), e);
            } catch (RuntimeException e) {
                lastError = e;
            }
            if (System.nanoTime() > deadline) {
                String seen;
                try {
                    seen = state.get();
                } catch (RuntimeException e) {
                    seen = "(cannot describe: " + e + ")";
                }
                AssertionError error = new AssertionError("timed out after " + timeout.toSeconds() + " s waiting for "
                        + what + "; last seen: " + seen);
                if (lastError != null) {
                    error.initCause(lastError);
                }
                throw error;
            }
            try {
                Thread.sleep(interval.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting for " + what, e);
            }
        }
    }

    /** Thrown by a probe: what is awaited can no longer happen (a process exited), stop waiting. */
    public static final class Abort extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public Abort(String message) {
            super(message);
        }
    }

    /** {@link #until} for a boolean condition. */
    public static void untilTrue(String what, Duration timeout, Duration interval, Supplier<Boolean> condition,
            Supplier<String> state) {
        until(what, timeout, interval, () -> condition.get() ? Boolean.TRUE : null, state);
    }
}
