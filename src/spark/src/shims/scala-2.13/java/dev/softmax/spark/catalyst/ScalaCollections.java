/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.spark.catalyst;

import java.util.List;
import java.util.Map;
import scala.jdk.javaapi.CollectionConverters;

/** Shim, Scala 2.13: Java and Scala collections, through {@code scala.jdk.javaapi}. */
public final class ScalaCollections {
    private ScalaCollections() {}

    /** An immutable Scala sequence of the list's elements. */
    public static <T> scala.collection.immutable.Seq<T> seq(List<T> list) {
        return CollectionConverters.asScala(list).toSeq();
    }

    /** A Java view of a Scala sequence. */
    public static <T> List<T> list(scala.collection.Seq<T> seq) {
        return CollectionConverters.asJava(seq);
    }

    /** An immutable Scala map of the map's entries. */
    public static <K, V> scala.collection.immutable.Map<K, V> map(Map<K, V> map) {
        return scala.collection.immutable.Map.from(CollectionConverters.asScala(map));
    }

    /** A Scala iterator over the list's elements. */
    public static <T> scala.collection.Iterator<T> iterator(List<T> list) {
        return CollectionConverters.asScala(list.iterator());
    }

    /** An immutable Scala set of the set's elements. */
    public static <T> scala.collection.immutable.Set<T> set(java.util.Set<T> set) {
        return scala.collection.immutable.Set$.MODULE$.from(CollectionConverters.asScala(set));
    }
}
