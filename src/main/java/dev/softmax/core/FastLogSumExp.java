/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.core;

/**
 * The online normalizer as Milakov and Gimelshein write it ("Online normalizer calculation for
 * softmax", arXiv 1805.02867): state (m, d), for each x m' = max(m, x),
 * d' = d exp(m - m') + exp(x - m'); merge m = max(m1, m2), d = d1 exp(m1 - m) + d2 exp(m2 - m).
 * Plain doubles and {@link Math#exp}, on the finite values only; NaN and infinities follow
 * {@link Normalizer}'s policy around the recurrence (the bare recurrence would give
 * exp(-inf - -inf) = NaN for an all -inf group).
 *
 * <p>Accuracy, documented rather than hidden: every rescale rounds d, so d drifts with the
 * number of rescales (ascending input rescales at every value: DESIGN.md measured d off by
 * 88,000 ulps and prob by 121,000 ulps), and x - m is rounded, which costs up to |x - m| 2^-53
 * relative in prob. The last bits depend on the order of the values and the partitioning. Use
 * {@link ExactLogSumExp} where that matters.
 */
public final class FastLogSumExp implements LogSumExpAccumulator {
    private long count;
    private int flags;
    private double max = Double.NEGATIVE_INFINITY;
    private long maxCount;
    private double sum;

    private FastLogSumExp() {
    }

    /** A new, empty accumulator. */
    public static FastLogSumExp create() {
        return new FastLogSumExp();
    }

    /** An accumulator holding the given values. */
    public static FastLogSumExp of(double... values) {
        FastLogSumExp acc = new FastLogSumExp();
        acc.acceptAll(values);
        return acc;
    }

    @Override
    public SoftmaxMode mode() {
        return SoftmaxMode.FAST;
    }

    @Override
    public long count() {
        return count;
    }

    @Override
    public void accept(double x) {
        count++;
        if (Math.abs(x) <= Double.MAX_VALUE) {
            flags |= StateReader.FLAG_FINITE;
            if (x > max) {
                sum = sum * Math.exp(max - x) + 1.0; // exp(-inf) = 0 for the first value
                max = x;
                maxCount = 1;
            } else {
                sum += Math.exp(x - max);
                if (x == max) {
                    maxCount++;
                }
            }
        } else {
            flags |= StateReader.nonFiniteFlag(x);
        }
    }

    @Override
    public FastLogSumExp combine(LogSumExpAccumulator other) {
        if (!(other instanceof FastLogSumExp)) {
            throw new SoftmaxException("cannot combine softmax states: expected mode fast, actual "
                    + other.mode().id());
        }
        FastLogSumExp that = (FastLogSumExp) other;
        if ((that.flags & StateReader.FLAG_FINITE) != 0) {
            if ((flags & StateReader.FLAG_FINITE) == 0) {
                max = that.max;
                maxCount = that.maxCount;
                sum = that.sum;
            } else {
                double m = Math.max(max, that.max);
                long c = (max == m ? maxCount : 0) + (that.max == m ? that.maxCount : 0);
                sum = sum * Math.exp(max - m) + that.sum * Math.exp(that.max - m);
                max = m;
                maxCount = c;
            }
        }
        count += that.count;
        flags |= that.flags;
        return this;
    }

    @Override
    public Normalizer finish() {
        return Normalizer.of(SoftmaxMode.FAST, flags, count, max, maxCount, Math.log(sum), 0.0);
    }

    @Override
    public byte[] toBytes() {
        StateReader.Writer out = new StateReader.Writer();
        out.writeByte(StateReader.FORMAT_VERSION);
        out.writeByte(SoftmaxMode.FAST.code());
        out.writeByte(flags);
        out.writeVarLong(count);
        if ((flags & StateReader.FLAG_FINITE) != 0) {
            out.writeLong(Double.doubleToRawLongBits(max));
            out.writeVarLong(maxCount);
            out.writeLong(Double.doubleToRawLongBits(sum));
        }
        return out.toByteArray();
    }

    static FastLogSumExp read(StateReader in) {
        FastLogSumExp acc = new FastLogSumExp();
        acc.flags = in.readFlags();
        acc.count = in.readCount(acc.flags);
        if ((acc.flags & StateReader.FLAG_FINITE) != 0) {
            acc.max = Double.longBitsToDouble(in.readLong("maximum"));
            acc.maxCount = in.readVarLong("count of the maximum");
            acc.sum = Double.longBitsToDouble(in.readLong("sum"));
            if (!(Math.abs(acc.max) <= Double.MAX_VALUE) || acc.maxCount < 1 || acc.maxCount > acc.count
                    || !(acc.sum >= 1.0) || acc.sum > acc.count) {
                throw StateReader.corrupt("expected a finite maximum counted 1 to " + acc.count
                        + " times and a sum in [1, count], actual " + acc.max + ", " + acc.maxCount + ", " + acc.sum);
            }
        }
        in.expectEnd();
        return acc;
    }

    @Override
    public String toString() {
        return "FastLogSumExp{count=" + count + ", max=" + max + ", sum=" + sum + ", flags=" + flags + "}";
    }
}
