/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.core;

import java.util.Arrays;

/**
 * The serialized state format (layout in {@link LogSumExpAccumulator}): its version, the flags
 * of the special values, the checks of the fields, a {@link Reader} that checks each field as it
 * goes (every problem is a {@link SoftmaxException} saying what was expected) and the
 * {@link Writer} that {@code toBytes} writes with.
 */
final class StateFormat {
    static final byte FORMAT_VERSION = 1;
    /** The format of weighted states; format 1 stays what unweighted states write. */
    static final byte FORMAT_VERSION_WEIGHTED = 2;
    /**
     * Format 1's layout, for an exact unweighted state that has dropped the term of a finite
     * value (one more than 1024 below the maximum, below the kept anchors). Only such a state
     * writes it, so every other state keeps its format 1 bytes. Telling that a value was
     * dropped gives log_prob of the maximum its sign: -0.0 for [1000, -1000, -inf], where a
     * format 1 state cannot tell -1000 from a second -inf.
     */
    static final byte FORMAT_VERSION_DROPPED = 3;
    static final int FLAG_FINITE = 1;
    static final int FLAG_NEGATIVE_INFINITY = 2;
    static final int FLAG_POSITIVE_INFINITY = 4;
    static final int FLAG_NAN = 8;
    static final int ALL_FLAGS = 15;
    /** Weighted states only: a term w exp(x) of -inf (x = +inf with w &lt; 0, or w = -inf). */
    static final int FLAG_NEGATIVE_INFINITE_TERM = 16;
    /** Weighted states only: a negative weight (the softmax of the group is NaN). */
    static final int FLAG_NEGATIVE_WEIGHT = 32;
    /**
     * Weighted exact states only: the state holds rows deposited without their third part
     * (rows of an unweighted state merged in, or accepted unweighted): the finish then leaves
     * every third part out, so that equal x still cancel exactly (see {@link ExactWeights}).
     */
    static final int FLAG_UNCORRECTED = 0x40;
    /** Weighted states only: set in every format 2 flags byte, so a format 1 state is never read as one. */
    static final int FLAG_WEIGHTED = 0x80;
    static final int ALL_WEIGHTED_FLAGS = 127;

    private StateFormat() {
    }

    /** The flags, checked: only the four known bits. */
    static int checkFlags(int flags) {
        if ((flags & ~ALL_FLAGS) != 0) {
            throw corrupt("expected flags within 0x0f, actual 0x" + Integer.toHexString(flags));
        }
        return flags;
    }

    /** The flag of a value that is not finite: NaN, +inf or -inf. */
    static int nonFiniteFlag(double x) {
        if (x != x) {
            return FLAG_NAN;
        }
        return x > 0 ? FLAG_POSITIVE_INFINITY : FLAG_NEGATIVE_INFINITY;
    }

    /** The flags of a format 2 state, checked: the weighted marker and only the six known bits. */
    static int checkWeightedFlags(int flags) {
        if ((flags & FLAG_WEIGHTED) == 0) {
            throw new SoftmaxException("softmax state: expected format version 1, actual 2 without the weighted"
                    + " flag 0x80 (is this a softmax_state?)");
        }
        int bits = flags & ~FLAG_WEIGHTED;
        if ((bits & ~ALL_WEIGHTED_FLAGS) != 0) {
            throw corrupt("expected flags within 0xff, actual 0x" + Integer.toHexString(flags));
        }
        return bits;
    }

    /**
     * The flag of a weighted row whose term w exp(x) is not a finite number (x or w not
     * finite; w != 0): NaN for a NaN x or w and for w = +-inf beside x = -inf (inf times 0),
     * -inf for x = -inf beside a finite w (the term is 0), else the sign of the infinite term.
     */
    static int weightedNonFiniteFlag(double x, double w) {
        if (x != x || w != w) {
            return FLAG_NAN;
        }
        if (x == Double.NEGATIVE_INFINITY) {
            return Math.abs(w) <= Double.MAX_VALUE ? FLAG_NEGATIVE_INFINITY : FLAG_NAN;
        }
        return w > 0 ? FLAG_POSITIVE_INFINITY : FLAG_NEGATIVE_INFINITE_TERM;
    }

