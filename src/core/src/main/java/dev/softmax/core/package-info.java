/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
/**
 * The numeric core of spark-softmax: softmax, log-softmax and logsumexp that never overflow,
 * in plain Java with no dependency, used by every layer above it (the Spark functions, the SQL
 * functions, the batch job) and usable on its own.
 * <ul>
 *   <li>{@link dev.softmax.core.Softmax}: row-wise softmax, log-softmax and logsumexp of a
 *       {@code double[]};</li>
 *   <li>{@link dev.softmax.core.LogSumExpAccumulator}: one group folded value by value and
 *       merged from partial states, with its serialized state format (layout in its Javadoc);
 *       implemented by {@link dev.softmax.core.ExactLogSumExp} (exactly rounded, the same bits
 *       whatever the order and partitioning) and {@link dev.softmax.core.FastLogSumExp} (the
 *       plain online normalizer), one per {@link dev.softmax.core.SoftmaxMode};</li>
 *   <li>{@link dev.softmax.core.Normalizer}: a finished group, giving prob, log_prob and
 *       logsumexp; its Javadoc states the one policy for NaN and infinities and the accuracy
 *       of both modes;</li>
 *   <li>{@link dev.softmax.core.SoftmaxException}: the one exception type of the project.</li>
 * </ul>
 * Users may use these public types. The package-private classes (the exact mode's kernels
 * {@code ExactMath} and {@code DoubleDouble}, its slow path {@code CorrectRounding}, the state
 * reader and writer {@code StateFormat}) are internal and change without notice.
 */
package dev.softmax.core;
