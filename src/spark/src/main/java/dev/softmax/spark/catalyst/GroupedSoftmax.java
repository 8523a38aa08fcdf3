/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.spark.catalyst;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.expressions.Alias;
import org.apache.spark.sql.catalyst.expressions.And;
import org.apache.spark.sql.catalyst.expressions.Attribute;
import org.apache.spark.sql.catalyst.expressions.AttributeSet;
import org.apache.spark.sql.catalyst.expressions.AttributeSet$;
import org.apache.spark.sql.catalyst.expressions.EqualNullSafe;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.NamedExpression;
import org.apache.spark.sql.catalyst.plans.LeftOuter$;
import org.apache.spark.sql.catalyst.plans.logical.Join;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.catalyst.plans.logical.Project;
import scala.collection.immutable.Seq;

/**
 * The grouped DataFrame softmax as one logical operator, so that the way the normalizers
 * reach the rows is chosen after they are computed, not from an estimate before: {@code left}
 * is the input, {@code right} the aggregate of one finished normalizer per group (its output:
 * the group keys, then the compact normalizer struct), {@code outputs} the prob and log_prob
 * expressions over the columns of both. Its output is the input's columns, then the outputs.
 *
 * <p>{@link SoftmaxStrategy} plans it as {@link GroupedSoftmaxExec}. Semantically it
 * is the left outer join of the rows with their group's normalizer on null-safe equal keys,
 * projected to the outputs: the plan the join would give, without fixing the join first.
 * When {@code right} aggregates the rows of {@code left} themselves (the same plan, up to
 * projections and renumbered attributes, and keys over the same columns, as both the
 * DataFrame softmax and {@link WindowSoftmaxRule} build it), the operator may also fold the
 * normalizers next to the rows instead of joining them; otherwise it only broadcasts or joins.
 * Internal.
 */
public final class GroupedSoftmax extends TwoChildPlans.Logical {
    private static final long serialVersionUID = 1L;

    private final LogicalPlan left;
    private final LogicalPlan right;
    private final Seq<Expression> leftKeys;
    private final Seq<Expression> rightKeys;
    private final Seq<Expression> outputs;
    private final Seq<Attribute> outputAttributes;
    private final long budget;

    /** The node; the argument order is the product order (Spark copies nodes by reflection). */
    public GroupedSoftmax(LogicalPlan left, LogicalPlan right, Seq<Expression> leftKeys, Seq<Expression> rightKeys,
            Seq<Expression> outputs, Seq<Attribute> outputAttributes, long budget) {
        this.left = left;
        this.right = right;
        this.leftKeys = leftKeys;
        this.rightKeys = rightKeys;
        this.outputs = outputs;
        this.outputAttributes = outputAttributes;
        this.budget = budget;
    }

    /**
     * The runtime-planned form of {@code selected}, the analyzed {@code rows LEFT OUTER JOIN
     * normalizers ON keys <=> keys} projected to all columns of both and the outputs; or null
     * when its analyzed plan has another shape (the caller keeps the join).
     */
    public static Dataset<Row> of(Dataset<Row> selected, int outputCount, long budget) {
        LogicalPlan analyzed = selected.queryExecution().analyzed();
        if (!(analyzed instanceof Project) || !(((Project) analyzed).child() instanceof Join)) {
            return null;
        }
        Project project = (Project) analyzed;
        Join join = (Join) project.child();
        List<NamedExpression> list = ScalaCollections.list(project.projectList());
        List<Attribute> joinOutput = ScalaCollections.list(join.output());
        if (join.joinType() != LeftOuter$.MODULE$ || join.condition().isEmpty()
                || list.size() != joinOutput.size() + outputCount) {
            return null;
        }
        for (int i = 0; i < joinOutput.size(); i++) {
            if (!(list.get(i) instanceof Attribute) || !((Attribute) list.get(i)).exprId()
                    .equals(joinOutput.get(i).exprId())) {
                return null;
            }
        }
        List<Expression> leftKeys = new ArrayList<>();
        List<Expression> rightKeys = new ArrayList<>();
        if (!keys(join.condition().get(), join, leftKeys, rightKeys)) {
            return null;
        }
        // The expressions and the attributes they are written to, apart: Spark's CleanupAliases
        // strips aliases inside any operator but a Project, a Window or an Aggregate.
        List<Expression> outputs = new ArrayList<>();
        List<Attribute> outputAttributes = new ArrayList<>();
        for (NamedExpression named : list.subList(joinOutput.size(), list.size())) {
            if (!(named instanceof Alias)) {
                return null;
            }
            outputs.add(((Alias) named).child());
            outputAttributes.add(named.toAttribute());
        }
        GroupedSoftmax node = new GroupedSoftmax(join.left(), join.right(), ScalaCollections.seq(leftKeys),
                ScalaCollections.seq(rightKeys), ScalaCollections.seq(outputs), ScalaCollections.seq(outputAttributes),
                budget);
        return Plans.ofRows(selected, node);
    }

