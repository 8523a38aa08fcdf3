/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.spark.catalyst;

import dev.softmax.core.LogSumExpAccumulator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.apache.spark.SparkContext;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.Attribute;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.NamedExpression;
import org.apache.spark.sql.catalyst.expressions.UnsafeProjection;
import org.apache.spark.sql.catalyst.expressions.aggregate.AggregateExpression;
import org.apache.spark.sql.execution.ColumnarToRowExec;
import org.apache.spark.sql.execution.InputAdapter;
import org.apache.spark.sql.execution.SparkPlan;
import org.apache.spark.sql.execution.WholeStageCodegenExec;
import org.apache.spark.sql.execution.aggregate.ObjectAggregationIterator;
import org.apache.spark.sql.execution.aggregate.ObjectHashAggregateExec;
import org.apache.spark.sql.execution.metric.SQLMetric;
import org.apache.spark.sql.execution.metric.SQLMetrics$;
import org.apache.spark.sql.types.BinaryType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.vectorized.ColumnarBatch;
import org.apache.spark.util.CollectionAccumulator;
import scala.collection.immutable.Seq;
import scala.reflect.ClassTag$;
import scala.runtime.AbstractFunction1;
import scala.runtime.AbstractFunction2;

/**
 * The partial aggregate of the grouped normalizers: Spark's {@code ObjectHashAggregateExec}
 * (partial mode) with a larger hash map. Spark's operator keeps at most
 * {@code spark.sql.objectHashAggregate.sortBased.fallbackThreshold} (128) groups per task in
 * its hash map and then sorts every remaining row by key; with 1,000 groups over 5M rows that
 * sort was two thirds of the aggregate's time. This operator runs the same iterator
 * ({@code ObjectAggregationIterator}, the same states, the same output) with a threshold of
 * {@link #DEFAULT_FALLBACK_THRESHOLD} groups (or the session's, if larger), so a task with a
 * few thousand groups never sorts. Past it the iterator still sorts (and spills) as Spark's does,
 * which keeps the memory of a task with many groups bounded: an exact state is under 1 KiB
 * (about 2 KiB weighted).
 * The bits do not change: merging exact states is exact in any order.
 *
 * <p>With {@code stopOnFallback}, a task that reaches the threshold stops reading its input
 * where it would start to sort: its output is then incomplete, and the operator reports it
 * ({@link #fellBack()}). {@link GroupedSoftmaxExec} uses that as a cheap probe: a task with
 * that many groups means the normalizers are better computed next to the rows
 * ({@link GroupedSoftmaxExec} then discards this aggregate and folds per partition).
 *
 * <p>Without grouping, and with the project's aggregates only ({@code logsumexp(x)}, the global
 * softmax's normalizer), a task keeps one state per function and folds every row straight into
 * it, without Spark's iterator; a columnar scan's batches (a cached relation's, a Parquet
 * file's) are read from their vectors, not turned into rows. Its output is the row of
 * serialized states that Spark's partial step writes, with the same bits.
 */
public final class SoftmaxPartialAggregateExec extends PartialAggregateShim.OneChild {
    private static final long serialVersionUID = 1L;
    /** Groups a task keeps in its hash map before it sorts the rest: 4096 states, a few MiB. */
    public static final int DEFAULT_FALLBACK_THRESHOLD = 4096;

    private final Seq<NamedExpression> groupingExpressions;
    private final Seq<AggregateExpression> aggregateExpressions;
    private final Seq<Attribute> aggregateAttributes;
    private final int initialInputBufferOffset;
    private final Seq<NamedExpression> resultExpressions;
    private final SparkPlan child;
    private final int fallbackThreshold;
    private final boolean stopOnFallback;
    private transient scala.collection.immutable.Map<String, SQLMetric> metrics;
    /** A probe's key counts ({@link HeavyKeys}), once it has run (driver side). */
    private transient CollectionAccumulator<HeavyKeys.Count> keyCounts;

    /** The operator; the argument order is the product order (Spark copies nodes by reflection). */
    public SoftmaxPartialAggregateExec(Seq<NamedExpression> groupingExpressions,
            Seq<AggregateExpression> aggregateExpressions, Seq<Attribute> aggregateAttributes,
            int initialInputBufferOffset, Seq<NamedExpression> resultExpressions, SparkPlan child,
            int fallbackThreshold, boolean stopOnFallback) {
        this.groupingExpressions = groupingExpressions;
        this.aggregateExpressions = aggregateExpressions;
        this.aggregateAttributes = aggregateAttributes;
        this.initialInputBufferOffset = initialInputBufferOffset;
        this.resultExpressions = resultExpressions;
        this.child = child;
        this.fallbackThreshold = fallbackThreshold;
        this.stopOnFallback = stopOnFallback;
    }

