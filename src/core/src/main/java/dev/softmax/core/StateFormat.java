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
    static final int FLAG_FINITE = 1;
    static final int FLAG_NEGATIVE_INFINITY = 2;
    static final int FLAG_POSITIVE_INFINITY = 4;
    static final int FLAG_NAN = 8;
    static final int ALL_FLAGS = 15;

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

    /** The count of values, checked against the flags: none exactly when no flag, one at least per flag. */
    static long checkCount(long count, int flags) {
        if ((count == 0) != (flags == 0) || count < Integer.bitCount(flags)) {
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

        Reader(byte[] bytes) {
            if (bytes == null) {
                throw new SoftmaxException("softmax state: expected bytes, actual null");
            }
            this.bytes = bytes;
        }

        SoftmaxMode readHeader() {
            int version = readByte("format version");
            if (version != FORMAT_VERSION) {
                throw new SoftmaxException("softmax state: expected format version " + FORMAT_VERSION
                        + ", actual " + version + " (is this a softmax_state?)");
            }
            return SoftmaxMode.fromCode((byte) readByte("mode"));
        }

        int readFlags() {
            return checkFlags(readByte("flags"));
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
