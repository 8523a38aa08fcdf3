/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.spark.catalyst;

import java.io.Serializable;
import java.lang.reflect.Constructor;
import org.apache.spark.sql.execution.ExternalAppendOnlyUnsafeRowArray;
import org.apache.spark.sql.internal.SQLConf;

/**
 * Spark's buffer of a window's rows ({@code ExternalAppendOnlyUnsafeRowArray}: a few rows on
 * the heap, then Spark's managed memory, spilled to disk under memory pressure), made with the
 * session's {@code spark.sql.windowExec.buffer.*} thresholds read on the driver. Its
 * constructor differs between Spark lines (4.1 added size thresholds), hence reflection, once
 * per task.
 */
final class RowBuffers implements Serializable {
    private static final long serialVersionUID = 1L;

    private final int inMemoryThreshold;
    private final int spillThreshold;
    private final long spillSizeThreshold;

    private RowBuffers(int inMemoryThreshold, int spillThreshold, long spillSizeThreshold) {
        this.inMemoryThreshold = inMemoryThreshold;
        this.spillThreshold = spillThreshold;
        this.spillSizeThreshold = spillSizeThreshold;
    }

    /** The session's thresholds (no size threshold before Spark 4.1). */
    static RowBuffers of(SQLConf conf) {
        long spillSize = Long.MAX_VALUE;
        try {
            spillSize = (Long) SQLConf.class.getMethod("windowExecBufferSpillSizeThreshold").invoke(conf);
        } catch (NoSuchMethodException e) {
            // Spark 3.5 and 4.0: rows only
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("SQLConf.windowExecBufferSpillSizeThreshold", e);
        }
        return new RowBuffers(conf.windowExecBufferInMemoryThreshold(), conf.windowExecBufferSpillThreshold(),
                spillSize);
    }

    /** A new, empty buffer (in a task: it takes the task's memory manager). */
    ExternalAppendOnlyUnsafeRowArray create() {
        try {
            for (Constructor<?> constructor : ExternalAppendOnlyUnsafeRowArray.class.getConstructors()) {
                Class<?>[] types = constructor.getParameterTypes();
                if (types.length == 2 && types[0] == int.class && types[1] == int.class) {
                    return (ExternalAppendOnlyUnsafeRowArray) constructor.newInstance(inMemoryThreshold,
                            spillThreshold);
                }
                if (types.length == 4 && types[0] == int.class && types[1] == long.class) {
                    // (in-memory rows, in-memory bytes, spill rows, spill bytes), as Spark's joins call it
                    return (ExternalAppendOnlyUnsafeRowArray) constructor.newInstance(inMemoryThreshold,
                            spillSizeThreshold, spillThreshold, spillSizeThreshold);
                }
            }
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("ExternalAppendOnlyUnsafeRowArray", e);
        }
        throw new IllegalStateException("ExternalAppendOnlyUnsafeRowArray: no known constructor in this Spark");
    }
}