    /**
     * This operator in place of Spark's partial aggregate {@code partial}, with the same child;
     * with {@code stopOnFallback}, a probe (see the class comment).
     */
    static SoftmaxPartialAggregateExec of(ObjectHashAggregateExec partial, boolean stopOnFallback) {
        return new SoftmaxPartialAggregateExec(seq(partial.groupingExpressions()),
                seq(partial.aggregateExpressions()), seq(partial.aggregateAttributes()),
                partial.initialInputBufferOffset(), seq(partial.resultExpressions()), partial.child(),
                DEFAULT_FALLBACK_THRESHOLD, stopOnFallback);
    }

    public boolean stopOnFallback() {
        return stopOnFallback;
    }

    /**
     * Whether a task reached the threshold (driver side, once the stage has run): with
     * {@code stopOnFallback}, the output is then incomplete.
     */
    public boolean fellBack() {
        return longMetric("numTasksFallBacked").value() > 0;
    }

    /** A probe's report of the keys that hold a large share of its tasks' first rows (driver side, once run). */
    List<HeavyKeys.Count> keyCounts() {
        return keyCounts == null ? List.of() : keyCounts.value();
    }

    /** This operator over {@code newChild}, not a probe: it reads all its input. */
    SoftmaxPartialAggregateExec complete(SparkPlan newChild) {
        return new SoftmaxPartialAggregateExec(groupingExpressions, aggregateExpressions, aggregateAttributes,
                initialInputBufferOffset, resultExpressions, newChild, fallbackThreshold, false);
    }

    /** The grouping expressions (over the child's output). */
    Seq<NamedExpression> groupingExpressions() {
        return groupingExpressions;
    }

    private static <T> Seq<T> seq(scala.collection.Seq<T> seq) {
        return ScalaCollections.seq(new java.util.ArrayList<>(ScalaCollections.list(seq)));
    }

    @Override
    public SparkPlan child() {
        return child;
    }

    @Override
    protected SparkPlan withChild(SparkPlan newChild) {
        return new SoftmaxPartialAggregateExec(groupingExpressions, aggregateExpressions, aggregateAttributes,
                initialInputBufferOffset, resultExpressions, newChild, fallbackThreshold, stopOnFallback);
    }

    @Override
    public Seq<Attribute> output() {
        List<Attribute> attributes = new java.util.ArrayList<>();
        for (NamedExpression result : ScalaCollections.list(resultExpressions)) {
            attributes.add(result.toAttribute());
        }
        return ScalaCollections.seq(attributes);
    }

    @Override
    public scala.collection.immutable.Map<String, SQLMetric> metrics() {
        if (metrics == null) {
            SparkContext context = sparkContext();
            Map<String, SQLMetric> map = new LinkedHashMap<>();
            map.put("numOutputRows", SQLMetrics$.MODULE$.createMetric(context, "number of output rows"));
            map.put("aggTime", SQLMetrics$.MODULE$.createTimingMetric(context, "time in aggregation build",
                    SQLMetrics$.MODULE$.createTimingMetric$default$3()));
            map.put("spillSize", SQLMetrics$.MODULE$.createSizeMetric(context, "spill size",
                    SQLMetrics$.MODULE$.createSizeMetric$default$3()));
            map.put("numTasksFallBacked", SQLMetrics$.MODULE$.createMetric(context,
                    "number of sort fallback tasks"));
            metrics = ScalaCollections.map(map);
        }
        return metrics;
    }

    /** The threshold a task runs with: this operator's, or the session's if that is larger. */
    public int threshold() {
        return Math.max(fallbackThreshold, conf().objectAggSortBasedFallbackThreshold());
    }

    @Override
    public RDD<InternalRow> doExecute() {
        if (stopOnFallback && keyCounts == null) {
            keyCounts = new CollectionAccumulator<>();
            sparkContext().register(keyCounts); // unnamed: not in the UI or the event log
        }
        if (foldsGlobally()) {
            SparkPlan columnar = columnarSource(child);
            if (columnar != null) {
                return columnar.executeColumnar().mapPartitionsInternal(new GlobalFold<ColumnarBatch>(this), false,
                        ClassTag$.MODULE$.apply(InternalRow.class));
            }
            return child.execute().mapPartitionsInternal(new GlobalFold<InternalRow>(this), false,
                    ClassTag$.MODULE$.apply(InternalRow.class));
        }
        Aggregate aggregate = new Aggregate(this, threshold());
        return child.execute().mapPartitionsWithIndex(aggregate, false, ClassTag$.MODULE$.apply(InternalRow.class));
    }

