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
