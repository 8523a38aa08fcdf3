package dev.softmax.spark;

import dev.softmax.core.LogSumExpAccumulator;
import dev.softmax.core.Normalizer;
import dev.softmax.core.Softmax;
import dev.softmax.core.SoftmaxException;
import dev.softmax.core.SoftmaxMode;
import java.util.Arrays;
import java.util.Locale;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.catalyst.util.GenericArrayData;
import org.apache.spark.unsafe.types.UTF8String;

/**
 * The row-wise side of the SQL functions: static methods that Spark's generated code calls
 * ({@code StaticInvoke}) with Catalyst's internal types. Not an API: use
 * {@link SoftmaxFunctions} or SQL.
 *
 * <p>Nulls never reach these methods: the calling expressions return NULL when an argument
 * is NULL. A state or normalizer is finished once and then reused while the rows carry the
 * same one (the common case: rows of one group come together); the cache is per thread,
 * and a Spark task runs on one thread.
 */
public final class SoftmaxRuntime {

  private static final SoftmaxMode[] MODES = SoftmaxMode.values();
  private static final ThreadLocal<StateCache> STATE_CACHE = ThreadLocal.withInitial(StateCache::new);
  private static final ThreadLocal<RowCache> ROW_CACHE = ThreadLocal.withInitial(RowCache::new);

  private SoftmaxRuntime() {}

  static SoftmaxMode mode(int ordinal) {
    return MODES[ordinal];
  }

  // ---- (x, state) ---------------------------------------------------------------------------

  /** {@code softmax(x, state)}. */
  public static double softmax(double x, byte[] state, int mode) {
    return normalizerOfState(state, MODES[mode]).prob(x);
  }

  /** {@code log_softmax(x, state)}. */
  public static double logSoftmax(double x, byte[] state, int mode) {
    return normalizerOfState(state, MODES[mode]).logProb(x);
  }

  /** {@code logsumexp_of_state(state)}: NULL for a state that holds no value. */
  public static Double logSumExpOfState(byte[] state, int mode) {
    Normalizer normalizer = normalizerOfState(state, MODES[mode]);
    return normalizer.status() == Normalizer.Status.EMPTY ? null : normalizer.logSumExp();
  }

  /**
   * The finished normalizer of {@code state}, checked against {@code mode}. Equal bytes give
   * the same normalizer (the core's bytes are canonical), so a hit by reference or by content
   * skips the decode and the finish.
   */
  static Normalizer normalizerOfState(byte[] state, SoftmaxMode mode) {
    StateCache cache = STATE_CACHE.get();
    if (cache.mode == mode
        && (state == cache.reference || Arrays.equals(state, cache.content))) {
      cache.reference = state;
      return cache.normalizer;
    }
    Normalizer normalizer = LogSumExpAccumulator.fromBytes(state, mode).finish();
    cache.mode = mode;
    cache.reference = state;
    cache.content = state.clone();
    cache.normalizer = normalizer;
    return normalizer;
  }

  private static final class StateCache {
    SoftmaxMode mode;
    byte[] reference;
    byte[] content;
    Normalizer normalizer;
  }

  // ---- (x, normalizer struct) ----------------------------------------------------------------

  /** prob of {@code x} under a normalizer struct ({@link NormalizerColumns#SCHEMA}). */
  public static double prob(double x, InternalRow normalizer) {
    RowCache cache = ROW_CACHE.get().refresh(normalizer);
    return cache.normalizer.prob(cache.temperature == 1.0 ? x : x / cache.temperature);
  }

  /** log_prob of {@code x} under a normalizer struct ({@link NormalizerColumns#SCHEMA}). */
  public static double logProb(double x, InternalRow normalizer) {
    RowCache cache = ROW_CACHE.get().refresh(normalizer);
    return cache.normalizer.logProb(cache.temperature == 1.0 ? x : x / cache.temperature);
  }

  /** The last normalizer struct seen on this thread, compared field by field. */
  private static final class RowCache {
    UTF8String mode;
    UTF8String status;
    long temperatureBits;
    long count;
    long maxBits;
    long maxCount;
    long highBits;
    long lowBits;
    double temperature;
    Normalizer normalizer;

