/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
/**
 * The public Spark API of spark-softmax: what users' code and configuration name.
 * <ul>
 *   <li>{@link dev.softmax.spark.SoftmaxFunctions}: column functions in the style of Spark's
 *       {@code functions}, and the DataFrame-level softmax that adds {@code prob} and
 *       {@code log_prob};</li>
 *   <li>{@link dev.softmax.spark.SoftmaxOptions}: group columns, temperature, mode, output names;</li>
 *   <li>{@link dev.softmax.spark.SparkSoftmax#register} and
 *       {@link dev.softmax.spark.SoftmaxExtensions}: the SQL functions, in one session or in
 *       every session ({@code spark.sql.extensions});</li>
 *   <li>the typed {@code Aggregator}s ({@link dev.softmax.spark.LogSumExpAggregator},
 *       {@link dev.softmax.spark.SoftmaxStateAggregator},
 *       {@link dev.softmax.spark.SoftmaxStateMergeAggregator},
 *       {@link dev.softmax.spark.NormalizerAggregator}), their bases
 *       ({@link dev.softmax.spark.AccumulatorAggregator}, {@link dev.softmax.spark.ValueAggregator}),
 *       and the columns of a stored normalizer ({@link dev.softmax.spark.NormalizerColumns}).</li>
 * </ul>
 * The same sources are built once per supported Spark line (one artifact each); the API is the
 * same on every line.
 * Everything under {@code dev.softmax.spark.catalyst} is internal: Catalyst expressions, the
 * plan builder and the per-Spark-line shims, which change without notice.
 */
package dev.softmax.spark;