    /** Whether this step folds without grouping, in a plain loop ({@link GlobalFold}). */
    private boolean foldsGlobally() {
        return groupingExpressions.isEmpty() && GlobalFold.applies(aggregateExpressions, output(), seq(child.output()));
    }

    /** Whether this step reads its child's column batches rather than rows (a global fold of a columnar scan). */
    public boolean readsColumnBatches() {
        return foldsGlobally() && columnarSource(child) != null;
    }

    /**
     * The child if it can give columnar batches (a cached relation's scan), or the columnar plan
     * under its transition to rows ({@code ColumnarToRowExec}, in its code generation stage),
     * such as a Parquet file's scan; else null.
     */
    private static SparkPlan columnarSource(SparkPlan plan) {
        if (plan.supportsColumnar()) {
            return plan;
        }
        SparkPlan node = plan instanceof WholeStageCodegenExec ? ((WholeStageCodegenExec) plan).child() : plan;
        if (node instanceof ColumnarToRowExec) {
            SparkPlan source = ((ColumnarToRowExec) node).child();
            if (source instanceof InputAdapter) {
                source = ((InputAdapter) source).child();
            }
            return source.supportsColumnar() ? source : null;
        }
        return null;
    }

    /**
     * Executor side, without grouping and with the project's aggregates only: one state per
     * function, each row (or each columnar batch, read from its vectors) folded straight into it,
     * then one row of the serialized states, as Spark's partial aggregate writes them. An empty
     * partition gives the empty states, as Spark's does.
     */
    private static final class GlobalFold<T> extends AbstractFunction1<scala.collection.Iterator<T>,
            scala.collection.Iterator<InternalRow>> implements java.io.Serializable {
        private static final long serialVersionUID = 1L;
        private final Seq<Attribute> childOutput;
        private final Seq<AggregateExpression> aggregateExpressions;
        private final SQLMetric numOutputRows;
        private final SQLMetric aggTime;

        GlobalFold(SoftmaxPartialAggregateExec exec) {
            this.childOutput = seq(exec.child.output());
            this.aggregateExpressions = exec.aggregateExpressions;
            this.numOutputRows = exec.longMetric("numOutputRows");
            this.aggTime = exec.longMetric("aggTime");
        }

        /**
         * Whether the aggregates are all the project's, plain (see {@link
         * GroupedSoftmaxExec#softmaxAggregates}), and the output their serialized states.
         */
        static boolean applies(Seq<AggregateExpression> aggregates, Seq<Attribute> output, Seq<Attribute> input) {
            List<Attribute> attributes = ScalaCollections.list(output);
            return !attributes.isEmpty() && attributes.size() == ScalaCollections.list(aggregates).size()
                    && attributes.stream().allMatch(a -> a.dataType() instanceof BinaryType)
                    && GroupedSoftmaxExec.softmaxAggregates(aggregates, input) != null;
        }

        @Override
        public scala.collection.Iterator<InternalRow> apply(scala.collection.Iterator<T> input) {
            long start = System.nanoTime();
            List<SoftmaxAggregate> functions = GroupedSoftmaxExec.softmaxAggregates(aggregateExpressions, childOutput);
            LogSumExpAccumulator[] states = new LogSumExpAccumulator[functions.size()];
            for (int f = 0; f < states.length; f++) {
                states[f] = functions.get(f).createAggregationBuffer();
            }
            while (input.hasNext()) {
                Object next = input.next();
                for (int f = 0; f < states.length; f++) {
                    SoftmaxAggregate function = functions.get(f);
                    states[f] = next instanceof ColumnarBatch ? function.update(states[f], (ColumnarBatch) next)
                            : function.update(states[f], (InternalRow) next);
                }
            }
            Object[] serialized = new Object[states.length];
            DataType[] types = new DataType[states.length];
            for (int f = 0; f < states.length; f++) {
                serialized[f] = functions.get(f).serialize(states[f]);
                types[f] = DataTypes.BinaryType;
            }
            numOutputRows.add(1);
            aggTime.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
            InternalRow row = UnsafeProjection.create(types).apply(new GenericInternalRow(serialized));
            return ScalaCollections.iterator(List.of(row));
        }
    }

