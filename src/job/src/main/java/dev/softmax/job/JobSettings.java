/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.job;

import dev.softmax.core.SoftmaxMode;
import java.util.List;
import java.util.Map;

/**
 * The options of one run, checked: what {@link SoftmaxJob} hands to {@link SoftmaxBatch}.
 *
 * @param inputFormat null: from the file names
 * @param outputFormat null: the input's
 * @param badRows null: fail on the first bad row
 * @param weightColumn null: no weights
 */
record JobSettings(
        List<String> inputs,
        DataFormat inputFormat,
        String valueColumn,
        String output,
        DataFormat outputFormat,
        List<String> groupBy,
        double temperature,
        SoftmaxMode mode,
        List<String> outputColumns,
        boolean overwrite,
        String badRows,
        Map<String, String> conf,
        String weightColumn) {
}
