/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.core;

/**
 * Row-wise softmax, log-softmax and logsumexp of a {@code double[]}, as scipy.special offers
 * them, built on the same accumulators as the distributed path (so a Spark group and an array
 * with the same values give the same bits). With a temperature T the functions apply to the
 * doubles x / T (each quotient rounded once); accuracy is that of {@link Normalizer} for those
 * doubles. Special values follow {@link Normalizer}'s policy; an empty array gives an empty
 * array and logsumexp -inf.
 *
 * @since 0.1.0
 */
public final class Softmax {
    private Softmax() {
    }

    /** softmax(x) in exact mode. */
    public static double[] softmax(double... x) {
        return softmax(x, 1.0, SoftmaxMode.EXACT);
    }

    /** softmax(x / temperature) in the given mode. */
    public static double[] softmax(double[] x, double temperature, SoftmaxMode mode) {
        double[] scaled = scale(x, temperature);
        Normalizer normalizer = normalizer(scaled, mode);
        double[] out = new double[scaled.length];
        for (int i = 0; i < scaled.length; i++) {
            out[i] = normalizer.prob(scaled[i]);
        }
        return out;
    }

    /** log_softmax(x) in exact mode. */
    public static double[] logSoftmax(double... x) {
        return logSoftmax(x, 1.0, SoftmaxMode.EXACT);
    }

    /** log_softmax(x / temperature) in the given mode. */
    public static double[] logSoftmax(double[] x, double temperature, SoftmaxMode mode) {
        double[] scaled = scale(x, temperature);
        Normalizer normalizer = normalizer(scaled, mode);
        double[] out = new double[scaled.length];
        for (int i = 0; i < scaled.length; i++) {
            out[i] = normalizer.logProb(scaled[i]);
        }
        return out;
    }

    /** logsumexp(x) in exact mode; -inf for an empty array. */
    public static double logSumExp(double... x) {
        return logSumExp(x, 1.0, SoftmaxMode.EXACT);
    }

    /** logsumexp(x / temperature) in the given mode; -inf for an empty array. */
    public static double logSumExp(double[] x, double temperature, SoftmaxMode mode) {
        return normalizer(scale(x, temperature), mode).logSumExp();
    }

    // ---- weighted: scipy's b ------------------------------------------------------------------

    /** softmax(x) with weights b in exact mode: b_i exp(x_i) / sum of b_j exp(x_j). */
    public static double[] softmax(double[] x, double[] b) {
        return softmax(x, b, 1.0, SoftmaxMode.EXACT);
    }

    /**
     * softmax(x / temperature) with weights b (the temperature divides x only): b_i exp(x_i) / S
     * for weights &gt;= 0 (a weight of 0 gives 0, its row keeps its place); any negative weight
     * makes every output NaN. See {@link Normalizer#prob(double, double)}.
     *
     * @throws SoftmaxException if x and b differ in length
     */
    public static double[] softmax(double[] x, double[] b, double temperature, SoftmaxMode mode) {
        double[] scaled = scale(x, temperature);
        Normalizer normalizer = normalizer(scaled, b, mode);
        double[] out = new double[scaled.length];
        for (int i = 0; i < scaled.length; i++) {
            out[i] = normalizer.prob(scaled[i], b[i]);
        }
        return out;
    }

    /** log_softmax(x) with weights b in exact mode: log(b_i) + x_i - log S. */
    public static double[] logSoftmax(double[] x, double[] b) {
        return logSoftmax(x, b, 1.0, SoftmaxMode.EXACT);
    }

    /**
     * log_softmax(x / temperature) with weights b: log(b_i) + x_i - log S for weights &gt;= 0
     * (a weight of 0 gives -inf); any negative weight makes every output NaN.
     *
     * @throws SoftmaxException if x and b differ in length
     */
    public static double[] logSoftmax(double[] x, double[] b, double temperature, SoftmaxMode mode) {
        double[] scaled = scale(x, temperature);
        Normalizer normalizer = normalizer(scaled, b, mode);
        double[] out = new double[scaled.length];
        for (int i = 0; i < scaled.length; i++) {
            out[i] = normalizer.logProb(scaled[i], b[i]);
        }
        return out;
    }

    /**
     * logsumexp(x) with weights b in exact mode, scipy's {@code logsumexp(x, b=b)}: log S, S =
     * sum of b_i exp(x_i); NaN for S &lt; 0, -inf for S = 0 (and an empty array).
     */
    public static double logSumExp(double[] x, double[] b) {
        return logSumExp(x, b, 1.0, SoftmaxMode.EXACT);
    }

    /** logsumexp(x / temperature) with weights b in the given mode. */
    public static double logSumExp(double[] x, double[] b, double temperature, SoftmaxMode mode) {
        return normalizer(scale(x, temperature), b, mode).logSumExp();
    }

    /**
     * log |S| and the sign of S, S = sum of b_i exp(x_i), in exact mode: scipy's
     * {@code logsumexp(x, b=b, return_sign=True)}. S = 0 gives (-inf, 0).
     */
    public static SignedLogSumExp signedLogSumExp(double[] x, double[] b) {
        return signedLogSumExp(x, b, 1.0, SoftmaxMode.EXACT);
    }

    /** log |S| and the sign of S for x / temperature with weights b in the given mode. */
    public static SignedLogSumExp signedLogSumExp(double[] x, double[] b, double temperature, SoftmaxMode mode) {
        return normalizer(scale(x, temperature), b, mode).signedLogSumExp();
    }

    /**
     * The finished normalizer of the rows (x[i], b[i]) (x already divided by any temperature).
     *
     * @throws SoftmaxException if x and b differ in length
     */
    public static Normalizer normalizer(double[] x, double[] b, SoftmaxMode mode) {
        LogSumExpAccumulator acc = mode.newAccumulator();
        acc.acceptAll(x, b);
        return acc.finish();
    }

    /**
     * Checks that values and weights have the same length.
     *
     * @throws SoftmaxException naming both lengths otherwise (as numpy: the shapes cannot be
     *         broadcast together)
     */
    public static void checkLengths(double[] x, double[] b) {
        if (x.length != b.length) {
            throw new SoftmaxException("values and weights must have the same length: operands could not be"
                    + " broadcast together with shapes (" + x.length + ",) (" + b.length + ",)");
        }
    }

    /** The finished normalizer of the values (already divided by any temperature). */
    public static Normalizer normalizer(double[] x, SoftmaxMode mode) {
        LogSumExpAccumulator acc = mode.newAccumulator();
        acc.acceptAll(x);
        return acc.finish();
    }

    /**
     * Checks a temperature.
     *
     * @return the temperature
     * @throws SoftmaxException unless it is finite and &gt; 0
     */
    public static double checkTemperature(double temperature) {
        if (!(temperature > 0) || temperature == Double.POSITIVE_INFINITY) {
            throw new SoftmaxException("temperature must be finite and > 0, got " + temperature);
        }
        return temperature;
    }

    private static double[] scale(double[] x, double temperature) {
        checkTemperature(temperature);
        if (temperature == 1.0) {
            return x;
        }
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = x[i] / temperature;
        }
        return out;
    }
}
