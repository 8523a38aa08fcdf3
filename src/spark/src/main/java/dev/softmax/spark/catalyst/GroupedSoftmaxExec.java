/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.spark.catalyst;

import dev.softmax.core.LogSumExpAccumulator;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import org.apache.spark.SparkContext;
import org.apache.spark.TaskContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.Alias;
import org.apache.spark.sql.catalyst.expressions.Attribute;
import org.apache.spark.sql.catalyst.expressions.AttributeSet;
import org.apache.spark.sql.catalyst.expressions.AttributeSet$;
import org.apache.spark.sql.catalyst.expressions.BoundReference;
import org.apache.spark.sql.catalyst.expressions.Coalesce;
import org.apache.spark.sql.catalyst.expressions.ExprId;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.IsNull;
import org.apache.spark.sql.catalyst.expressions.JoinedRow;
import org.apache.spark.sql.catalyst.expressions.Literal$;
import org.apache.spark.sql.catalyst.expressions.NamedExpression;
import org.apache.spark.sql.catalyst.expressions.Not;
import org.apache.spark.sql.catalyst.expressions.UnsafeProjection;
import org.apache.spark.sql.catalyst.expressions.UnsafeRow;
import org.apache.spark.sql.catalyst.expressions.aggregate.AggregateExpression;
import org.apache.spark.sql.catalyst.expressions.aggregate.Complete$;
import org.apache.spark.sql.catalyst.optimizer.NormalizeFloatingNumbers$;
import org.apache.spark.sql.catalyst.plans.LeftOuter$;
import org.apache.spark.sql.catalyst.plans.logical.HintInfo;
import org.apache.spark.sql.catalyst.plans.logical.Join;
import org.apache.spark.sql.catalyst.plans.logical.JoinHint;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.catalyst.plans.logical.Project;
import org.apache.spark.sql.catalyst.plans.logical.SHUFFLE_HASH$;
import org.apache.spark.sql.catalyst.plans.physical.HashPartitioning;
import org.apache.spark.sql.execution.ExternalAppendOnlyUnsafeRowArray;
import org.apache.spark.sql.execution.FilterExec;
import org.apache.spark.sql.execution.InputAdapter;
import org.apache.spark.sql.execution.ProjectExec;
import org.apache.spark.sql.execution.QueryExecution;
import org.apache.spark.sql.execution.SparkPlan;
import org.apache.spark.sql.execution.WholeStageCodegenExec;
import org.apache.spark.sql.execution.adaptive.AQEShuffleReadExec;
import org.apache.spark.sql.execution.adaptive.AdaptiveSparkPlanExec;
import org.apache.spark.sql.execution.adaptive.QueryStageExec;
import org.apache.spark.sql.execution.aggregate.ObjectAggregationIterator;
import org.apache.spark.sql.execution.aggregate.ObjectHashAggregateExec;
import org.apache.spark.sql.execution.exchange.REPARTITION_BY_NUM$;
import org.apache.spark.sql.execution.exchange.ShuffleExchangeExec;
import org.apache.spark.sql.execution.joins.HashedRelation;
import org.apache.spark.sql.execution.joins.HashedRelation$;
import org.apache.spark.sql.execution.metric.SQLMetric;
import org.apache.spark.sql.execution.metric.SQLMetrics$;
import org.apache.spark.unsafe.Platform;
import org.apache.spark.util.TaskCompletionListener;
import scala.Option;
import scala.collection.immutable.Seq;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;
import scala.runtime.AbstractFunction1;
import scala.runtime.AbstractFunction2;
import scala.runtime.AbstractPartialFunction;
import scala.runtime.BoxedUnit;

/**
 * The physical {@link GroupedSoftmax}: it runs the normalizer aggregate ({@code right}, one
 * row per group) first and collects its rows to the driver as long as their bytes (as
 * UnsafeRows) stay within the budget. If they all fit, it builds Spark's own hash relation of
 * them (the one of a broadcast hash join; null-safe keys as coalesce and is-null pairs,
 * floating keys normalized as the aggregate groups them), broadcasts it and maps the input
 * rows ({@code left}) in place: each row looks its group up, no row moves. If they do not
 * fit, it plans the left outer join of the rows with the normalizers already computed, as a
 * shuffled hash join built on the normalizers (rows hash-partitioned once, never sorted).
 *
 * <p>A third way, for many groups: the aggregate's partial step is a probe
 * ({@link SoftmaxPartialAggregateExec} with {@code stopOnFallback}) that stops, its output
 * discarded, once a task holds more groups than its hash map keeps. Then the rows are
 * hash-partitioned by key once ({@link #PARTITIONS_PER_CORE} partitions per core, at least
 * {@code spark.sql.shuffle.partitions}); each task folds every group's normalizer as it reads
 * its partition (Spark's object aggregation iterator in complete mode, which sorts and spills
 * past {@link #FOLD_GROUPS} groups), keeping the rows in Spark's managed memory as a
 * window does ({@code ExternalAppendOnlyUnsafeRowArray}, spilling under memory pressure, with
 * the thresholds of {@code spark.sql.windowExec.buffer.*}), then maps them. No row is sorted,
 * and no partial state is shuffled. The rows of a key that the probe found to hold a large
 * share of them ({@link HeavyKeys}) stay out of the exchange: they are mapped where they are
 * read, against normalizers computed apart. In exact mode the normalizers' bits are those of the
 * aggregate (exact merges in any order).
 *
 * <p>{@code explain()} shows the way taken once the plan has run ("broadcast, 1000 groups,
 * ... bytes" or "join, ..."), and before that that the choice is still open.
 */
