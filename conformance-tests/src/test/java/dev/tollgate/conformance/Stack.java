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
        return start(name, policyYaml, java.util.Map.of());
    }

    /** @param env added to both processes' environment (provider credentials, the simulator's test keys) */
    static Stack start(String name, String policyYaml, java.util.Map<String, String> env) throws Exception {
        Path work = Files.createTempDirectory("tollgate-" + name + "-");
        Stack stack = new Stack(freePort(), freePort(), work, java.util.Map.copyOf(env));
        try {
            Path policy = Files.createDirectories(work.resolve("policy"));
            Files.writeString(policy.resolve("policy.yaml"), policyYaml.replace("SIM_PORT", String.valueOf(stack.simPort)));
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
        gatewayProcess = spawn("gateway", List.of(HOME.resolve("bin/tollgate").toString(), "serve", "--port", String.valueOf(gatewayPort),
                "--policy", workDir.resolve("policy").toString(), "--state-dir", workDir.resolve("state").toString()));
        awaitOk(gateway("/health/ready"));
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
