/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * A real Spark standalone cluster on 127.0.0.1, started from the Maven jars (no Spark
 * download): one Master and two Workers ({@code --cores 1 --memory 1g}), each its own JVM, plus the
 * drivers the tests submit to it, each its own JVM too.
 *
 * <p>The SPARK_HOME is a folder under target/cluster with {@code jars/} linking every jar of
 * the compile and provided classpath (the list comes from the dependency plugin in the
 * {@code pre-integration-test} phase: Spark, Hadoop, Scala; no test jars, not the project's
 * classes) and an empty {@code conf/}. Workers start their executors from it, so the job's
 * classes reach the cluster only in the jar a driver submits. Ports are picked free at run
 * time; every wait polls the Master's {@code /json} (or a log, a driver's REST API) with a
 * bound. Every process started is registered with {@link Processes} and killed at the end.
 */
final class StandaloneCluster implements AutoCloseable {

    static final String HOST = "127.0.0.1";
    static final Duration START_TIMEOUT = Duration.ofSeconds(90);
    static final Duration POLL = Duration.ofMillis(200);
    static final int WORKERS = 2;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2))
            .followRedirects(HttpClient.Redirect.NORMAL).build();

    private final Path root;
    private final Path sparkHome;
    private final Path jobJar;
    private final List<String> jvmOptions;
    private final Path driverLogConfig;
    private Daemon master;
    private final Daemon[] workers = new Daemon[WORKERS];
    private int daemonsStarted;
    private int appsSubmitted;

    /** A Master or Worker JVM: its process, its RPC and web UI ports, its log. */
    record Daemon(String name, Process process, int port, int uiPort, Path log) {
        String uiUrl() {
            return "http://" + HOST + ":" + uiPort;
        }

        long pid() {
            return process.pid();
        }
    }

    private StandaloneCluster(Path root) {
        this.root = root;
        this.sparkHome = root.resolve("spark-home");
        this.jobJar = Path.of(property("softmax.cluster.jar")).toAbsolutePath();
        this.jvmOptions = List.of(property("softmax.cluster.jvmOptions").strip().split("\\s+"));
        this.driverLogConfig = root.resolve("driver-log4j2.properties");
    }

    private static String property(String name) {
        String value = System.getProperty(name);
        if (value == null || value.isBlank()) {
            throw new IllegalStateException("system property " + name + " is not set: run the cluster tests through"
                    + " Maven (mvn verify, see README \"Cluster tests\"), which sets it in failsafe's configuration");
        }
        return value;
    }

    /** Builds the SPARK_HOME, starts the Master and the Workers, and waits until both Workers are ALIVE. */
    static StandaloneCluster start() {
        Path root = Path.of("target", "cluster").toAbsolutePath();
        try {
            Files.createDirectories(root);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Processes.usePidFile(root.resolve("pids.txt"));
        StandaloneCluster cluster = new StandaloneCluster(root);
        long start = System.nanoTime();
        try {
            if (!Files.isRegularFile(cluster.jobJar)) {
                throw new IllegalStateException("no job jar at " + cluster.jobJar + ": the cluster tests run in"
                        + " `mvn verify`, after `package`");
            }
            cluster.buildSparkHome();
            cluster.writeDriverLogConfig();
            cluster.master = cluster.startMaster();
            for (int i = 0; i < WORKERS; i++) {
                cluster.workers[i] = cluster.startWorker(i);
            }
            cluster.awaitHealthy();
        } catch (RuntimeException | Error e) {
            cluster.close();
            throw e;
        }
        System.err.printf("cluster tests: Master and %d Workers up in %.1f s (%s)%n", WORKERS,
                (System.nanoTime() - start) / 1e9, cluster.masterUrl());
        return cluster;
    }

    /** Links every jar of the Spark classpath into jars/; an empty conf/. */
    private void buildSparkHome() {
        Path classpathFile = Path.of(property("softmax.cluster.classpath"));
        try {
            if (!Files.isRegularFile(classpathFile)) {
                throw new IllegalStateException("no classpath file " + classpathFile + ": it is written by the"
                        + " dependency plugin in the pre-integration-test phase (mvn verify)");
            }
            Path jars = sparkHome.resolve("jars");
            if (Files.exists(sparkHome)) {
                try (Stream<Path> walk = Files.walk(sparkHome)) {
                    for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                        Files.delete(p);
                    }
                }
            }
            Files.createDirectories(jars);
            Files.createDirectories(sparkHome.resolve("conf"));
            String classpath = Files.readString(classpathFile, StandardCharsets.UTF_8).strip();
            Set<String> names = new HashSet<>();
            int linked = 0;
            for (String entry : classpath.split(java.io.File.pathSeparator)) {
                Path jar = Path.of(entry);
                if (!entry.endsWith(".jar") || !Files.isRegularFile(jar)) {
                    continue;
                }
                String name = jar.getFileName().toString();
                if (!names.add(name)) {
                    name = (linked) + "-" + name; // same file name from two groups: keep both
                }
                Files.createSymbolicLink(jars.resolve(name), jar.toAbsolutePath());
                linked++;
            }
            if (names.stream().noneMatch(n -> n.startsWith("spark-core_"))) {
                throw new IllegalStateException("no spark-core jar in " + classpathFile);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The drivers log at WARN like the job's own conf/log4j2.properties, plus what the tests
     * read: the web UI's port (Jetty's "Started ServerConnector" line: Spark 4.2 does not log
     * its "Bound SparkUI" line with spark.ui.port=0) and task failures, retries and stage resubmissions
     * (the scheduler at INFO), executors lost and added (the standalone client).
     */
    private void writeDriverLogConfig() {
        String config = String.join("\n",
                "rootLogger.level = warn",
                "rootLogger.appenderRef.stderr.ref = console",
                "appender.console.type = Console",
                "appender.console.name = console",
                "appender.console.target = SYSTEM_ERR",
                "appender.console.layout.type = PatternLayout",
                "appender.console.layout.pattern = %d{HH:mm:ss.SSS} %p %c{1}: %m%n%ex",
                "logger.jetty.name = org.sparkproject.jetty.server.AbstractConnector",
                "logger.jetty.level = info",
                "logger.dag.name = org.apache.spark.scheduler.DAGScheduler",
                "logger.dag.level = info",
                "logger.tsm.name = org.apache.spark.scheduler.TaskSetManager",
                "logger.tsm.level = info",
                "logger.client.name = org.apache.spark.deploy.client.StandaloneAppClient$ClientEndpoint",
                "logger.client.level = info",
                "logger.native.name = org.apache.hadoop.util.NativeCodeLoader",
                "logger.native.level = error",
                "") + "\n";
        try {
            Files.writeString(driverLogConfig, config, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private List<String> java(String heap) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx" + heap);
        command.addAll(jvmOptions);
        return command;
    }

    private String sparkClasspath() {
        return sparkHome.resolve("conf") + java.io.File.pathSeparator + sparkHome.resolve("jars") + "/*";
    }

    private Process launch(List<String> command, Path stdout, Path stderr) {
        try {
            Files.createDirectories(stdout.getParent());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        // Working directory: the log's folder (tests pass absolute paths).
        ProcessBuilder builder = new ProcessBuilder(command).directory(stdout.getParent().toFile());
        Map<String, String> env = builder.environment();
        env.put("SPARK_HOME", sparkHome.toString());
        env.put("SPARK_SCALA_VERSION", "2.13");
        env.put("SPARK_LOCAL_IP", HOST);
        env.remove("SPARK_CONF_DIR");
        env.remove("SPARK_MASTER_OPTS");
        env.remove("SPARK_WORKER_OPTS");
        builder.redirectOutput(stdout.toFile());
        if (stdout.equals(stderr)) {
            builder.redirectErrorStream(true);
        } else {
            builder.redirectError(stderr.toFile());
        }
        try {
            Process process = builder.start();
            Processes.register(process.toHandle());
            return process;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + command, e);
        }
    }

    /** A daemon JVM: no port retries, so a port taken meanwhile makes it exit and we start it again on others. */
    private Daemon startDaemon(String name, List<String> mainAndArgs, int port, int uiPort) {
        List<String> command = java("256m");
        command.add("-Dspark.port.maxRetries=0");
        // The Master's REST submission server has a fixed port (6066) that another cluster on
        // this machine may hold; the tests submit with spark-submit's client mode, not REST.
        command.add("-Dspark.master.rest.enabled=false");
        command.add("-cp");
        command.add(sparkClasspath());
        command.addAll(mainAndArgs);
        Path log = root.resolve("logs").resolve(name + "-" + (++daemonsStarted) + ".log");
        return new Daemon(name, launch(command, log, log), port, uiPort, log);
    }

    private Daemon startMaster() {
        return startUntilReady(
                (port, uiPort) -> startDaemon("master", List.of("org.apache.spark.deploy.master.Master",
                        "--host", HOST, "--port", Integer.toString(port), "--webui-port", Integer.toString(uiPort)),
                        port, uiPort),
                daemon -> "the Master on port " + daemon.port(),
                daemon -> "ALIVE".equals(fetchJson(daemon.uiUrl() + "/json/").path("status").asText()),
                daemon -> "not answering yet");
    }

    private Daemon startWorker(int index) {
        return startUntilReady(
                (port, uiPort) -> {
                    Path workDir = root.resolve("work").resolve("worker-" + index + "-" + (daemonsStarted + 1));
                    return startDaemon("worker" + index, List.of("org.apache.spark.deploy.worker.Worker",
                            "--host", HOST, "--port", Integer.toString(port), "--webui-port", Integer.toString(uiPort),
                            "--cores", "1", "--memory", "1g", "-d", workDir.toString(), masterUrl()), port, uiPort);
                },
                daemon -> "Worker " + index + " on port " + daemon.port() + " to register",
                daemon -> "ALIVE".equals(workerState(daemon.port())),
                daemon -> "state " + workerState(daemon.port()));
    }

    /**
     * Launches a daemon on two free ports and waits until it is ready. A daemon that exits
     * before (most likely a port taken meanwhile) is retried on other ports, up to three
     * times; one alive but not ready in time fails at once, since another try would not help.
     */
    private Daemon startUntilReady(BiFunction<Integer, Integer, Daemon> launch, Function<Daemon, String> what,
            Predicate<Daemon> ready, Function<Daemon, String> notReadyState) {
        AssertionError last = null;
        for (int attempt = 0; attempt < 3; attempt++) {
            Daemon daemon = launch.apply(freePort(), freePort());
            try {
                Poll.untilTrue(what.apply(daemon) + " (log " + daemon.log() + ")", START_TIMEOUT, POLL, () -> {
                    if (!daemon.process().isAlive()) {
                        throw new Poll.Abort("exited: " + tail(daemon.log()));
                    }
                    return ready.test(daemon);
                }, () -> daemon.process().isAlive() ? notReadyState.apply(daemon) : "exited: " + tail(daemon.log()));
                return daemon;
            } catch (AssertionError e) {
                boolean exited = !daemon.process().isAlive();
                Processes.killTree(daemon.process().toHandle(), Duration.ZERO);
                if (!exited) {
                    throw e;
                }
                last = e;
            }
        }
        throw last;
    }

    /** The Master's view of the worker on this RPC port (ALIVE, DEAD, ...), or null if it has none. */
    String workerState(int port) {
        for (JsonNode worker : masterJson().path("workers")) {
            if (worker.path("port").asInt() == port) {
                return worker.path("state").asText();
            }
        }
        return null;
    }

    String masterUrl() {
        return "spark://" + HOST + ":" + master.port();
    }

    Daemon master() {
        return master;
    }

    Daemon worker(int index) {
        return workers[index];
    }

    Path root() {
        return root;
    }

    Path jobJar() {
        return jobJar;
    }

    /** The Master's /json: workers, active and completed applications. */
    JsonNode masterJson() {
        return fetchJson(master.uiUrl() + "/json/");
    }

    /**
     * Before each test: both Workers alive and registered (a Worker a test killed is started
     * again, on new ports), no application running, no executor process left.
     */
    void awaitHealthy() {
        for (int i = 0; i < WORKERS; i++) {
            if (workers[i] == null || !workers[i].process().isAlive()) {
                workers[i] = startWorker(i);
            }
        }
        Poll.untilTrue("both Workers ALIVE and idle, no application running, no executor left", START_TIMEOUT, POLL,
                () -> {
                    JsonNode json = masterJson();
                    if (json.path("activeapps").size() > 0) {
                        return false;
                    }
                    for (Daemon worker : workers) {
                        if (!"ALIVE".equals(workerState(worker.port()))
                                || worker.process().toHandle().children().findAny().isPresent()) {
                            return false;
                        }
                    }
                    return true;
                }, this::describe);
    }

    /** One line on the cluster's state, for failure messages. */
    String describe() {
        StringBuilder text = new StringBuilder();
        try {
            JsonNode json = masterJson();
            text.append("active apps ").append(json.path("activeapps").size()).append("; workers:");
            for (JsonNode worker : json.path("workers")) {
                text.append(' ').append(worker.path("port").asInt()).append('=').append(worker.path("state").asText())
                        .append("/cores used ").append(worker.path("coresused").asInt());
            }
        } catch (RuntimeException e) {
            text.append("Master not answering: ").append(e.getMessage());
        }
        for (Daemon worker : workers) {
            if (worker != null) {
                text.append("; ").append(worker.name()).append(" pid ").append(worker.pid())
                        .append(worker.process().isAlive() ? " alive" : " dead").append(", children ")
                        .append(worker.process().toHandle().children().map(p -> Long.toString(p.pid())).toList());
            }
        }
        return text.toString();
    }

    /** Executor processes (children of the Workers) running for one application, by Worker index. */
    Map<Integer, List<ProcessHandle>> executors(String appId) {
        Map<Integer, List<ProcessHandle>> executors = new LinkedHashMap<>();
        for (int i = 0; i < WORKERS; i++) {
            Daemon worker = workers[i];
            if (worker == null) {
                continue;
            }
            List<ProcessHandle> mine = worker.process().toHandle().children()
                    .filter(p -> isExecutorOf(p.pid(), appId)).toList();
            if (!mine.isEmpty()) {
                executors.put(i, mine);
            }
        }
        return executors;
    }

    private static boolean isExecutorOf(long pid, String appId) {
        List<String> args = Arrays.asList(Processes.commandLine(pid).split(" "));
        int at = args.indexOf("--app-id");
        return args.contains("org.apache.spark.executor.CoarseGrainedExecutorBackend") && at >= 0
                && at + 1 < args.size() && args.get(at + 1).equals(appId);
    }

    /**
     * Kills a Worker with SIGKILL (as a machine lost), first registering its executors, which
     * then lose their Worker and exit by themselves, so that they are killed at the end if not.
     *
     * @return the executors the Worker had
     */
    List<ProcessHandle> killWorker(int index) {
        ProcessHandle worker = workers[index].process().toHandle();
        List<ProcessHandle> executors = worker.children().toList();
        executors.forEach(Processes::register);
        Processes.kill9(worker);
        return executors;
    }

    /**
     * JVM options of the short applications (the bad-input sweep, the soak), for the driver and
     * the executors: the C1 compiler only and the serial GC. A tiny application then takes 20
     * CPU-seconds instead of 42 (driver 10 instead of 19, executors 10 instead of 21, measured
     * on this machine), which is most of what 16 short applications cost on 2 cores. The
     * equivalence and fault runs keep the JVM defaults.
     */
    static final List<String> LIGHT_JVM = List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC");

    /** Submits the job jar to this cluster in a new driver JVM, as spark-submit would. */
    SparkApp submit(String name, List<String> sparkConf, List<String> jobArgs) {
        return launchDriver(name, List.of(), sparkConf, jobArgs);
    }

    /** {@link #submit} for a short application: driver and executors with {@link #LIGHT_JVM}. */
    SparkApp submitLight(String name, List<String> sparkConf, List<String> jobArgs) {
        List<String> conf = new ArrayList<>(sparkConf);
        conf.add("spark.executor.extraJavaOptions=" + String.join(" ", LIGHT_JVM));
        return launchDriver(name, LIGHT_JVM, conf, jobArgs);
    }

    private SparkApp launchDriver(String name, List<String> driverJvm, List<String> sparkConf, List<String> jobArgs) {
        List<String> command = java("1g");
        command.addAll(driverJvm);
        command.add("-Dlog4j2.configurationFile=" + driverLogConfig);
        command.add("-cp");
        command.add(sparkClasspath());
        command.add("org.apache.spark.deploy.SparkSubmit");
        command.addAll(List.of("--master", masterUrl()));
        // The driver's web UI on a port of the kernel's choosing (the log says which): the
        // tests read its REST API to see stages and tasks while they run.
        List<String> conf = new ArrayList<>(List.of("spark.ui.enabled=true", "spark.ui.port=0",
                "spark.ui.showConsoleProgress=false", "spark.ui.liveUpdate.period=0"));
        conf.addAll(sparkConf);
        for (String pair : conf) {
            command.add("--conf");
            command.add(pair);
        }
        command.addAll(List.of("--class", "dev.softmax.job.SoftmaxJob", jobJar.toString()));
        command.addAll(jobArgs);
        Path dir = root.resolve("apps").resolve(String.format("%03d-%s", ++appsSubmitted, name));
        Process process = launch(command, dir.resolve("stdout.txt"), dir.resolve("stderr.txt"));
        return new SparkApp(name, process, dir, command);
    }

    /** GET a JSON document. */
    static JsonNode fetchJson(String url) {
        try {
            HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(url))
                    .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new IllegalStateException("GET " + url + ": HTTP " + response.statusCode());
            }
            return JSON.readTree(response.body());
        } catch (IOException e) {
            throw new UncheckedIOException("GET " + url + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted: GET " + url, e);
        }
    }

    static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The last lines of a file, for failure messages. */
    static String tail(Path file) {
        try {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException e) {
            return "(cannot read " + file + ": " + e.getMessage() + ")";
        }
    }

    /** Stops every process the cluster tests started: drivers, executors, Workers, Master. */
    @Override
    public void close() {
        Processes.stopAll();
    }
}
