/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.core;

/**
 * Accumulates one group of values into the state that normalizes their softmax: the maximum m
 * and the sum d of exp(x - m). Values come one by one ({@link #accept}) and partial states merge
 * ({@link #combine}); the finished {@link Normalizer} then gives prob, log_prob and logsumexp of
 * any member. An empty accumulator is the identity of {@code combine}. Null values are the
 * caller's business: they are never passed in. NaN and infinities follow the policy stated once,
 * in {@link Normalizer}.
 *
 * <p>Two implementations, one per {@link SoftmaxMode}: {@link ExactLogSumExp} and
 * {@link FastLogSumExp}. Accumulators are mutable and not thread-safe; finished normalizers are
 * immutable.
 *
 * <h2>Serialized state, format version 1</h2>
 * {@link #toBytes} writes, and {@link #fromBytes} reads back, a versioned layout (big-endian;
 * varint = unsigned LEB128, 1 to 10 bytes):
 * <table>
 *   <caption>state layout</caption>
 *   <tr><th>offset</th><th>size</th><th>field</th></tr>
 *   <tr><td>0</td><td>1</td><td>format version, 1</td></tr>
 *   <tr><td>1</td><td>1</td><td>mode: 1 exact, 2 fast</td></tr>
 *   <tr><td>2</td><td>1</td><td>flags: bit 0 a finite value was seen, bit 1 -inf, bit 2 +inf,
 *       bit 3 NaN; other bits 0</td></tr>
 *   <tr><td>3</td><td>varint</td><td>count of values accepted</td></tr>
 *   <tr><td colspan="3">only when flag bit 0 is set:</td></tr>
 *   <tr><td></td><td>8</td><td>maximum m (IEEE 754 bits)</td></tr>
 *   <tr><td></td><td>varint</td><td>count of values bit-equal to m</td></tr>
 *   <tr><td></td><td>8</td><td>fast mode: d = sum of exp(x - m), a double in [1, count]</td></tr>
 *   <tr><td></td><td>3 anchors</td><td>exact mode: for the anchors qTop, qTop - 1, qTop - 2
 *       (see {@link ExactLogSumExp}): one byte first bin, one byte bin count n (first + n
 *       &lt;= 28, no zero bin at either end), then n unsigned 32-bit bins, lowest first</td></tr>
 * </table>
 * A group of one value takes at most 39 bytes in exact mode and 21 in fast mode; the largest
 * exact state takes at most 373 bytes (3 + 10 + 8 + 10 + 3 x (2 + 28 x 4): header, two
 * 10-byte varints, the maximum and three full anchors). Reading checks the version, the mode
 * and every field, and throws a {@link SoftmaxException} saying "expected X, actual Y" for anything else; equal states
 * always serialize to equal bytes. Format version 1 stays readable by every later release.
 *
 * <h2>Serialized state, format version 2 (weighted states)</h2>
 * An exact state that accepted a row through {@link #accept(double, double)} with a weight other
 * than 0 (1 included: its term carries the third part of the weighted terms), and a fast state
 * that accepted one with a weight other than 0 and 1, write format 2; every other state keeps
 * writing format 1, byte for byte. Both are read, and a format 1 state merges with a format 2 one
 * (its bins move exactly onto the finer grid, and the exact state is marked with flag bit 6).
 * <table>
 *   <caption>weighted state layout</caption>
 *   <tr><th>offset</th><th>size</th><th>field</th></tr>
 *   <tr><td>0</td><td>1</td><td>format version, 2</td></tr>
 *   <tr><td>1</td><td>1</td><td>mode: 1 exact, 2 fast</td></tr>
 *   <tr><td>2</td><td>1</td><td>flags: bit 7 always set (weighted; a format 1 state relabelled 2 is
 *       refused), bit 0 a finite nonzero term, bit 1 a row x = -inf with a finite weight, bit 2 a
 *       term +inf, bit 3 NaN, bit 4 a term -inf, bit 5 a negative weight, bit 6 (exact mode) rows
 *       without their third part (merged from format 1, or accepted unweighted): the third parts
 *       are then left out, and written empty</td></tr>
 *   <tr><td>3</td><td>varint</td><td>count of rows accepted (rows of weight 0 are not)</td></tr>
 *   <tr><td colspan="3">only when flag bit 0 is set:</td></tr>
 *   <tr><td></td><td>8</td><td>maximum m: the largest x of a row with a finite nonzero weight</td></tr>
 *   <tr><td></td><td>varint</td><td>count of such rows bit-equal to m</td></tr>
 *   <tr><td></td><td>8</td><td>fast mode: the signed sum d of w exp(x - m), any finite double</td></tr>
 *   <tr><td></td><td>8</td><td>exact mode: the top anchor (an integer-valued double within 2 of
 *       rint(m / 512), never -0.0)</td></tr>
 *   <tr><td></td><td>3 anchors</td><td>exact mode: for the anchors top, top - 1, top - 2, two blocks
 *       each, the main part then the third parts (see {@code ExactWeights}); a block is one byte
 *       first bin, one byte bin count n (first + n &lt;= 43, no zero bin at either end), when n &gt; 0
 *       one byte sign (0 positive, 1 negative), then the n unsigned 32-bit bins of the magnitude,
 *       lowest first: 44 bins of 32 bits from 2^-736 of the anchor (main part), from 2^-768
 *       (third parts)</td></tr>
 * </table>
 * Canonical as format 1 is: equal states (same multiset of rows) give equal bytes.
 *
 * <h2>Serialized state, format version 3 (a dropped value)</h2>
 * Format 1's layout with version byte 3, written by an exact unweighted state that dropped the
 * term of a finite value: one more than about 1024 below the maximum, below the three kept
 * anchors (which happens whatever the order of the values, so the bytes stay canonical). Every
 * other unweighted state keeps writing format 1. The mark lets the finish tell such a value from
 * a -inf, which the sign of log_prob of a lone maximum depends on: -0.0 for
 * {@code [1000, -1000, -inf]}. A format 3 state has a finite maximum and a value below it; fast
 * mode never writes it. A weighted state carries no such mark (signed terms may cancel).
 *
 * @since 0.1.0
 */
