/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.core;

import java.util.Locale;

/**
 * How the normalizer of a group is accumulated.
 *
 * <ul>
 *   <li>{@link #EXACT} (the default everywhere): {@link ExactLogSumExp}. prob, log_prob and
 *       logsumexp exactly rounded (see {@link Normalizer} for what exactly), and the same
 *       bits whatever the partitioning, the order of the values and the serialization round
 *       trips in between.</li>
 *   <li>{@link #FAST}: {@link FastLogSumExp}, the online normalizer of Milakov and Gimelshein
 *       (arXiv 1805.02867) in plain doubles. Faster; its error grows with the data (see its
 *       Javadoc) and its last bits depend on the order of the values.</li>
 * </ul>
 *
 * @since 0.1.0
 */
public enum SoftmaxMode {
    EXACT((byte) 1),
    FAST((byte) 2);

    private final byte code;

    SoftmaxMode(byte code) {
        this.code = code;
    }

    /** The lower-case name used in options, SQL configuration and messages. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** A new, empty accumulator of this mode. */
    public LogSumExpAccumulator newAccumulator() {
        return this == EXACT ? ExactLogSumExp.create() : FastLogSumExp.create();
    }

    /** The mode byte of the serialized state. */
    byte code() {
        return code;
    }

    static SoftmaxMode fromCode(byte code) {
        for (SoftmaxMode mode : values()) {
            if (mode.code == code) {
                return mode;
            }
        }
        throw new SoftmaxException("softmax state: unknown mode byte " + (code & 0xff)
                + "; expected 1 (exact) or 2 (fast)");
    }

    /**
     * Parses "exact" or "fast" in any case.
     *
     * @throws SoftmaxException naming the value and the accepted ones
     */
    public static SoftmaxMode parse(String name) {
        if (name != null) {
            for (SoftmaxMode mode : values()) {
                if (mode.id().equalsIgnoreCase(name.trim())) {
                    return mode;
                }
            }
        }
        throw new SoftmaxException("mode: expected exact or fast, got '" + name + "'");
    }

    @Override
    public String toString() {
        return id();
    }
}
