/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.softmax.core.SoftmaxException;
import org.junit.jupiter.api.Test;

class DataFormatTest {

    @Test
    void formatFromFileName() {
        assertThat(DataFormat.fromFileName("scores.csv")).isEqualTo(DataFormat.CSV);
        assertThat(DataFormat.fromFileName("scores.CSV.gz")).isEqualTo(DataFormat.CSV);
        assertThat(DataFormat.fromFileName("part-00000-abc-c000.csv.bz2")).isEqualTo(DataFormat.CSV);
        assertThat(DataFormat.fromFileName("part-00000-abc-c000.snappy.parquet")).isEqualTo(DataFormat.PARQUET);
        assertThat(DataFormat.fromFileName("part-00000-abc-c000.zstd.orc")).isEqualTo(DataFormat.ORC);
        assertThat(DataFormat.fromFileName("events.jsonl")).isEqualTo(DataFormat.JSON);
        assertThat(DataFormat.fromFileName("part-0.json.gz")).isEqualTo(DataFormat.JSON);
        assertThat(DataFormat.fromFileName("README.md")).isNull();
        assertThat(DataFormat.fromFileName("data.gz")).isNull();
    }

    @Test
    void formatFromOption() {
        assertThat(DataFormat.parse("--input-format", "Parquet")).isEqualTo(DataFormat.PARQUET);
        assertThatThrownBy(() -> DataFormat.parse("--input-format", "xlsx"))
                .isInstanceOf(SoftmaxException.class)
                .hasMessage("--input-format: unknown format 'xlsx'; accepted: csv, parquet, json, orc");
    }
}
