/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.softmax.core.SoftmaxException;
import dev.softmax.spark.catalyst.SoftmaxPlan;
import dev.softmax.spark.catalyst.StreamingWindowCheck;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * On a streaming Dataset: the two-stage {@code softmax(df, ...)} is refused at once, and so is
 * the window form by the extension's check, each naming what works on a stream; the per-group
 * aggregate and the stream-static form are accepted (StreamingIT runs them).
 */
class StreamingDatasetTest {

    @TempDir
    Path dir;

    private Dataset<Row> stream(SparkSession spark) throws IOException {
        if (!Files.exists(dir.resolve("part-0.csv"))) {
            Files.write(dir.resolve("part-0.csv"), List.of("g,x", "a,1.0", "a,2.0", "b,3.0"));
        }
        return spark.readStream().schema("g STRING, x DOUBLE").option("header", "true").csv(dir.toString());
    }

    @Test
    void softmaxOfAStreamingDatasetSaysWhatToUseInstead() throws IOException {
        Dataset<Row> stream = stream(SharedSpark.newSession());
        for (SoftmaxOptions options : List.of(SoftmaxOptions.defaults(), SoftmaxOptions.defaults().groupBy("g"))) {
            assertThatThrownBy(() -> SoftmaxFunctions.softmax(stream, "x", options))
                    .isInstanceOf(SoftmaxException.class)
                    .hasMessage(SoftmaxPlan.STREAMING_ADVICE)
                    .hasMessageContaining("cannot run on a streaming Dataset")
                    .hasMessageContaining("softmax_state(x)")
                    .hasMessageContaining("applyNormalizers(stream");
        }
    }

    @Test
    void theExtensionsCheckRefusesTheWindowFormOnAStreamOnly() throws IOException {
        SparkSession spark = SharedSpark.newSessionWithFunctions();
        String window = "softmax(x, softmax_state(x) OVER (PARTITION BY g)) AS p";
        StreamingWindowCheck check = new StreamingWindowCheck();
        Dataset<Row> onStream = stream(spark).selectExpr("g", window);
        assertThatThrownBy(() -> check.apply(onStream.queryExecution().analyzed()))
                .isInstanceOf(SoftmaxException.class).hasMessage(StreamingWindowCheck.MESSAGE)
                .hasMessageContaining("GROUP BY").hasMessageContaining("stream-static join");
        // A GROUP BY aggregate on the stream, and the window form on a table, pass.
        check.apply(stream(spark).selectExpr("g", "x").groupBy("g").agg(SoftmaxFunctions.softmax_state(
                org.apache.spark.sql.functions.col("x"))).queryExecution().analyzed());
        check.apply(spark.read().schema("g STRING, x DOUBLE").csv(dir.toString()).selectExpr("g", window)
                .queryExecution().analyzed());
    }

    @Test
    void normalizersAndApplyNormalizersAcceptAStream() throws IOException {
        SparkSession spark = SharedSpark.newSession();
        Dataset<Row> stream = stream(spark);
        SoftmaxOptions options = SoftmaxOptions.defaults().groupBy("g");
        assertThat(SoftmaxFunctions.normalizers(stream, "x", options).isStreaming()).isTrue();
        Dataset<Row> stored = SoftmaxFunctions.normalizers(spark.read().schema("g STRING, x DOUBLE")
                .option("header", "true").csv(dir.toString()), "x", options);
        Dataset<Row> scored = SoftmaxFunctions.applyNormalizers(stream, "x", stored, options);
        assertThat(scored.isStreaming()).isTrue();
        assertThat(scored.columns()).containsExactly("g", "x", "prob", "log_prob");
    }
}
