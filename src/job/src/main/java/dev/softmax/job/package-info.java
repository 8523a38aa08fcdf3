/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
/**
 * The batch job: read a table, add {@code prob} and {@code log_prob} of one column (over the
 * whole column or per group), write the table back; submitted with {@code spark-submit} or the
 * {@code jobs/softmax} script.
 * <ul>
 *   <li>{@link dev.softmax.job.SoftmaxJob}: the entry point, its command line (picocli; run it
 *       with {@code --help}) and exit codes, and {@code run(SparkSession, String...)} for
 *       programs and tests that embed the job;</li>
 *   <li>{@link dev.softmax.job.DataFormat} and {@link dev.softmax.job.ValueText}: the table
 *       formats the job reads and writes and the value text it accepts, public so that what
 *       the command line accepts is documented in one place.</li>
 * </ul>
 * Everything else (reading and checking the input, the Spark plans, the atomic replacement
 * of the output, the summary line) is package-private and changes without notice; users
 * drive it through the command line only.
 */
package dev.softmax.job;