    /** Executor side: Spark's object aggregation iterator over one partition. */
    private static final class Aggregate extends AbstractFunction2<Object, scala.collection.Iterator<InternalRow>,
            scala.collection.Iterator<InternalRow>> implements java.io.Serializable {
        private static final long serialVersionUID = 1L;
        private final Seq<Attribute> childOutput;
        private final Seq<NamedExpression> groupingExpressions;
        private final Seq<AggregateExpression> aggregateExpressions;
        private final Seq<Attribute> aggregateAttributes;
        private final int initialInputBufferOffset;
        private final Seq<NamedExpression> resultExpressions;
        private final int threshold;
        private final SQLMetric numOutputRows;
        private final SQLMetric aggTime;
        private final SQLMetric spillSize;
        private final SQLMetric numTasksFallBacked;
        private final boolean stopOnFallback;
        private final CollectionAccumulator<HeavyKeys.Count> keyCounts;

        Aggregate(SoftmaxPartialAggregateExec exec, int threshold) {
            this.childOutput = seq(exec.child.output());
            this.groupingExpressions = exec.groupingExpressions;
            this.aggregateExpressions = exec.aggregateExpressions;
            this.aggregateAttributes = exec.aggregateAttributes;
            this.initialInputBufferOffset = exec.initialInputBufferOffset;
            this.resultExpressions = exec.resultExpressions;
            this.threshold = threshold;
            this.numOutputRows = exec.longMetric("numOutputRows");
            this.aggTime = exec.longMetric("aggTime");
            this.spillSize = exec.longMetric("spillSize");
            this.numTasksFallBacked = exec.longMetric("numTasksFallBacked");
            this.stopOnFallback = exec.stopOnFallback;
            this.keyCounts = exec.keyCounts;
        }

        @Override
        public scala.collection.Iterator<InternalRow> apply(Object partition,
                scala.collection.Iterator<InternalRow> rows) {
            long start = System.nanoTime();
            scala.collection.Iterator<InternalRow> result;
            if (!rows.hasNext()) {
                result = ScalaCollections.<InternalRow>iterator(List.of()); // grouped: no input, no groups
            } else {
                scala.collection.Iterator<InternalRow> input = rows;
                if (stopOnFallback) {
                    UnsafeProjection key = UnsafeProjection.create(ScalaCollections.seq(
                            GroupedSoftmaxExec.namedAsExpressions(groupingExpressions)), childOutput);
                    input = HeavyKeys.counting(untilFallback(rows), key, keyCounts);
                }
                // partial mode: the input attributes are the child's output
                @SuppressWarnings("unchecked") // an iterator of UnsafeRows
                scala.collection.Iterator<InternalRow> iterator = (scala.collection.Iterator<InternalRow>)
                        (scala.collection.Iterator<?>) new ObjectAggregationIterator((Integer) partition, childOutput,
                        groupingExpressions, aggregateExpressions, aggregateAttributes, initialInputBufferOffset,
                        resultExpressions, PartialAggregateShim.mutableProjections(), childOutput, input, threshold,
                        numOutputRows, spillSize, numTasksFallBacked);
                result = iterator;
            }
            aggTime.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
            return result;
        }

        /**
         * The rows until the iterator falls back to sorting: it counts the fallback in its
         * metric just before it would read the next row, so the rest is never read.
         */
        private scala.collection.Iterator<InternalRow> untilFallback(scala.collection.Iterator<InternalRow> rows) {
            long before = numTasksFallBacked.value();
            return new scala.collection.AbstractIterator<InternalRow>() {
                @Override
                public boolean hasNext() {
                    return numTasksFallBacked.value() == before && rows.hasNext();
                }

                @Override
                public InternalRow next() {
                    return rows.next();
                }
            };
        }
    }

    // ---- Product ------------------------------------------------------------------------------------

    @Override
    public int productArity() {
        return 8;
    }

    @Override
    public Object productElement(int n) {
        switch (n) {
            case 0: return groupingExpressions;
            case 1: return aggregateExpressions;
            case 2: return aggregateAttributes;
            case 3: return initialInputBufferOffset;
            case 4: return resultExpressions;
            case 5: return child;
            case 6: return fallbackThreshold;
            case 7: return stopOnFallback;
            default: throw new IndexOutOfBoundsException(String.valueOf(n));
        }
    }

    @Override
    public boolean canEqual(Object that) {
        return that instanceof SoftmaxPartialAggregateExec;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof SoftmaxPartialAggregateExec)) {
            return false;
        }
        SoftmaxPartialAggregateExec that = (SoftmaxPartialAggregateExec) o;
        return initialInputBufferOffset == that.initialInputBufferOffset
                && fallbackThreshold == that.fallbackThreshold && stopOnFallback == that.stopOnFallback
                && groupingExpressions.equals(that.groupingExpressions)
                && aggregateExpressions.equals(that.aggregateExpressions)
                && aggregateAttributes.equals(that.aggregateAttributes)
                && resultExpressions.equals(that.resultExpressions) && child.equals(that.child);
    }

    @Override
    public int hashCode() {
        return Objects.hash(groupingExpressions, aggregateExpressions, aggregateAttributes, initialInputBufferOffset,
                resultExpressions, child, fallbackThreshold, stopOnFallback);
    }
}
