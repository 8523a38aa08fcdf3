/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.spark;

import static org.assertj.core.api.Assertions.assertThat;

import dev.softmax.cluster.Poll;
import dev.softmax.core.ExactLogSumExp;
import dev.softmax.core.Normalizer;
import dev.softmax.core.Softmax;
import dev.softmax.core.SoftmaxMode;
import dev.softmax.integration.ChildJvm;
import dev.softmax.integration.ItEnvironment;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The SQL functions from a Spark Connect client. A Spark Connect server
 * ({@code SparkConnectServer} under SparkSubmit, local[2], with
 * {@code spark.sql.extensions=dev.softmax.spark.SoftmaxExtensions} and the packaged job jar on
 * its classpath) listens on a free port of 127.0.0.1 in one child JVM; the JVM Connect client
 * runs {@code src/integration/connect/client/ConnectClient.java} in another, on the client's own
 * classpath (no spark-core), in source-file mode. Every number the client gets is compared bit
 * for bit with the core ({@link Softmax}, {@link ExactLogSumExp}) computed here: global and
 * grouped logsumexp (SQL and call_function), the window form, stored states merged, the array
 * functions; and a bad argument type reaches the client as the project's analysis error.
 */
class ConnectIT {

    private static final Duration START_TIMEOUT = Duration.ofMinutes(2);

    private static Path root;
    private static ChildJvm server;
    private static int port;

