package dev.softmax.spark;

import dev.softmax.core.LogSumExpAccumulator;
import dev.softmax.core.Normalizer;
import dev.softmax.core.SoftmaxMode;
import org.apache.spark.sql.Encoder;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/**
 * The finished normalizer of a group as a struct ({@link NormalizerColumns#SCHEMA}), never
 * NULL: a group without a non-null value has status {@code EMPTY}. The finish runs once per
 * group here, so the per-row stage reads plain fields and never decodes a state.
 */
public final class NormalizerAggregator extends ValueAggregator<Row> {
  private static final long serialVersionUID = 1L;

  public NormalizerAggregator(SoftmaxMode mode, double temperature) {
    super(mode, temperature);
  }

  @Override
  public Row finish(LogSumExpAccumulator accumulator) {
    return toRow(accumulator.finish(), temperature());
  }

  static Row toRow(Normalizer normalizer, double temperature) {
    boolean empty = normalizer.status() == Normalizer.Status.EMPTY;
    return RowFactory.create(
        normalizer.mode().id(),
        temperature,
        normalizer.status().name(),
        normalizer.count(),
        normalizer.max(),
        normalizer.maxCount(),
        empty ? null : normalizer.logSumExp(),
        normalizer.logNormalizerHigh(),
        normalizer.logNormalizerLow());
  }

  @Override
  public Encoder<Row> outputEncoder() {
    return Encoders.row(NormalizerColumns.SCHEMA);
  }
}
