/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.spark.catalyst;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.CreateStruct$;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.InSet;
import org.apache.spark.sql.catalyst.expressions.UnsafeProjection;
import org.apache.spark.sql.catalyst.expressions.UnsafeRow;
import org.apache.spark.util.CollectionAccumulator;

/**
 * The group keys that hold a large share of the rows (a skewed key), found by the probe of the
 * grouped plan ({@link SoftmaxPartialAggregateExec} with {@code stopOnFallback}) as it reads:
 * each task counts the keys of its first {@link #SAMPLE_ROWS} rows and reports those with at
 * least 1/{@link #REPORT_SHARE} of them. When the normalizers are folded next to the rows,
 * hash-partitioning by key would send all the rows of such a key to one task;
 * {@link GroupedSoftmaxExec} leaves their rows out of the exchange instead: it computes their
 * normalizers apart, by the aggregate (partial states merged), and maps their rows where they
 * are read. Internal.
 */
final class HeavyKeys {
    /** Rows of each task that the probe counts. */
    static final int SAMPLE_ROWS = 65_536;
    /** A task reports the keys with at least this fraction (its inverse) of its counted rows. */
    static final int REPORT_SHARE = 4096;

    private HeavyKeys() {}

    /** One task's report: a key and its rows among the counted ones; a null key for the rows counted. */
    static final class Count implements Serializable {
        private static final long serialVersionUID = 1L;
        final UnsafeRow key;
        final long rows;

        Count(UnsafeRow key, long rows) {
            this.key = key;
            this.rows = rows;
        }
    }

    /**
     * Executor side: the rows as they are read, the keys of the first {@link #SAMPLE_ROWS}
     * counted ({@code key} projects them), the report added to {@code counts} once the sample
     * is full or the rows end.
     */
    static scala.collection.Iterator<InternalRow> counting(scala.collection.Iterator<InternalRow> rows,
            UnsafeProjection key, CollectionAccumulator<Count> counts) {
        return new scala.collection.AbstractIterator<InternalRow>() {
            private final Map<UnsafeRow, long[]> seen = new HashMap<>();
            private long counted;
            private boolean reported;

            @Override
            public boolean hasNext() {
                boolean more = rows.hasNext();
                if (!more) {
                    report();
                }
                return more;
            }

            @Override
            public InternalRow next() {
                InternalRow row = rows.next();
                if (!reported) {
                    UnsafeRow k = key.apply(row);
                    long[] n = seen.get(k);
                    if (n == null) {
                        seen.put(k.copy(), new long[] {1});
                    } else {
                        n[0]++;
                    }
                    if (++counted == SAMPLE_ROWS) {
                        report();
                    }
                }
                return row;
            }

            private void report() {
                if (reported) {
                    return;
                }
                reported = true;
                counts.add(new Count(null, counted));
                for (Map.Entry<UnsafeRow, long[]> entry : seen.entrySet()) {
                    if (entry.getValue()[0] * REPORT_SHARE >= counted) {
                        counts.add(new Count(entry.getKey(), entry.getValue()[0]));
                    }
                }
                seen.clear();
            }
        };
    }

    /**
     * Driver side: the keys whose share of all the counted rows is above half a partition's
     * ({@code 1 / (2 partitions)}), so that none of them makes its task more than about 1.5
     * times the mean. Keys with a NULL component are left out (they stay in the exchange).
     */
    static List<UnsafeRow> of(List<Count> counts, int partitions) {
        long total = 0;
        Map<UnsafeRow, Long> perKey = new HashMap<>();
        for (Count count : counts) {
            if (count.key == null) {
                total += count.rows;
            } else {
                perKey.merge(count.key, count.rows, Long::sum);
            }
        }
        List<UnsafeRow> heavy = new ArrayList<>();
        for (Map.Entry<UnsafeRow, Long> entry : perKey.entrySet()) {
            if (entry.getValue() * 2L * partitions > total && !entry.getKey().anyNull()) {
                heavy.add(entry.getKey());
            }
        }
        return heavy;
    }

    /**
     * {@code keys IN heavy}: true for a row whose key values (the expressions, as the probe
     * grouped them) are one of the heavy keys.
     */
    static Expression membership(List<Expression> keys, List<UnsafeRow> heavy) {
        Set<Object> values = new HashSet<>();
        for (UnsafeRow key : heavy) {
            if (keys.size() == 1) {
                values.add(key.get(0, keys.get(0).dataType()));
            } else {
                Object[] fields = new Object[keys.size()];
                for (int i = 0; i < fields.length; i++) {
                    fields[i] = key.get(i, keys.get(i).dataType());
                }
                values.add(new GenericInternalRow(fields));
            }
        }
        Expression child = keys.size() == 1 ? keys.get(0) : CreateStruct$.MODULE$.apply(ScalaCollections.seq(keys));
        return new InSet(child, ScalaCollections.set(values));
    }
}