public final class GroupedSoftmaxExec extends TwoChildPlans.Physical {
    private static final long serialVersionUID = 1L;

    private final SparkPlan left;
    private final SparkPlan right;
    private final Seq<Expression> leftKeys;
    private final Seq<Expression> rightKeys;
    private final Seq<Expression> outputs;
    private final Seq<Attribute> outputAttributes;
    private final long budget;
    /** The normalizers' aggregate over the columns of {@code left} (see {@link #foldNextToRows}); or empty. */
    private final Seq<NamedExpression> foldGrouping;
    private final Seq<AggregateExpression> foldAggregates;
    private transient scala.collection.immutable.Map<String, SQLMetric> metrics;
    /** The way taken, once {@link #doExecute()} has chosen it (driver side only). */
    private transient volatile String decision;

    /** The operator; the argument order is the product order (Spark copies nodes by reflection). */
    public GroupedSoftmaxExec(SparkPlan left, SparkPlan right, Seq<Expression> leftKeys, Seq<Expression> rightKeys,
            Seq<Expression> outputs, Seq<Attribute> outputAttributes, long budget, Seq<NamedExpression> foldGrouping,
            Seq<AggregateExpression> foldAggregates) {
        this.left = left;
        this.right = right;
        this.leftKeys = leftKeys;
        this.rightKeys = rightKeys;
        this.outputs = outputs;
        this.outputAttributes = outputAttributes;
        this.budget = budget;
        this.foldGrouping = foldGrouping;
        this.foldAggregates = foldAggregates;
    }

    @Override
    public SparkPlan left() {
        return left;
    }

    @Override
    public SparkPlan right() {
        return right;
    }

    @Override
    protected SparkPlan withChildren(SparkPlan newLeft, SparkPlan newRight) {
        return new GroupedSoftmaxExec(newLeft, newRight, leftKeys, rightKeys, outputs, outputAttributes, budget,
                foldGrouping, foldAggregates);
    }

    @Override
    public Seq<Attribute> output() {
        return GroupedSoftmax.outputOf(left, outputAttributes);
    }

    /** The way taken, or null before the plan ran. */
    public String decision() {
        return decision;
    }

    /** Whether the normalizers were broadcast; null before the plan ran. */
    public Boolean broadcast() {
        String taken = decision;
        return taken == null ? null : taken.startsWith("broadcast");
    }

    /** The output columns this node adds: the attributes of {@code outputs}, in order. */
    @Override
    public AttributeSet producedAttributes() {
        return AttributeSet$.MODULE$.apply(ScalaCollections.<Expression>seq(new ArrayList<>(
                ScalaCollections.list(outputAttributes))));
    }

    @Override
    public String simpleString(int maxFields) {
        String taken = decision;
        return nodeName() + " " + (taken != null ? taken
                : "keys " + ScalaCollections.list(leftKeys) + ", budget " + budget
                        + " bytes: broadcast, join or fold next to the rows, chosen after the aggregate");
    }

    @Override
    public RDD<InternalRow> doExecute() {
        RDD<InternalRow> normalizers = fewerPartitions(right.execute());
        Collected collected = collect(normalizers);
        SoftmaxPartialAggregateExec probe = probe(right);
        if (probe != null && probe.fellBack()) { // the normalizers are incomplete: never use them
            if (foldGrouping.isEmpty()) {
                throw new IllegalStateException("GroupedSoftmax: a probe without the aggregate over the rows");
            }
            return foldNextToRows(probe);
        }
        if (collected.fits) {
            decision = "broadcast, " + collected.rows + " groups, " + collected.bytes + " bytes (budget " + budget
                    + ")";
            return broadcastAndMap(collected);
        }
        return join(normalizers, "more than " + budget + " bytes of normalizers (" + collected.rows + "+ groups, "
                + collected.bytes + "+ bytes seen)");
    }

    @Override
    public scala.collection.immutable.Map<String, SQLMetric> metrics() {
        if (metrics == null) {
            SparkContext context = sparkContext();
            Map<String, SQLMetric> map = new java.util.LinkedHashMap<>();
            map.put("numOutputRows", SQLMetrics$.MODULE$.createMetric(context, "number of normalizers folded"));
            map.put("spillSize", SQLMetrics$.MODULE$.createSizeMetric(context, "spill size",
                    SQLMetrics$.MODULE$.createSizeMetric$default$3()));
            map.put("numTasksFallBacked", SQLMetrics$.MODULE$.createMetric(context,
                    "number of sort fallback tasks"));
            metrics = ScalaCollections.map(map);
        }
        return metrics;
    }

    // ---- the normalizers, collected within the budget --------------------------------------------------

    /**
     * The final aggregate's partitions, read by as many tasks as the cluster has cores (no
     * shuffle: each task merges several of them in turn). Adaptive execution coalesces the
     * partitions of a shuffle only under operators it knows; under this one the aggregate would
     * keep spark.sql.shuffle.partitions tasks, each with its fixed cost, and the join's
     * exchange one file per task and partition.
     */
    private RDD<InternalRow> fewerPartitions(RDD<InternalRow> normalizers) {
        int cores = Math.max(1, sparkContext().defaultParallelism());
        if (normalizers.partitions().length <= cores) {
            return normalizers;
        }
        return normalizers.coalesce(cores, false, Option.empty(), null);
    }

