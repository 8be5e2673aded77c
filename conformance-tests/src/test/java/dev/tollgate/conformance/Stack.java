package dev.tollgate.conformance;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The provider simulator and the gateway, each started as its own process through the operator's
 * commands ({@code bin/provider-sim}, {@code bin/tollgate serve}), on free loopback ports.
 */
final class Stack implements AutoCloseable {

    static final Path HOME = Path.of(System.getProperty("tollgate.home", "..")).toAbsolutePath().normalize();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    final int simPort;
    final int gatewayPort;
    final Path workDir;
    private final List<Process> processes = new ArrayList<>();
    private final java.util.Map<String, String> env;
    private Process gatewayProcess;
    /** Flags every gateway of this stack gets besides port, policy and state dir ({@code --redis URL}). */
    private List<String> gatewayFlags = List.of();
    /** Put before the gateway's command ({@code prlimit --nofile=N:N --}). */
    private List<String> gatewayPrefix = List.of();
    private Process redisProcess;
    private int redisPort;

    private Stack(int simPort, int gatewayPort, Path workDir, java.util.Map<String, String> env) {
        this.simPort = simPort;
        this.gatewayPort = gatewayPort;
        this.workDir = workDir;
        this.env = env;
    }

    /**
     * @param policyYaml the policy, in which {@code SIM_PORT} stands for the simulator's port
     */
    static Stack start(String name, String policyYaml) throws Exception {
        return start(name, policyYaml, java.util.Map.of(), false);
    }

    /** @param env added to both processes' environment (provider credentials, the simulator's test keys) */
    static Stack start(String name, String policyYaml, java.util.Map<String, String> env) throws Exception {
        return start(name, policyYaml, env, false);
    }

    /**
     * The same with a {@code redis-server} (127.0.0.1, nothing persisted) that the gateway shares state
     * through; {@link #startNode} adds more gateways sharing it.
     */
    static Stack startShared(String name, String policyYaml) throws Exception {
        return start(name, policyYaml, java.util.Map.of(), true);
    }

    /**
     * The same with the gateway started under {@code prlimit --nofile=N:N} (at most N open file descriptors,
     * soft and hard) and these extra serve flags.
     */
    static Stack startLimited(String name, String policyYaml, int nofile, List<String> flags) throws Exception {
        return start(name, policyYaml, java.util.Map.of(), false, List.of("/usr/bin/prlimit", "--nofile=" + nofile + ":" + nofile, "--"), flags);
    }

    private static Stack start(String name, String policyYaml, java.util.Map<String, String> env, boolean shared) throws Exception {
        return start(name, policyYaml, env, shared, List.of(), List.of());
    }

    private static Stack start(String name, String policyYaml, java.util.Map<String, String> env, boolean shared,
                               List<String> prefix, List<String> flags) throws Exception {
        Path work = Files.createTempDirectory("tollgate-" + name + "-");
        Stack stack = new Stack(freePort(), freePort(), work, java.util.Map.copyOf(env));
        stack.gatewayPrefix = prefix;
        stack.gatewayFlags = flags;
        try {
            Path policy = Files.createDirectories(work.resolve("policy"));
            Files.writeString(policy.resolve("policy.yaml"), policyYaml.replace("SIM_PORT", String.valueOf(stack.simPort)));
            if (shared) {
                stack.redisPort = freePort();
                stack.startRedis();
                stack.gatewayFlags = java.util.stream.Stream.concat(flags.stream(),
                        java.util.stream.Stream.of("--redis", "redis://127.0.0.1:" + stack.redisPort)).toList();
            }
            stack.spawn("sim", List.of(HOME.resolve("bin/provider-sim").toString(), "--port", String.valueOf(stack.simPort)));
            stack.awaitOk("http://127.0.0.1:" + stack.simPort + "/v1/models");
            stack.startGateway();
            return stack;
        } catch (Exception e) {
            stack.close();
            throw e;
        }
    }

    /** Starts (or starts again) the gateway on the same port, policy and state directory. */
    void startGateway() throws Exception {
        gatewayProcess = spawnGateway("gateway", gatewayPort, workDir.resolve("state"));
    }

    /** Another gateway node on its own port and state directory, same policy and shared state; returns its port. */
    int startNode(String name) throws Exception {
        int port = freePort();
        spawnGateway(name, port, workDir.resolve("state-" + name));
        return port;
    }