    RowCache refresh(InternalRow row) {
      long newTemperature = Double.doubleToRawLongBits(row.getDouble(NormalizerColumns.TEMPERATURE_ORDINAL));
      long newCount = row.getLong(NormalizerColumns.COUNT_ORDINAL);
      long newMax = Double.doubleToRawLongBits(row.getDouble(NormalizerColumns.MAX_ORDINAL));
      long newMaxCount = row.getLong(NormalizerColumns.MAX_COUNT_ORDINAL);
      long newHigh = Double.doubleToRawLongBits(row.getDouble(NormalizerColumns.LOG_NORMALIZER_HIGH_ORDINAL));
      long newLow = Double.doubleToRawLongBits(row.getDouble(NormalizerColumns.LOG_NORMALIZER_LOW_ORDINAL));
      UTF8String newStatus = row.getUTF8String(NormalizerColumns.STATUS_ORDINAL);
      UTF8String newMode = row.getUTF8String(NormalizerColumns.MODE_ORDINAL);
      if (normalizer != null && newCount == count && newMax == maxBits && newMaxCount == maxCount
          && newHigh == highBits && newLow == lowBits && newTemperature == temperatureBits
          && newStatus.equals(status) && newMode.equals(mode)) {
        return this;
      }
      double t = Softmax.checkTemperature(Double.longBitsToDouble(newTemperature));
      Normalizer restored = Normalizer.restore(
          SoftmaxMode.parse(newMode.toString()),
          parseStatus(newStatus.toString()),
          newCount,
          Double.longBitsToDouble(newMax),
          newMaxCount,
          Double.longBitsToDouble(newHigh),
          Double.longBitsToDouble(newLow));
      // Copies: the strings may point into a row buffer that Spark reuses.
      mode = newMode.clone();
      status = newStatus.clone();
      temperatureBits = newTemperature;
      temperature = t;
      count = newCount;
      maxBits = newMax;
      maxCount = newMaxCount;
      highBits = newHigh;
      lowBits = newLow;
      normalizer = restored;
      return this;
    }
  }

  static Normalizer.Status parseStatus(String name) {
    try {
      return Normalizer.Status.valueOf(name.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new SoftmaxException("normalizer status must be one of "
          + Arrays.toString(Normalizer.Status.values()) + ", got " + name);
    }
  }

  // ---- arrays ---------------------------------------------------------------------------------

  /** {@code array_softmax(values)}: null elements stay null and are ignored. */
  public static ArrayData arraySoftmax(ArrayData values, double temperature, int mode) {
    return rowWise(values, temperature, MODES[mode], false);
  }

  /** {@code array_log_softmax(values)}: null elements stay null and are ignored. */
  public static ArrayData arrayLogSoftmax(ArrayData values, double temperature, int mode) {
    return rowWise(values, temperature, MODES[mode], true);
  }

  /** {@code array_logsumexp(values)}: -inf for an empty array or one of nulls only. */
  public static double arrayLogSumExp(ArrayData values, double temperature, int mode) {
    return Softmax.logSumExp(nonNullValues(values), temperature, MODES[mode]);
  }

  private static ArrayData rowWise(ArrayData values, double temperature, SoftmaxMode mode, boolean log) {
    int n = values.numElements();
    double[] present = nonNullValues(values);
    double[] result = log
        ? Softmax.logSoftmax(present, temperature, mode)
        : Softmax.softmax(present, temperature, mode);
    if (present.length == n) {
      return UnsafeArrayData.fromPrimitiveArray(result);
    }
    Object[] withNulls = new Object[n];
    for (int i = 0, j = 0; i < n; i++) {
      withNulls[i] = values.isNullAt(i) ? null : (Object) result[j++];
    }
    return new GenericArrayData(withNulls);
  }

  private static double[] nonNullValues(ArrayData values) {
    int n = values.numElements();
    int nulls = 0;
    for (int i = 0; i < n; i++) {
      if (values.isNullAt(i)) {
        nulls++;
      }
    }
    if (nulls == 0) {
      return values.toDoubleArray();
    }
    double[] present = new double[n - nulls];
    for (int i = 0, j = 0; i < n; i++) {
      if (!values.isNullAt(i)) {
        present[j++] = values.getDouble(i);
      }
    }
    return present;
  }
}