    /** The normalizer rows of every partition if they fit the budget, else what was seen of them. */
    private Collected collect(RDD<InternalRow> normalizers) {
        int partitions = normalizers.partitions().length;
        List<Object> indices = new ArrayList<>();
        for (int i = 0; i < partitions; i++) {
            indices.add(i);
        }
        Collected collected = new Collected(partitions);
        ClassTag<Chunk> tag = ClassTag$.MODULE$.apply(Chunk.class);
        sparkContext().runJob(normalizers, new PackPartition(budget, outputOf(right)), ScalaCollections.seq(indices),
                new AbstractFunction2<Object, Chunk, BoxedUnit>() {
                    @Override
                    public BoxedUnit apply(Object index, Chunk chunk) {
                        collected.add((Integer) index, chunk, budget);
                        return BoxedUnit.UNIT;
                    }
                }, tag);
        return collected;
    }

    /** Driver side: the chunks received, dropped as soon as their total passes the budget. */
    private static final class Collected {
        final Chunk[] chunks;
        long rows;
        long bytes;
        boolean fits = true;

        Collected(int partitions) {
            chunks = new Chunk[partitions];
        }

        void add(int index, Chunk chunk, long budget) {
            rows += chunk.rows;
            bytes += chunk.bytes;
            if (chunk.data == null || bytes > budget) {
                fits = false;
            }
            if (fits) {
                chunks[index] = chunk;
            } else {
                java.util.Arrays.fill(chunks, null);
            }
        }
    }

    /** One partition's normalizer rows, as (size, UnsafeRow bytes) pairs; no data when over the budget. */
    static final class Chunk implements Serializable {
        private static final long serialVersionUID = 1L;
        final long rows;
        final long bytes;
        final byte[] data;

        Chunk(long rows, long bytes, byte[] data) {
            this.rows = rows;
            this.bytes = bytes;
            this.data = data;
        }
    }

