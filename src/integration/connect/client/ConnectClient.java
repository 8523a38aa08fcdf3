/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */

import static org.apache.spark.sql.functions.call_function;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.expr;

import java.util.HexFormat;
import java.util.List;
import org.apache.spark.sql.Row;

/**
 * ConnectIT's client: a plain Spark Connect client program (the JVM client, no spark-core),
 * run in source-file mode, {@code java -cp CLIENT_CLASSPATH ConnectClient.java URL VALUES ARRAY},
 * so it needs no build step. VALUES is the body of a SQL VALUES clause of (id, g, x) rows,
 * ARRAY a list of SQL double literals. It uses only what a client has: spark.sql, expr,
 * call_function and a temp view, all against functions that the server's
 * spark.sql.extensions registered. Each result row goes to stdout as one line,
 * {@code NAME<TAB>fields}, doubles as their raw IEEE bits in hex and binaries in hex, so the
 * test compares bits; an error as {@code NAME<TAB>ERROR CLASS: MESSAGE}.
 */
public class ConnectClient {

    public static void main(String[] args) {
        String url = args[0];
        var spark = org.apache.spark.sql.connect.SparkSession.builder().remote(url).getOrCreate();
        spark.sql("CREATE OR REPLACE TEMP VIEW t AS SELECT * FROM VALUES " + args[1] + " AS t(id, g, x)");
        var t = spark.table("t");

        print("global", spark.sql("SELECT logsumexp(x) FROM t").collectAsList());
        print("grouped_sql", spark.sql("SELECT g, logsumexp(x) FROM t GROUP BY g").collectAsList());
        print("grouped_call_function", t.groupBy(col("g")).agg(call_function("logsumexp", col("x"))).collectAsList());
        print("window", t.select(col("id"), expr("softmax(x, softmax_state(x) OVER (PARTITION BY g))"),
                expr("log_softmax(x, softmax_state(x) OVER (PARTITION BY g))")).collectAsList());
        // States stored per (group, part), then merged: as daily states merged into a monthly one.
        spark.sql("CREATE OR REPLACE TEMP VIEW parts AS SELECT g, id % 3 AS part, softmax_state(x) AS s FROM t"
                + " GROUP BY g, id % 3");
        print("merged", spark.sql("SELECT g, softmax_state_merge(s), logsumexp_of_state(softmax_state_merge(s))"
                + " FROM parts GROUP BY g").collectAsList());
        print("array", spark.sql("SELECT array_softmax(array(" + args[2] + ")), array_logsumexp(array(" + args[2]
                + "))").collectAsList());
        try {
            print("bad_type", spark.sql("SELECT softmax(x, x) FROM t").collectAsList());
        } catch (Exception e) { // AnalysisException is a checked exception in Java terms
            System.out.println("bad_type\tERROR " + e.getClass().getName() + ": " + e.getMessage().replace('\n', ' '));
        }
        spark.close();
    }

    private static void print(String name, List<Row> rows) {
        for (Row row : rows) {
            StringBuilder line = new StringBuilder(name).append('\t');
            for (int i = 0; i < row.length(); i++) {
                line.append(i == 0 ? "" : " ").append(text(row.get(i)));
            }
            System.out.println(line);
        }
    }

    private static String text(Object value) {
        if (value == null) {
            return "null";
        } else if (value instanceof Double d) {
            return "0x" + Long.toHexString(Double.doubleToRawLongBits(d));
        } else if (value instanceof byte[] bytes) {
            return HexFormat.of().formatHex(bytes);
        } else if (value instanceof scala.collection.Seq<?> seq) {
            StringBuilder list = new StringBuilder("[");
            for (int i = 0; i < seq.length(); i++) {
                list.append(i == 0 ? "" : ",").append(text(seq.apply(i)));
            }
            return list.append(']').toString();
        }
        return value.toString();
    }
}