    @BeforeAll
    static void startServer() {
        root = ItEnvironment.freshDirectory("connect");
        List<String> classpath = new ArrayList<>();
        classpath.add(ItEnvironment.jobJar().toString());
        classpath.addAll(ItEnvironment.classpathFile("softmax.connect.serverClasspath"));
        List<String> jvm = new ArrayList<>(List.of("-Xmx1g", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"));
        jvm.addAll(ItEnvironment.sparkJvmOptions());
        jvm.add("-Dlog4j2.configurationFile=" + ItEnvironment.log4jConfig());
        long start = System.nanoTime();
        for (int attempt = 1; server == null; attempt++) {
            port = ItEnvironment.freePort();
            ChildJvm child = ChildJvm.start("connect-server", root.resolve("server-" + attempt), classpath, jvm,
                    "org.apache.spark.deploy.SparkSubmit", List.of("--master", "local[2]",
                            "--conf", "spark.sql.extensions=dev.softmax.spark.SoftmaxExtensions",
                            "--conf", "spark.connect.grpc.binding.address=" + ItEnvironment.HOST,
                            "--conf", "spark.connect.grpc.binding.port=" + port,
                            "--conf", "spark.ui.enabled=false",
                            "--conf", "spark.driver.host=" + ItEnvironment.HOST,
                            "--conf", "spark.sql.shuffle.partitions=4",
                            "--class", "org.apache.spark.sql.connect.service.SparkConnectServer", "spark-internal"));
            try {
                Poll.untilTrue("the Spark Connect server to listen on " + ItEnvironment.HOST + ":" + port,
                        START_TIMEOUT, Duration.ofMillis(200), () -> {
                            if (!child.isAlive()) {
                                throw new Poll.Abort("the server exited; stderr ends:\n"
                                        + ChildJvm.lastLines(child.stderr(), 40));
                            }
                            try (Socket socket = new Socket()) {
                                socket.connect(new InetSocketAddress(ItEnvironment.HOST, port), 500);
                                return true;
                            } catch (IOException e) {
                                return false;
                            }
                        }, () -> ChildJvm.lastLines(child.stderr(), 10));
                server = child;
            } catch (AssertionError e) {
                child.stop();
                if (attempt == 3 || child.stderr().isEmpty()) {
                    throw e;
                }
                // most likely the port was taken meanwhile: another one
            }
        }
        System.err.printf("ConnectIT: Spark Connect server (pid %d) listening on %s:%d after %.1f s%n", server.pid(),
                ItEnvironment.HOST, port, (System.nanoTime() - start) / 1e9);
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            server.stop();
        }
    }

    /** One input row. */
    private record Input(int id, String g, Double x) {
    }

    @Test
    void aConnectClientGetsTheCoresBits() {
        List<Input> rows = rows();
        List<Double> array = List.of(1000.0, 999.5, -1000.0, Double.NEGATIVE_INFINITY, 0.1, 1e-300, 0.1);
        String values = rows.stream().map(r -> "(" + r.id() + ", '" + r.g() + "', " + literal(r.x()) + ")")
                .collect(Collectors.joining(", "));
        String arrayLiteral = array.stream().map(ConnectIT::literal).collect(Collectors.joining(", "));

        long start = System.nanoTime();
        List<String> classpath = ItEnvironment.classpathFile("softmax.connect.clientClasspath");
        List<String> jvm = new ArrayList<>(List.of("-Xmx512m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"));
        jvm.addAll(ItEnvironment.sparkJvmOptions());
        ChildJvm.Result client = ChildJvm.start("connect-client", root.resolve("client"), classpath, jvm,
                ItEnvironment.property("softmax.connect.client"),
                List.of("sc://" + ItEnvironment.HOST + ":" + port, values, arrayLiteral)).await(START_TIMEOUT)
                .succeeded();
        System.err.printf("ConnectIT: the client ran in %.1f s%n", (System.nanoTime() - start) / 1e9);
        Map<String, List<String>> got = parse(client.out());

        // The core, in this JVM.
        Map<String, double[]> groups = new TreeMap<>();
        for (String g : rows.stream().map(Input::g).distinct().toList()) {
            groups.put(g, values(rows.stream().filter(r -> r.g().equals(g)).toList()));
        }
        double[] all = values(rows);
        assertThat(got.get("global")).containsExactly(bits(Softmax.logSumExp(all)));

        List<String> grouped = new ArrayList<>();
        List<String> merged = new ArrayList<>();
        groups.forEach((g, x) -> {
            grouped.add(g + " " + bits(Softmax.logSumExp(x)));
            merged.add(g + " " + HexFormat.of().formatHex(ExactLogSumExp.of(x).toBytes()) + " "
                    + bits(Softmax.logSumExp(x)));
        });
        assertThat(got.get("grouped_sql")).isEqualTo(grouped);
        assertThat(got.get("grouped_call_function")).isEqualTo(grouped);
        assertThat(got.get("merged")).isEqualTo(merged);

        Map<String, Normalizer> normalizers = new LinkedHashMap<>();
        groups.forEach((g, x) -> normalizers.put(g, Softmax.normalizer(x, SoftmaxMode.EXACT)));
        List<String> window = new ArrayList<>();
        for (Input row : rows) {
            Normalizer n = normalizers.get(row.g());
            window.add(row.id() + " " + (row.x() == null ? "null null"
                    : bits(n.prob(row.x())) + " " + bits(n.logProb(row.x()))));
        }
        window.sort(null);
        assertThat(got.get("window")).isEqualTo(window);

        double[] arrayValues = array.stream().mapToDouble(Double::doubleValue).toArray();
        String probs = java.util.Arrays.stream(Softmax.softmax(arrayValues)).mapToObj(ConnectIT::bits)
                .collect(Collectors.joining(",", "[", "]"));
        assertThat(got.get("array")).containsExactly(probs + " " + bits(Softmax.logSumExp(arrayValues)));

        assertThat(got.get("bad_type")).singleElement().asString()
                .startsWith("ERROR org.apache.spark.sql.AnalysisException: [UNEXPECTED_INPUT_TYPE] Parameter 2 (state)"
                        + " of function `softmax` requires the \"BINARY\" (a state from softmax_state or"
                        + " softmax_state_merge) or \"STRUCT\" (a normalizer from softmax_normalizer")
                .contains("however \"t.x\" has the type \"DOUBLE\"");
    }

    // ---- helpers ------------------------------------------------------------------------------

    /** 90 rows in three groups: values over many binades, ties, a -inf beside finite values, nulls. */
    private static List<Input> rows() {
        Random random = new Random(15);
        List<Input> rows = new ArrayList<>();
        for (int id = 0; id < 90; id++) {
            String g = List.of("a", "b", "c").get(id % 3);
            Double x = switch (id % 10) {
                case 1 -> null;
                case 2 -> g.equals("c") ? Double.NEGATIVE_INFINITY : 700.25;
                case 3 -> Math.scalb(random.nextDouble(), random.nextInt(40) - 20);
                case 4 -> -Math.scalb(random.nextDouble(), random.nextInt(2000) - 1000);
                default -> random.nextGaussian() * 20;
            };
            rows.add(new Input(id, g, x));
        }
        return rows;
    }

    private static double[] values(List<Input> rows) {
        return rows.stream().filter(r -> r.x() != null).mapToDouble(Input::x).toArray();
    }

    /** A SQL literal with exactly these bits: a string cast, which parses as Java does. */
    private static String literal(Double x) {
        if (x == null) {
            return "CAST(NULL AS DOUBLE)";
        }
        return "CAST('" + (x == Double.NEGATIVE_INFINITY ? "-Infinity" : Double.toString(x)) + "' AS DOUBLE)";
    }

    private static String bits(double x) {
        return "0x" + Long.toHexString(Double.doubleToRawLongBits(x));
    }

    /** The client's lines by name, each name's lines sorted. */
    private static Map<String, List<String>> parse(String out) {
        Map<String, List<String>> byName = new TreeMap<>();
        for (String line : out.lines().toList()) {
            int tab = line.indexOf('\t');
            if (tab > 0) {
                byName.computeIfAbsent(line.substring(0, tab), k -> new ArrayList<>()).add(line.substring(tab + 1));
            }
        }
        byName.values().forEach(lines -> lines.sort(null));
        return byName;
    }
}
