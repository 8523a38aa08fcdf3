/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
/**
 * JMH microbenchmarks of the numeric core ({@link dev.softmax.core.benchmark.CoreBenchmark}):
 * the cost per value of each mode's fold and outputs against a bare {@code Math.exp} sum, and
 * per combine, finish and serialization round trip. Not a library and not a test: run it with
 * the {@code jmh} profile of {@code src/benchmarks/pom.xml}.
 */
package dev.softmax.core.benchmark;