    private Process spawnGateway(String name, int port, Path state) throws Exception {
        List<String> command = new ArrayList<>(gatewayPrefix);
        command.addAll(List.of(HOME.resolve("bin/tollgate").toString(), "serve", "--port", String.valueOf(port),
                "--policy", workDir.resolve("policy").toString(), "--state-dir", state.toString()));
        command.addAll(gatewayFlags);
        Process p = spawn(name, command);
        awaitOk("http://127.0.0.1:" + port + "/health/ready");
        return p;
    }

    /** (Re)starts the stack's Redis on its port; fails, not skips, without redis-server when TOLLGATE_REQUIRE_REDIS=1. */
    void startRedis() throws Exception {
        Path bin = Path.of("/usr/bin/redis-server");
        if (!Files.isExecutable(bin) && "1".equals(System.getenv("TOLLGATE_REQUIRE_REDIS"))) {
            throw new AssertionError("redis-server is required: apt-get install -y redis-server (or make redis)");
        }
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(bin), "redis-server not installed (apt-get install -y redis-server)");
        Path dir = Files.createDirectories(workDir.resolve("redis"));
        redisProcess = spawn("redis", List.of(bin.toString(), "--port", String.valueOf(redisPort), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", dir.toString()));
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!redis("PING").equals("PONG")) {
            if (!redisProcess.isAlive() || System.nanoTime() > deadline) {
                throw new IllegalStateException("redis-server did not come up: " + logs());
            }
            Thread.sleep(20);
        }
    }

    /** kill -9 of the stack's Redis by its PID: everything in it is gone. */
    void killRedis() throws InterruptedException {
        redisProcess.destroyForcibly();
        redisProcess.waitFor();
        processes.remove(redisProcess);
    }

    /** One Redis command through redis-cli (installed with redis-server); its answer, or "" when Redis is not there. */
    String redis(String... command) throws IOException, InterruptedException {
        List<String> cli = new ArrayList<>(List.of("/usr/bin/redis-cli", "-h", "127.0.0.1", "-p", String.valueOf(redisPort)));
        cli.addAll(List.of(command));
        Process p = new ProcessBuilder(cli).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).stripTrailing(); // a nil is an empty line
        return p.waitFor() == 0 && !out.startsWith("Could not connect") ? out : "";
    }

    /** kill -9: no shutdown hook, no drain, nothing flushed. */
    void killGateway() throws InterruptedException {
        gatewayProcess.destroyForcibly();
        gatewayProcess.waitFor();
        processes.remove(gatewayProcess);
    }

    String gateway(String path) {
        return "http://127.0.0.1:" + gatewayPort + path;
    }

    String sim(String path) {
        return "http://127.0.0.1:" + simPort + path;
    }

    HttpResponse<String> get(String url) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> post(String url, String json) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> put(String url, String json) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).header("content-type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<Void> head(String url) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).method("HEAD", HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.discarding());
    }

    void delete(String url) throws IOException, InterruptedException {
        HTTP.send(HttpRequest.newBuilder(URI.create(url)).DELETE().build(), HttpResponse.BodyHandlers.discarding());
    }

    private Process spawn(String name, List<String> command) throws IOException {
        Path log = workDir.resolve(name + ".log");
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().putAll(env);
        Process p = builder
                .directory(HOME.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .start();
        processes.add(p);
        return p;
    }

    /** Polls until the URL answers 200: the process is up. Fails with the logs after 30 s. */
    private void awaitOk(String url) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            for (Process p : processes) {
                if (!p.isAlive()) {
                    throw new IllegalStateException("a process exited early: " + logs());
                }
            }
            try {
                if (get(url).statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException(url + " did not come up in 30 s: " + logs());
    }

    String logs() throws IOException {
        StringBuilder all = new StringBuilder();
        try (var files = Files.list(workDir)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".log")).toList()) {
                all.append("\n--- ").append(f.getFileName()).append(" ---\n").append(Files.readString(f));
            }
        }
        return all.toString();
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** Ends only the processes this stack started, by their handles. */
    @Override
    public void close() {
        for (Process p : processes.reversed()) {
            p.destroy();
        }
        for (Process p : processes) {
            try {
                if (!p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