    /** Executor side: packs a partition of normalizer rows, stopping once it alone is over the budget. */
    static final class PackPartition extends AbstractFunction2<TaskContext, scala.collection.Iterator<InternalRow>,
            Chunk> implements Serializable {
        private static final long serialVersionUID = 1L;
        private final long budget;
        private final Seq<Attribute> schema;

        PackPartition(long budget, Seq<Attribute> schema) {
            this.budget = budget;
            this.schema = schema;
        }

        @Override
        public Chunk apply(TaskContext context, scala.collection.Iterator<InternalRow> rows) {
            UnsafeProjection toUnsafe = UnsafeProjection.create(ScalaCollections.seq(
                    new ArrayList<Expression>(ScalaCollections.list(schema))), schema);
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(bytes);
            byte[] buffer = new byte[4096];
            long count = 0;
            long size = 0;
            try {
                while (rows.hasNext()) {
                    InternalRow row = rows.next();
                    UnsafeRow unsafe = row instanceof UnsafeRow ? (UnsafeRow) row : toUnsafe.apply(row);
                    count++;
                    size += unsafe.getSizeInBytes();
                    if (size > budget) {
                        return new Chunk(count, size, null);
                    }
                    out.writeInt(unsafe.getSizeInBytes());
                    unsafe.writeToStream(out, buffer);
                }
                out.flush();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return new Chunk(count, size, bytes.toByteArray());
        }
    }

    // ---- broadcast ----------------------------------------------------------------------------------

    private RDD<InternalRow> broadcastAndMap(Collected collected) {
        int fields = outputOf(right).size();
        List<InternalRow> rows = new ArrayList<>((int) Math.min(collected.rows, Integer.MAX_VALUE));
        for (Chunk chunk : collected.chunks) {
            if (chunk == null) {
                continue;
            }
            try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(chunk.data))) {
                for (long i = 0; i < chunk.rows; i++) {
                    byte[] data = new byte[in.readInt()];
                    in.readFully(data);
                    UnsafeRow row = new UnsafeRow(fields);
                    row.pointTo(data, Platform.BYTE_ARRAY_OFFSET, data.length);
                    rows.add(row);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return mapInPlace(left, rows);
    }

    /** The rows of {@code plan} (of {@code left}'s output) mapped in place against {@code normalizers}, broadcast. */
    private RDD<InternalRow> mapInPlace(SparkPlan plan, List<InternalRow> normalizers) {
        Seq<Expression> buildKeys = bind(nullSafe(rightKeys), outputOf(right));
        HashedRelation relation = HashedRelation$.MODULE$.apply(ScalaCollections.iterator(normalizers), buildKeys,
                Math.max(1, normalizers.size()), null, false, false, false);
        Broadcast<HashedRelation> broadcast = sparkContext().broadcast(relation,
                ClassTag$.MODULE$.apply(HashedRelation.class));
        return plan.execute().mapPartitionsInternal(new MapRows(broadcast, nullSafe(leftKeys), outputOf(left),
                outputProjection(), outputInput(), outputOf(right).size()), false,
                ClassTag$.MODULE$.apply(InternalRow.class));
    }

    /** The output of a mapped row: {@code left}'s columns, then {@link #outputs}. */
    private Seq<Expression> outputProjection() {
        List<Expression> projection = new ArrayList<>(ScalaCollections.<Attribute>list(outputOf(left)));
        projection.addAll(ScalaCollections.list(outputs));
        return ScalaCollections.seq(projection);
    }

    /** What {@link #outputProjection()} reads: a row of {@code left} joined with its normalizer row. */
    private Seq<Attribute> outputInput() {
        List<Attribute> input = new ArrayList<>(ScalaCollections.list(outputOf(left)));
        input.addAll(ScalaCollections.list(outputOf(right)));
        return ScalaCollections.seq(input);
    }

    /**
     * Each key as a pair that has no NULL: coalesce(key, default) and key IS NULL (as Spark's
     * equi-join extraction does for {@code <=>}), floating values normalized (-0.0 and NaNs, as
     * the aggregate groups them).
     */
    private static Seq<Expression> nullSafe(Seq<Expression> keys) {
        List<Expression> pairs = new ArrayList<>();
        for (Expression key : ScalaCollections.list(keys)) {
            Expression normalized = NormalizeFloatingNumbers$.MODULE$.normalize(key);
            pairs.add(new Coalesce(ScalaCollections.seq(List.of(normalized,
                    defaultLiteral(key.dataType())))));
            pairs.add(new IsNull(key));
        }
        return ScalaCollections.seq(pairs);
    }

    /** {@code Literal.default(type)}: a non-null value of the type ({@code default} is a Java keyword). */
    private static Expression defaultLiteral(org.apache.spark.sql.types.DataType type) {
        try {
            return (Expression) Literal$.class.getMethod("default", org.apache.spark.sql.types.DataType.class)
                    .invoke(Literal$.MODULE$, type);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("Literal.default(" + type + ")", e);
        }
    }

    /**
     * The functions of {@code aggregates} bound to {@code input}, when all are the project's
     * ({@link SoftmaxAggregate}), without DISTINCT or FILTER; else null.
     */
    static List<SoftmaxAggregate> softmaxAggregates(Seq<AggregateExpression> aggregates, Seq<Attribute> input) {
        List<Expression> unbound = new ArrayList<>();
        for (AggregateExpression aggregate : ScalaCollections.list(aggregates)) {
            if (!(aggregate.aggregateFunction() instanceof SoftmaxAggregate) || aggregate.isDistinct()
                    || aggregate.filter().isDefined()) {
                return null;
            }
            unbound.add(aggregate.aggregateFunction());
        }
        List<SoftmaxAggregate> functions = new ArrayList<>();
        for (Expression function : ScalaCollections.list(bind(ScalaCollections.seq(unbound), input))) {
            functions.add((SoftmaxAggregate) function);
        }
        return functions;
    }

    /** The expressions with their attributes replaced by ordinals of {@code input}. */
    static Seq<Expression> bind(Seq<Expression> expressions, Seq<Attribute> input) {
        Map<ExprId, Integer> ordinals = new HashMap<>();
        List<Attribute> attributes = ScalaCollections.list(input);
        for (int i = 0; i < attributes.size(); i++) {
            ordinals.putIfAbsent(attributes.get(i).exprId(), i);
        }
        List<Expression> bound = new ArrayList<>();
        for (Expression expression : ScalaCollections.list(expressions)) {
            bound.add(substituted(expression, a -> ordinals.containsKey(a.exprId())
                    ? new BoundReference(ordinals.get(a.exprId()), a.dataType(), a.nullable()) : null));
        }
        return ScalaCollections.seq(bound);
    }

    /** The expression with each attribute that {@code replacement} maps (to a non-null expression) replaced. */
    static Expression substituted(Expression expression, Function<Attribute, Expression> replacement) {
        return expression.transform(new AbstractPartialFunction<Expression, Expression>() {
            @Override
            public boolean isDefinedAt(Expression e) {
                return e instanceof Attribute && replacement.apply((Attribute) e) != null;
            }

            @Override
            public <A1 extends Expression, B1> B1 applyOrElse(A1 e, scala.Function1<A1, B1> otherwise) {
                Expression replaced = e instanceof Attribute ? replacement.apply((Attribute) e) : null;
                if (replaced == null) {
                    return otherwise.apply(e);
                }
                @SuppressWarnings("unchecked")
                B1 result = (B1) replaced;
                return result;
            }
        });
    }

    /**
     * Executor side: each row joined with its group's normalizer from the broadcast relation
     * (null when {@link FoldAndMap} builds the relation in the task).
     */
    static final class MapRows extends AbstractFunction1<scala.collection.Iterator<InternalRow>,
            scala.collection.Iterator<InternalRow>> implements Serializable {
        private static final long serialVersionUID = 1L;
        private final Broadcast<HashedRelation> relation;
        private final Seq<Expression> keys;
        private final Seq<Attribute> rowsSchema;
        private final Seq<Expression> projection;
        private final Seq<Attribute> input;
        private final int normalizerFields;

        MapRows(Broadcast<HashedRelation> relation, Seq<Expression> keys, Seq<Attribute> rowsSchema,
                Seq<Expression> projection, Seq<Attribute> input, int normalizerFields) {
            this.relation = relation;
            this.keys = keys;
            this.rowsSchema = rowsSchema;
            this.projection = projection;
            this.input = input;
            this.normalizerFields = normalizerFields;
        }

        @Override
        public scala.collection.Iterator<InternalRow> apply(scala.collection.Iterator<InternalRow> rows) {
            return map(relation.value().asReadOnlyCopy(), rows);
        }

        /** Each of {@code rows} joined with its normalizer from {@code normalizers}, projected to the output. */
        scala.collection.Iterator<InternalRow> map(HashedRelation normalizers,
                scala.collection.Iterator<InternalRow> rows) {
            UnsafeProjection key = UnsafeProjection.create(keys, rowsSchema);
            InternalRow missing = new GenericInternalRow(normalizerFields);
            return joined(rows, row -> {
                InternalRow normalizer = normalizers.getValue(key.apply(row));
                return normalizer == null ? missing : normalizer;
            });
        }

        /** Each of {@code rows} joined with the normalizer of its group (by index, in the rows' order). */
        scala.collection.Iterator<InternalRow> map(List<InternalRow> normalizers, int[] groups,
                scala.collection.Iterator<InternalRow> rows) {
            int[] next = {0};
            return joined(rows, row -> normalizers.get(groups[next[0]++]));
        }

        /** Each of {@code rows} joined with the normalizer {@code normalizerOf} gives, projected to the output. */
        private scala.collection.Iterator<InternalRow> joined(scala.collection.Iterator<InternalRow> rows,
                Function<InternalRow, InternalRow> normalizerOf) {
            UnsafeProjection output = UnsafeProjection.create(projection, input);
            TaskContext context = TaskContext.get();
            output.initialize(context == null ? 0 : context.partitionId());
            JoinedRow joined = new JoinedRow();
            return new scala.collection.AbstractIterator<InternalRow>() {
                @Override
                public boolean hasNext() {
                    return rows.hasNext();
                }

                @Override
                public InternalRow next() {
                    InternalRow row = rows.next();
                    return output.apply(joined.apply(row, normalizerOf.apply(row)));
                }
            };
        }
    }

    // ---- many groups: folded next to the rows -------------------------------------------------------

    /** Partitions per core of the rows' exchange when the normalizers are folded next to the rows. */
    static final int PARTITIONS_PER_CORE = 4;
    /**
     * Groups a task of the fold keeps in its hash map before it sorts (and spills), by default:
     * about 60 MiB of exact states, 130 MiB weighted. With 1M groups over 200 partitions a task
     * holds 5,000.
     */
    public static final int FOLD_GROUPS = 65536;
    /** The session conf that sets {@link #FOLD_GROUPS} (at least 1; the tests force the fallback with it). */
    public static final String FOLD_GROUPS_CONF = "spark.softmax.grouped.foldGroups";

    /** The probing partial step of the normalizers' aggregate, or null (Spark's own, or not a probe). */
    private static SoftmaxPartialAggregateExec probe(SparkPlan plan) {
        SparkPlan node = plan instanceof QueryStageExec ? ((QueryStageExec) plan).plan() : plan;
        if (node instanceof SoftmaxPartialAggregateExec) {
            SoftmaxPartialAggregateExec partial = (SoftmaxPartialAggregateExec) node;
            return partial.stopOnFallback() ? partial : null;
        }
        for (SparkPlan child : ScalaCollections.list(node.children())) {
            SoftmaxPartialAggregateExec found = probe(child);
            if (found != null) {
                return found;
            }
        }
        return null;
    }

    /**
     * The rows hash-partitioned by their (null-safe, normalized) keys; in each task, the
     * normalizers of its groups folded as the rows are read and kept (the aggregate of {@code
     * right} in complete mode, then the projections above it), then the kept rows mapped
     * against them.
     */
    private RDD<InternalRow> foldNextToRows(SoftmaxPartialAggregateExec probe) {
        List<ProjectExec> projections = new ArrayList<>();
        SparkPlan node = right;
        while (node instanceof ProjectExec || node instanceof WholeStageCodegenExec || node instanceof InputAdapter) {
            if (node instanceof ProjectExec) {
                projections.add(0, (ProjectExec) node);
            }
            node = node.children().head(); // code generation's wrappers hold one child
        }
        if (!(node instanceof ObjectHashAggregateExec)) {
            throw new IllegalStateException("GroupedSoftmax: expected the final aggregate under " + right.nodeName()
                    + ", found " + node.nodeName());
        }
        ObjectHashAggregateExec aggregate = (ObjectHashAggregateExec) node;
        List<AggregateExpression> complete = new ArrayList<>();
        List<Attribute> aggregateAttributes = new ArrayList<>();
        for (AggregateExpression partial : ScalaCollections.list(foldAggregates)) {
            AggregateExpression e = partial.copy(partial.aggregateFunction(), Complete$.MODULE$, partial.isDistinct(),
                    partial.filter(), partial.resultId());
            complete.add(e);
            aggregateAttributes.add(e.resultAttribute());
        }
        List<Seq<NamedExpression>> projectLists = new ArrayList<>();
        List<Seq<Attribute>> projectInputs = new ArrayList<>();
        for (ProjectExec project : projections) {
            projectLists.add(ScalaCollections.seq(ScalaCollections.list(project.projectList())));
            projectInputs.add(outputOf(project.child()));
        }
        int cores = Math.max(1, sparkContext().defaultParallelism());
        int partitions = Math.max(conf().numShufflePartitions(), cores * PARTITIONS_PER_CORE);
        // A key with a large share of the rows would make one task of its partition: its rows
        // are not exchanged but mapped where they are read, against its normalizer computed
        // apart (the aggregate over its rows, partial states merged), as the broadcast way does.
        List<UnsafeRow> heavy = HeavyKeys.of(probe.keyCounts(), partitions);
        SparkPlan light = left;
        RDD<InternalRow> heavyRows = null;
        if (!heavy.isEmpty()) {
            Expression isHeavy = new Coalesce(ScalaCollections.seq(List.of(
                    HeavyKeys.membership(valuesOf(foldGrouping), heavy), Literal$.MODULE$.apply(false))));
            heavyRows = mapInPlace(new FilterExec(isHeavy, left), heavyNormalizers(probe, heavy));
            light = new FilterExec(new Not(isHeavy), left);
        }
        SparkPlan exchange = new ShuffleExchangeExec(new HashPartitioning(nullSafe(leftKeys), partitions), light,
                REPARTITION_BY_NUM$.MODULE$, Option.empty());
        FoldAndMap fold = new FoldAndMap(outputOf(left), foldGrouping, ScalaCollections.seq(complete),
                ScalaCollections.seq(aggregateAttributes), ScalaCollections.seq(ScalaCollections.list(
                        aggregate.resultExpressions())), projectLists, projectInputs,
                bind(nullSafe(rightKeys), outputOf(right)), new MapRows(null, nullSafe(leftKeys), outputOf(left),
                        outputProjection(), outputInput(), outputOf(right).size()),
                Math.max(1, Integer.parseInt(conf().getConfString(FOLD_GROUPS_CONF, String.valueOf(FOLD_GROUPS)))),
                RowBuffers.of(conf()), longMetric("numOutputRows"), longMetric("spillSize"),
                longMetric("numTasksFallBacked"));
        decision = "folded next to the rows: a task held more than " + probe.threshold() + " groups; rows"
                + " hash-partitioned into " + partitions + " partitions, never sorted"
                + (heavy.isEmpty() ? "" : "; " + heavy.size() + " heavy key" + (heavy.size() == 1 ? "" : "s")
                + " mapped where read");
        RDD<InternalRow> folded = exchange.execute().mapPartitionsInternal(fold, false,
                ClassTag$.MODULE$.apply(InternalRow.class));
        return heavyRows == null ? folded : heavyRows.union(folded);
    }

    /**
     * The normalizers of the heavy keys: the plan of {@code right} again, its probe replaced
     * by a partial step over the rows of those keys only (every row read), collected.
     */
    private List<InternalRow> heavyNormalizers(SoftmaxPartialAggregateExec probe, List<UnsafeRow> heavy) {
        Expression condition = HeavyKeys.membership(valuesOf(probe.groupingExpressions()), heavy);
        SparkPlan plan = withoutProbe(right, probe, condition);
        List<InternalRow> rows = new ArrayList<>();
        for (InternalRow row : plan.executeCollect()) {
            rows.add(row.copy());
        }
        return rows;
    }

    /**
     * The plan with the probe reading only the rows that {@code condition} selects, and to the
     * end; adaptive execution's stages (and their readers) replaced by the plans they ran, so
     * that the new plan runs anew.
     */
    private static SparkPlan withoutProbe(SparkPlan plan, SoftmaxPartialAggregateExec probe, Expression condition) {
        if (plan instanceof QueryStageExec) {
            return withoutProbe(((QueryStageExec) plan).plan(), probe, condition);
        }
        if (plan instanceof AQEShuffleReadExec) {
            return withoutProbe(((AQEShuffleReadExec) plan).child(), probe, condition);
        }
        if (plan == probe) {
            return probe.complete(new FilterExec(condition, probe.child()));
        }
        List<SparkPlan> children = new ArrayList<>();
        for (SparkPlan child : ScalaCollections.list(plan.children())) {
            children.add(withoutProbe(child, probe, condition));
        }
        return children.isEmpty() ? plan : plan.withNewChildren(ScalaCollections.seq(children));
    }

    /** Executor side: a partition's normalizers folded as its rows are read and kept, then the rows mapped. */
    static final class FoldAndMap extends AbstractFunction1<scala.collection.Iterator<InternalRow>,
            scala.collection.Iterator<InternalRow>> implements Serializable {
        private static final long serialVersionUID = 1L;
        private final Seq<Attribute> rowsSchema;
        private final Seq<NamedExpression> grouping;
        private final Seq<AggregateExpression> aggregates;
        private final Seq<Attribute> aggregateAttributes;
        private final Seq<NamedExpression> results;
        private final List<Seq<NamedExpression>> projectLists;
        private final List<Seq<Attribute>> projectInputs;
        private final Seq<Expression> buildKeys;
        private final MapRows map;
        private final int threshold;
        private final RowBuffers buffers;
        private final SQLMetric numOutputRows;
        private final SQLMetric spillSize;
        private final SQLMetric numTasksFallBacked;

        FoldAndMap(Seq<Attribute> rowsSchema, Seq<NamedExpression> grouping, Seq<AggregateExpression> aggregates,
                Seq<Attribute> aggregateAttributes, Seq<NamedExpression> results,
                List<Seq<NamedExpression>> projectLists, List<Seq<Attribute>> projectInputs, Seq<Expression> buildKeys,
                MapRows map, int threshold, RowBuffers buffers,
                SQLMetric numOutputRows, SQLMetric spillSize, SQLMetric numTasksFallBacked) {
            this.rowsSchema = rowsSchema;
            this.grouping = grouping;
            this.aggregates = aggregates;
            this.aggregateAttributes = aggregateAttributes;
            this.results = results;
            this.projectLists = new ArrayList<>(projectLists);
            this.projectInputs = new ArrayList<>(projectInputs);
            this.buildKeys = buildKeys;
            this.map = map;
            this.threshold = threshold;
            this.buffers = buffers;
            this.numOutputRows = numOutputRows;
            this.spillSize = spillSize;
            this.numTasksFallBacked = numTasksFallBacked;
        }

        /**
         * Keeps every row (Spark's row buffer), folds the normalizers of the partition's groups as
         * the rows are read, then maps the kept rows against them. The project's aggregates (the
         * grouped softmax's) are folded by {@link IndexedFold}, which remembers each row's group;
         * others, or more than {@code threshold} groups in the task, by Spark's object aggregation
         * iterator in complete mode (which sorts and spills past the threshold), whose normalizers
         * the rows then look up by key.
         */
        @Override
        public scala.collection.Iterator<InternalRow> apply(scala.collection.Iterator<InternalRow> rows) {
            if (!rows.hasNext()) {
                return ScalaCollections.<InternalRow>iterator(List.of());
            }
            TaskContext context = TaskContext.get();
            ExternalAppendOnlyUnsafeRowArray kept = buffers.create();
            context.addTaskCompletionListener(new TaskCompletionListener() {
                @Override
                public void onTaskCompletion(TaskContext task) {
                    spillSize.add(kept.spillSize());
                    kept.clear();
                }
            });
            List<SoftmaxAggregate> functions = functions();
            if (functions != null) {
                IndexedFold fold = new IndexedFold(functions);
                if (fold.read(rows, kept)) {
                    return map.map(fold.normalizers(), fold.groups(), kept(kept));
                }
                // more groups than the threshold: every row is kept by now; fold them again below
            }
            scala.collection.Iterator<InternalRow> input = functions != null ? kept(kept) : rows.map(
                    new AbstractFunction1<InternalRow, InternalRow>() {
                        @Override
                        public InternalRow apply(InternalRow row) {
                            kept.add((UnsafeRow) row); // a copy: the exchange's reader reuses its row
                            return row;
                        }
                    });
            scala.collection.Iterator<?> folded = new ObjectAggregationIterator(context.partitionId(), rowsSchema,
                    grouping, aggregates, aggregateAttributes, 0, results, PartialAggregateShim.mutableProjections(),
                    rowsSchema, input, threshold, numOutputRows, spillSize, numTasksFallBacked);
            List<UnsafeProjection> projections = projections();
            List<InternalRow> normalizers = new ArrayList<>();
            while (folded.hasNext()) {
                normalizers.add(project((InternalRow) folded.next(), projections));
            }
            HashedRelation relation = HashedRelation$.MODULE$.apply(ScalaCollections.iterator(normalizers), buildKeys,
                    Math.max(1, normalizers.size()), null, false, false, false);
            return map.map(relation, kept(kept));
        }

        /** The aggregate functions bound to the rows, when all are the project's; else null. */
        private List<SoftmaxAggregate> functions() {
            return softmaxAggregates(aggregates, rowsSchema);
        }

        /** A row of the final aggregate's output through the projections above it, copied. */
        private static InternalRow project(InternalRow row, List<UnsafeProjection> projections) {
            InternalRow projected = row;
            for (UnsafeProjection projection : projections) {
                projected = projection.apply(projected);
            }
            return projected.copy();
        }

        /**
         * The fold of one task's groups with the project's aggregates called directly: a hash map
         * from each group's key to its index, the states by index, and each kept row's group
         * index, so that mapping a row needs no second lookup.
         */
        private final class IndexedFold {
            private final List<SoftmaxAggregate> functions;
            private final UnsafeProjection key;
            private final Map<UnsafeRow, Integer> index = new HashMap<>();
            private final List<UnsafeRow> keys = new ArrayList<>();
            private final List<LogSumExpAccumulator[]> states = new ArrayList<>();
            private int[] groups = new int[1024];
            private int rows;

            IndexedFold(List<SoftmaxAggregate> functions) {
                this.functions = functions;
                this.key = UnsafeProjection.create(ScalaCollections.seq(namedAsExpressions(grouping)), rowsSchema);
            }

            /**
             * Keeps and folds every row; false (every row still kept) when the task holds more
             * than {@code threshold} groups, for the general path to fold them again.
             */
            boolean read(scala.collection.Iterator<InternalRow> input, ExternalAppendOnlyUnsafeRowArray kept) {
                boolean folding = true;
                while (input.hasNext()) {
                    InternalRow row = input.next();
                    kept.add((UnsafeRow) row); // a copy: the exchange's reader reuses its row
                    if (!folding) {
                        continue;
                    }
                    UnsafeRow k = key.apply(row);
                    Integer group = index.get(k);
                    if (group == null) {
                        if (keys.size() >= threshold) {
                            folding = false; // the general path sorts and spills past the threshold
                            continue;
                        }
                        group = keys.size();
                        UnsafeRow copy = k.copy();
                        index.put(copy, group);
                        keys.add(copy);
                        LogSumExpAccumulator[] state = new LogSumExpAccumulator[functions.size()];
                        for (int f = 0; f < state.length; f++) {
                            state[f] = functions.get(f).createAggregationBuffer();
                        }
                        states.add(state);
                    }
                    LogSumExpAccumulator[] state = states.get(group);
                    for (int f = 0; f < state.length; f++) {
                        state[f] = functions.get(f).update(state[f], row);
                    }
                    if (rows == groups.length) {
                        groups = java.util.Arrays.copyOf(groups, Math.max(1024, groups.length * 2));
                    }
                    groups[rows++] = group;
                }
                if (!folding) {
                    index.clear();
                    states.clear();
                }
                return folding;
            }

            /** Each row's group index, in the order the rows were kept. */
            int[] groups() {
                return groups;
            }

            /**
             * The normalizer rows by group index: each group's final aggregate output (its key,
             * then each function's result) through the projections.
             */
            List<InternalRow> normalizers() {
                List<Attribute> groupingAttributes = new ArrayList<>();
                for (NamedExpression e : ScalaCollections.list(grouping)) {
                    groupingAttributes.add(e.toAttribute());
                }
                List<Attribute> resultInput = new ArrayList<>(groupingAttributes);
                resultInput.addAll(ScalaCollections.list(aggregateAttributes));
                UnsafeProjection result = UnsafeProjection.create(ScalaCollections.seq(namedAsExpressions(results)),
                        ScalaCollections.seq(resultInput));
                List<UnsafeProjection> projections = projections();
                List<InternalRow> normalizers = new ArrayList<>(keys.size());
                JoinedRow joined = new JoinedRow();
                GenericInternalRow values = new GenericInternalRow(functions.size());
                for (int g = 0; g < keys.size(); g++) {
                    LogSumExpAccumulator[] state = states.get(g);
                    for (int f = 0; f < state.length; f++) {
                        values.update(f, functions.get(f).eval(state[f]));
                    }
                    normalizers.add(project(result.apply(joined.apply(keys.get(g), values)), projections));
                    states.set(g, null);
                }
                numOutputRows.add(keys.size());
                return normalizers;
            }
        }

        /** The projections above the final aggregate, in order. */
        private List<UnsafeProjection> projections() {
            List<UnsafeProjection> projections = new ArrayList<>();
            for (int i = 0; i < projectLists.size(); i++) {
                List<Expression> projectList = namedAsExpressions(projectLists.get(i));
                projections.add(UnsafeProjection.create(ScalaCollections.seq(projectList), projectInputs.get(i)));
            }
            return projections;
        }

        @SuppressWarnings("unchecked") // the kept rows are UnsafeRows
        private static scala.collection.Iterator<InternalRow> kept(ExternalAppendOnlyUnsafeRowArray kept) {
            return (scala.collection.Iterator<InternalRow>) (scala.collection.Iterator<?>) kept.generateIterator();
        }
    }

    /** Named expressions as the values they evaluate: an alias's child, or the expression itself. */
    static List<Expression> valuesOf(Seq<NamedExpression> named) {
        List<Expression> values = new ArrayList<>();
        for (Expression e : namedAsExpressions(named)) {
            values.add(e instanceof Alias ? ((Alias) e).child() : e);
        }
        return values;
    }

    /** Named expressions as expressions (a Scala trait over Expression: Java does not see the subtype). */
    static List<Expression> namedAsExpressions(Seq<NamedExpression> named) {
        List<Expression> list = new ArrayList<>();
        for (NamedExpression e : ScalaCollections.list(named)) {
            list.add((Expression) e);
        }
        return list;
    }

    // ---- join ---------------------------------------------------------------------------------------

    /**
     * The left outer join of the rows with the normalizers already computed, hinted to a
     * shuffled hash join that builds on the normalizers: each row moves once (hash-partitioned
     * by its key) and is never sorted, where Spark would otherwise pick a sort-merge join and
     * sort every row of a large input.
     */
    private RDD<InternalRow> join(RDD<InternalRow> normalizers, String reason) {
        LogicalPlan rows = Plans.rdd(this, outputOf(left), left.execute());
        LogicalPlan perGroup = Plans.rdd(this, outputOf(right), normalizers);
        List<NamedExpression> projection = new ArrayList<>(ScalaCollections.list(outputOf(left)));
        List<Expression> expressions = ScalaCollections.list(outputs);
        List<Attribute> attributes = ScalaCollections.list(outputAttributes);
        for (int i = 0; i < expressions.size(); i++) {
            projection.add(new Alias(expressions.get(i), attributes.get(i).name(), attributes.get(i).exprId(),
                    attributes.get(i).qualifier(), Option.empty(), ScalaCollections.seq(List.<String>of())));
        }
        LogicalPlan plan = new Project(ScalaCollections.seq(projection), new Join(rows, perGroup,
                LeftOuter$.MODULE$, Option.apply(GroupedSoftmax.condition(leftKeys, rightKeys)),
                new JoinHint(Option.empty(), Option.apply(new HintInfo(Option.apply(SHUFFLE_HASH$.MODULE$))))));
        QueryExecution planned = Plans.plan(this, plan);
        RDD<InternalRow> joined = planned.toRdd();
        decision = "join, " + reason + ": " + joinName(planned.executedPlan());
        return joined;
    }

    /** The name of the first join operator of a physical plan (the final plan, under adaptive execution). */
    private static String joinName(SparkPlan plan) {
        SparkPlan node = plan;
        if (node instanceof AdaptiveSparkPlanExec) {
            node = ((AdaptiveSparkPlanExec) node).executedPlan();
        }
        if (node instanceof QueryStageExec) { // a leaf that holds its stage's plan
            node = ((QueryStageExec) node).plan();
        }
        if (node.nodeName().endsWith("Join")) {
            return node.nodeName();
        }
        for (SparkPlan child : ScalaCollections.list(node.children())) {
            String name = joinName(child);
            if (name != null) {
                return name;
            }
        }
        return null;
    }

    /** A plan's output as an immutable Scala sequence (on Scala 2.12 Spark returns a collection.Seq). */
    private static Seq<Attribute> outputOf(SparkPlan plan) {
        return ScalaCollections.seq(ScalaCollections.list(plan.output()));
    }

    // ---- Product ------------------------------------------------------------------------------------

    @Override
    public int productArity() {
        return 9;
    }

    @Override
    public Object productElement(int n) {
        switch (n) {
            case 0: return left;
            case 1: return right;
            case 2: return leftKeys;
            case 3: return rightKeys;
            case 4: return outputs;
            case 5: return outputAttributes;
            case 6: return budget;
            case 7: return foldGrouping;
            case 8: return foldAggregates;
            default: throw new IndexOutOfBoundsException(String.valueOf(n));
        }
    }

    @Override
    public boolean canEqual(Object that) {
        return that instanceof GroupedSoftmaxExec;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof GroupedSoftmaxExec)) {
            return false;
        }
        GroupedSoftmaxExec that = (GroupedSoftmaxExec) o;
        return budget == that.budget && left.equals(that.left) && right.equals(that.right)
                && leftKeys.equals(that.leftKeys) && rightKeys.equals(that.rightKeys) && outputs.equals(that.outputs)
                && outputAttributes.equals(that.outputAttributes) && foldGrouping.equals(that.foldGrouping)
                && foldAggregates.equals(that.foldAggregates);
    }

    @Override
    public int hashCode() {
        return Objects.hash(left, right, leftKeys, rightKeys, outputs, outputAttributes, budget, foldGrouping,
                foldAggregates);
    }
}