    /** The count of values, checked against the flags: none exactly when no flag, one at least per flag. */
    static long checkCount(long count, int flags) {
        // a negative weight comes with the flag of its own row: it does not count apart
        int rowFlags = flags & ~(FLAG_NEGATIVE_WEIGHT | FLAG_UNCORRECTED);
        if ((count == 0) != (flags == 0) || count < Integer.bitCount(rowFlags)) {
            throw corrupt("count " + count + " does not match flags 0x" + Integer.toHexString(flags));
        }
        return count;
    }

    static SoftmaxException corrupt(String what) {
        return new SoftmaxException("softmax state is corrupt: " + what);
    }

    /** Reads a state from its bytes, checking each field as it goes. */
    static final class Reader {
        private final byte[] bytes;
        private int position;
        private int version;

        Reader(byte[] bytes) {
            if (bytes == null) {
                throw new SoftmaxException("softmax state: expected bytes, actual null");
            }
            this.bytes = bytes;
        }

        SoftmaxMode readHeader() {
            version = readByte("format version");
            if (version != FORMAT_VERSION && version != FORMAT_VERSION_WEIGHTED && version != FORMAT_VERSION_DROPPED) {
                throw new SoftmaxException("softmax state: expected format version " + FORMAT_VERSION + ", "
                        + FORMAT_VERSION_WEIGHTED + " or " + FORMAT_VERSION_DROPPED + ", actual " + version
                        + " (is this a softmax_state?)");
            }
            SoftmaxMode mode = SoftmaxMode.fromCode((byte) readByte("mode"));
            if (version == FORMAT_VERSION_DROPPED && mode != SoftmaxMode.EXACT) {
                throw corrupt("expected format version 3 in exact mode only, actual mode " + mode.id());
            }
            return mode;
        }

        /** Whether the header read was that of format 3: an exact state that dropped a value's term. */
        boolean dropped() {
            return version == FORMAT_VERSION_DROPPED;
        }

        /** Whether the header read was that of format 2, a weighted state. */
        boolean weighted() {
            return version == FORMAT_VERSION_WEIGHTED;
        }

        int readFlags() {
            return weighted() ? checkWeightedFlags(readByte("flags")) : checkFlags(readByte("flags"));
        }

        /** Reads the count of values and checks it against the flags read before it. */
        long readCount(int flags) {
            return checkCount(readVarLong("count"), flags);
        }

        int readByte(String field) {
            if (position >= bytes.length) {
                throw corrupt("truncated at byte " + position + " while reading the " + field
                        + " (length " + bytes.length + ")");
            }
            return bytes[position++] & 0xff;
        }

        long readVarLong(String field) {
            long value = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                int b = readByte(field);
                value |= (long) (b & 0x7f) << shift;
                if ((b & 0x80) == 0) {
                    if (b == 0 && shift > 0) {
                        throw corrupt("non-canonical varint in the " + field);
                    }
                    return value;
                }
            }
            throw corrupt("varint longer than 10 bytes in the " + field);
        }

        long readLong(String field) {
            long value = 0;
            for (int i = 0; i < 8; i++) {
                value = (value << 8) | readByte(field);
            }
            return value;
        }

        long readUnsignedInt(String field) {
            long value = 0;
            for (int i = 0; i < 4; i++) {
                value = (value << 8) | readByte(field);
            }
            return value;
        }

        void expectEnd() {
            if (position != bytes.length) {
                throw corrupt("expected " + position + " bytes, actual " + bytes.length);
            }
        }
    }

    /** Appends to a growable byte buffer in the same layout. */
    static final class Writer {
        private byte[] buffer = new byte[64];
        private int size;

        void writeByte(int b) {
            if (size == buffer.length) {
                buffer = Arrays.copyOf(buffer, size * 2);
            }
            buffer[size++] = (byte) b;
        }

        void writeVarLong(long value) {
            long v = value;
            while ((v & ~0x7fL) != 0) {
                writeByte((int) (v & 0x7f) | 0x80);
                v >>>= 7;
            }
            writeByte((int) v);
        }

        void writeLong(long value) {
            for (int shift = 56; shift >= 0; shift -= 8) {
                writeByte((int) (value >>> shift));
            }
        }

        void writeUnsignedInt(long value) {
            for (int shift = 24; shift >= 0; shift -= 8) {
                writeByte((int) (value >>> shift));
            }
        }

        byte[] toByteArray() {
            return Arrays.copyOf(buffer, size);
        }
    }
}