public interface LogSumExpAccumulator {

    /** Folds one value in (finite, NaN or infinite; see {@link Normalizer} for the policy). */
    void accept(double x);

    /**
     * Folds the row (x, w) in, the term w exp(x) (scipy's b): w = 0 (or -0.0) leaves the state
     * unchanged whatever x is (a mask). In fast mode w = 1 is {@link #accept(double)} (same
     * bits; the state stays format 1) and any other weight makes the state weighted (format 2);
     * in exact mode every other weight, 1 included, makes it weighted, since its term carries a
     * third part that the unweighted term has not ({@link ExactLogSumExp#accept(double, double)}).
     * w = 1 gives the outputs of the unweighted row. Negative weights are allowed: the sum may
     * then be negative or zero (see {@link Normalizer}).
     */
    void accept(double x, double w);

    /**
     * Folds every row (x[i], w[i]) in.
     *
     * @throws SoftmaxException if the arrays differ in length
     */
    default void acceptAll(double[] x, double[] w) {
        Softmax.checkLengths(x, w);
        for (int i = 0; i < x.length; i++) {
            accept(x[i], w[i]);
        }
    }

    /** Folds every value of the array in. */
    default void acceptAll(double... values) {
        for (double x : values) {
            accept(x);
        }
    }

    /**
     * Merges another state of the same mode into this one, as if its values had been accepted
     * here. Symmetric; an empty state is the identity.
     *
     * @return this
     * @throws SoftmaxException if the other state is of another mode
     */
    LogSumExpAccumulator combine(LogSumExpAccumulator other);

    /** The mode of this accumulator. */
    SoftmaxMode mode();

    /** How many values were accepted, NaN and infinities included. */
    long count();

    /** True when no value at all was accepted. */
    default boolean isEmpty() {
        return count() == 0;
    }

    /** The state in the versioned binary layout above (canonical: equal states, equal bytes). */
    byte[] toBytes();

    /** Finishes the state: maximum, log normalizer and logsumexp, ready for prob and log_prob. */
    Normalizer finish();

    /** A new, empty accumulator of the given mode. */
    static LogSumExpAccumulator create(SoftmaxMode mode) {
        return mode.newAccumulator();
    }

    /**
     * Reads a state of either mode written by {@link #toBytes}.
     *
     * @throws SoftmaxException if the bytes are not such a state
     */
    static LogSumExpAccumulator fromBytes(byte[] bytes) {
        StateFormat.Reader reader = new StateFormat.Reader(bytes);
        SoftmaxMode mode = reader.readHeader();
        return mode == SoftmaxMode.EXACT ? ExactLogSumExp.read(reader) : FastLogSumExp.read(reader);
    }

    /**
     * Reads a state that must be of the expected mode.
     *
     * @throws SoftmaxException if the bytes are not such a state, or of another mode
     */
    static LogSumExpAccumulator fromBytes(byte[] bytes, SoftmaxMode expected) {
        StateFormat.Reader reader = new StateFormat.Reader(bytes);
        SoftmaxMode mode = reader.readHeader();
        if (mode != expected) {
            throw new SoftmaxException("softmax state: expected mode " + expected.id()
                    + ", actual " + mode.id());
        }
        return mode == SoftmaxMode.EXACT ? ExactLogSumExp.read(reader) : FastLogSumExp.read(reader);
    }
}
