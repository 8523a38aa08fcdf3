/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.core;

/**
 * log |S| and the sign of S for a (weighted) sum S of exp: scipy's
 * {@code logsumexp(a, b, return_sign=True)}. value is log |S| (-inf when S = 0, +inf for an
 * infinite S); sign is 1, -1 or 0 (S = 0), NaN for a NaN sum. See {@link Normalizer}.
 *
 * @param value log |S|
 * @param sign  the sign of S
 * @since 0.1.0
 */
public record SignedLogSumExp(double value, double sign) {
}
