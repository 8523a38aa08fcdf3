/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.spark.catalyst;

import java.util.List;
import java.util.Map;
import scala.collection.JavaConverters;

/** Shim, Scala 2.12: Java and Scala collections, through {@code JavaConverters} (2.13 moved them). */
public final class ScalaCollections {
    private ScalaCollections() {}

    /** An immutable Scala sequence of the list's elements. */
    public static <T> scala.collection.immutable.Seq<T> seq(List<T> list) {
        return JavaConverters.asScalaBuffer(list).toList();
    }

    /** A Java view of a Scala sequence. */
    public static <T> List<T> list(scala.collection.Seq<T> seq) {
        return JavaConverters.seqAsJavaList(seq);
    }

    /** An immutable Scala map of the map's entries. */
    public static <K, V> scala.collection.immutable.Map<K, V> map(Map<K, V> map) {
        scala.collection.immutable.Map<K, V> result = scala.collection.immutable.Map$.MODULE$.empty();
        for (Map.Entry<K, V> entry : map.entrySet()) {
            result = result.updated(entry.getKey(), entry.getValue());
        }
        return result;
    }

    /** A Scala iterator over the list's elements. */
    public static <T> scala.collection.Iterator<T> iterator(List<T> list) {
        return JavaConverters.asScalaIterator(list.iterator());
    }

    /** An immutable Scala set of the set's elements. */
    public static <T> scala.collection.immutable.Set<T> set(java.util.Set<T> set) {
        return JavaConverters.asScalaSet(set).toSet();
    }
}
