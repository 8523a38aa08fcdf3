/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.spark.catalyst;

import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.catalyst.expressions.Expression;

/**
 * What Spark's Scala case classes get from the compiler, for the project's Catalyst nodes
 * written in Java: the node is a {@link scala.Product} of its constructor arguments, in order
 * ({@code TreeNode.makeCopy} copies a node with them), and equality and hash are over the same.
 * A node lists them once, in {@link #fields()}; the three bases ({@link ProductExpression},
 * {@link ProductDeclarativeAggregate}, {@link ProductTypedImperativeAggregate}) do the rest.
 * Three, because a Java class has one superclass and Spark's three node types are classes;
 * what can live in this interface does, and each base keeps only the methods an interface
 * cannot give (equality, and the Scala-version-dependent {@code withNewChildrenInternal}).
 */
public interface CatalystProduct extends scala.Product {

    /** The constructor arguments, in order. */
    Object[] fields();

    /** This node with new children, in the order of {@code children()}. */
    Expression withChildren(List<Expression> newChildren);

    @Override
    default int productArity() {
        return fields().length;
    }

    @Override
    default Object productElement(int n) {
        return fields()[n];
    }

    @Override
    default boolean canEqual(Object other) {
        return other != null && other.getClass() == getClass();
    }

    /** Equality of two nodes: same class, equal fields. */
    static boolean equal(CatalystProduct node, Object other) {
        return node == other || node.canEqual(other)
                && Arrays.equals(node.fields(), ((CatalystProduct) other).fields());
    }

    /** The hash of a node's fields. */
    static int hash(CatalystProduct node) {
        return Arrays.hashCode(node.fields());
    }
}
