/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.softmax.core.SoftmaxException;
import dev.softmax.core.SoftmaxMode;
import java.util.List;
import org.apache.spark.sql.AnalysisException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;

/** Options are immutable and validated; bad DataFrame arguments name what is wrong. */
class SoftmaxOptionsTest {

    @Test
    void defaults() {
        SoftmaxOptions options = SoftmaxOptions.defaults();
        assertThat(options.groupBy()).isEmpty();
        assertThat(options.temperature()).isEqualTo(1.0);
        assertThat(options.mode()).isEqualTo(SoftmaxMode.EXACT);
        assertThat(options.probColumn()).isEqualTo("prob");
        assertThat(options.logProbColumn()).isEqualTo("log_prob");
        assertThat(options.broadcastThreshold()).isEqualTo(10L * 1024 * 1024);
    }

    @Test
    void settersReturnNewInstances() {
        SoftmaxOptions defaults = SoftmaxOptions.defaults();
        SoftmaxOptions changed = defaults.groupBy("a", "b").temperature(0.5).mode("FAST").probColumn("p")
                .logProbColumn(null).broadcastThreshold(-1);
        assertThat(defaults).isEqualTo(SoftmaxOptions.defaults());
        assertThat(changed.groupBy()).containsExactly("a", "b");
        assertThat(changed.temperature()).isEqualTo(0.5);
        assertThat(changed.mode()).isEqualTo(SoftmaxMode.FAST);
        assertThat(changed.probColumn()).isEqualTo("p");
        assertThat(changed.logProbColumn()).isNull();
        assertThat(changed.broadcastThreshold()).isEqualTo(-1);
        assertThat(changed).isNotEqualTo(defaults).hasToString(
                "SoftmaxOptions{groupBy=[a, b], temperature=0.5, mode=fast, probColumn=p, logProbColumn=null, "
                        + "broadcastThreshold=-1}");
    }

    @Test
    void invalidOptionsNameTheArgumentAndTheValue() {
        for (double temperature : new double[] {0, -1, Double.NaN, Double.POSITIVE_INFINITY}) {
            assertThatThrownBy(() -> SoftmaxOptions.defaults().temperature(temperature))
                    .isInstanceOf(SoftmaxException.class).hasMessageContaining("temperature").hasMessageContaining(
                            String.valueOf(temperature));
        }
        assertThatThrownBy(() -> SoftmaxOptions.defaults().mode("approximate"))
                .isInstanceOf(SoftmaxException.class).hasMessageContaining("approximate");
        assertThatThrownBy(() -> SoftmaxOptions.defaults().probColumn(""))
                .isInstanceOf(SoftmaxException.class).hasMessageContaining("probColumn");
        assertThatThrownBy(() -> SoftmaxOptions.defaults().groupBy("a", null))
                .isInstanceOf(SoftmaxException.class).hasMessageContaining("group-by");
    }

    @Test
    void badDataFrameArgumentsAreClearErrors() {
        SparkSession spark = SharedSpark.newSession();
        SparkSession.setActiveSession(spark);
        Dataset<Row> df = spark.createDataFrame(SparkTestSupport.rows(SoftmaxCases.groups()), SparkTestSupport.SCHEMA);
        assertThatThrownBy(() -> SoftmaxFunctions.softmax(df, "missing"))
                .isInstanceOf(AnalysisException.class).hasMessageContaining("missing");
        assertThatThrownBy(() -> SoftmaxFunctions.softmax(df, "x", SoftmaxOptions.defaults().groupBy("nope")))
                .isInstanceOf(AnalysisException.class).hasMessageContaining("nope");
        assertThatThrownBy(() -> SoftmaxFunctions.softmax(df, "x", SoftmaxOptions.defaults().probColumn("id")))
                .isInstanceOf(SoftmaxException.class).hasMessageContaining("output column id already exists");
        assertThatThrownBy(() -> SoftmaxFunctions.softmax(df, "x",
                        SoftmaxOptions.defaults().probColumn(null).logProbColumn(null)))
                .isInstanceOf(SoftmaxException.class).hasMessageContaining("probColumn and logProbColumn");
        assertThatThrownBy(() -> SoftmaxFunctions.softmax(df, "x",
                        SoftmaxOptions.defaults().probColumn("p").logProbColumn("p")))
                .isInstanceOf(SoftmaxException.class).hasMessageContaining("must differ");
        Dataset<Row> notNormalizers = df.select("g", "x");
        assertThatThrownBy(() -> SoftmaxFunctions.applyNormalizers(df, "x", notNormalizers,
                        SoftmaxOptions.defaults().groupBy("g")))
                .isInstanceOf(SoftmaxException.class).hasMessageContaining("missing [mode, temperature, status");
        assertThat(SoftmaxFunctions.softmax(df, "x", SoftmaxOptions.defaults().groupBy("g")).columns())
                .containsExactly(List.of("g", "id", "day", "x", "prob", "log_prob").toArray(new String[0]));
    }
}