    /** Splits a conjunction of null-safe equalities into the keys of each side. */
    private static boolean keys(Expression condition, Join join, List<Expression> leftKeys,
            List<Expression> rightKeys) {
        if (condition instanceof And) {
            And and = (And) condition;
            return keys(and.left(), join, leftKeys, rightKeys) && keys(and.right(), join, leftKeys, rightKeys);
        }
        if (!(condition instanceof EqualNullSafe)) {
            return false;
        }
        Expression a = ((EqualNullSafe) condition).left();
        Expression b = ((EqualNullSafe) condition).right();
        if (a.references().subsetOf(join.left().outputSet()) && b.references().subsetOf(join.right().outputSet())) {
            leftKeys.add(a);
            rightKeys.add(b);
            return true;
        }
        if (b.references().subsetOf(join.left().outputSet()) && a.references().subsetOf(join.right().outputSet())) {
            leftKeys.add(b);
            rightKeys.add(a);
            return true;
        }
        return false;
    }

    @Override
    public LogicalPlan left() {
        return left;
    }

    @Override
    public LogicalPlan right() {
        return right;
    }

    /** The group keys over the rows' columns. */
    public Seq<Expression> leftKeys() {
        return leftKeys;
    }

    /** The group keys over the normalizers' columns. */
    public Seq<Expression> rightKeys() {
        return rightKeys;
    }

    /** The prob and log_prob expressions, unnamed. */
    public Seq<Expression> outputs() {
        return outputs;
    }

    /** The prob and log_prob columns: the attributes {@link #outputs} are written to. */
    public Seq<Attribute> outputAttributes() {
        return outputAttributes;
    }

    /** The most bytes of normalizers that are broadcast; more go through the join. */
    public long budget() {
        return budget;
    }

    @Override
    protected LogicalPlan withChildren(LogicalPlan newLeft, LogicalPlan newRight) {
        return new GroupedSoftmax(newLeft, newRight, leftKeys, rightKeys, outputs, outputAttributes, budget);
    }

    @Override
    public Seq<Attribute> output() {
        return outputOf(left, outputAttributes);
    }

    static Seq<Attribute> outputOf(org.apache.spark.sql.catalyst.plans.QueryPlan<?> rows,
            Seq<Attribute> outputAttributes) {
        List<Attribute> output = new ArrayList<>(ScalaCollections.list(rows.output()));
        output.addAll(ScalaCollections.list(outputAttributes));
        return ScalaCollections.seq(output);
    }

    /** The output columns this node adds: the attributes of {@code outputs}, in order. */
    @Override
    public AttributeSet producedAttributes() {
        return AttributeSet$.MODULE$.apply(ScalaCollections.<Expression>seq(new ArrayList<>(
                ScalaCollections.list(outputAttributes))));
    }

    @Override
    public String simpleString(int maxFields) {
        return nodeName() + " keys " + ScalaCollections.list(leftKeys) + ", budget " + budget
                + " bytes: broadcast, join or fold next to the rows, chosen after the aggregate";
    }

    @Override
    public int productArity() {
        return 7;
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
            default: throw new IndexOutOfBoundsException(String.valueOf(n));
        }
    }

    @Override
    public boolean canEqual(Object that) {
        return that instanceof GroupedSoftmax;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof GroupedSoftmax)) {
            return false;
        }
        GroupedSoftmax that = (GroupedSoftmax) o;
        return budget == that.budget && left.equals(that.left) && right.equals(that.right)
                && leftKeys.equals(that.leftKeys) && rightKeys.equals(that.rightKeys) && outputs.equals(that.outputs)
                && outputAttributes.equals(that.outputAttributes);
    }

    @Override
    public int hashCode() {
        return Objects.hash(left, right, leftKeys, rightKeys, outputs, outputAttributes, budget);
    }

    /** The join condition of the keys: their null-safe equalities, ANDed. */
    static Expression condition(Seq<Expression> leftKeys, Seq<Expression> rightKeys) {
        Expression condition = null;
        for (int i = 0; i < leftKeys.size(); i++) {
            Expression equal = new EqualNullSafe(leftKeys.apply(i), rightKeys.apply(i));
            condition = condition == null ? equal : new And(condition, equal);
        }
        return condition;
    }
}
