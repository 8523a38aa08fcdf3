/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
/**
 * The Spark benchmark ({@link dev.softmax.spark.benchmark.SparkBenchmark}, run by
 * {@code jobs/benchmark}): the project's softmax plans against hand-written Spark baselines on
 * generated workloads, timed in one JVM, reported as a markdown table, a CSV file and a plot.
 * Not a library and not a test; nothing here is API.
 */
package dev.softmax.spark.benchmark;
