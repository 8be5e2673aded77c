package dev.tollgate.server.shared;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A real {@code redis-server} for a test: its own free port on 127.0.0.1, nothing persisted, stopped
 * by its PID. Skipped when Redis is not installed, unless TOLLGATE_REQUIRE_REDIS=1 (make test and
 * .ci/run install it and set that), which fails instead.
 */
public final class RedisProcess implements AutoCloseable {

    private final Process process;
    private final int port;

    private RedisProcess(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    public static Path binary() {
        Path bin = Path.of("/usr/bin/redis-server");
        boolean present = Files.isExecutable(bin);
        if (!present && "1".equals(System.getenv("TOLLGATE_REQUIRE_REDIS"))) {
            throw new AssertionError("redis-server is required: apt-get install -y redis-server (or make redis)");
        }
        Assumptions.assumeTrue(present, "redis-server not installed (apt-get install -y redis-server)");
        return bin;
    }

    public static RedisProcess start(Path dir) throws Exception {
        return start(dir, freePort());
    }

    /** On a given port: a restarted Redis comes back where the gateway expects it. */
    public static RedisProcess start(Path dir, int port) throws Exception {
        Files.createDirectories(dir);
        Process p = new ProcessBuilder(List.of(binary().toString(), "--port", String.valueOf(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", dir.toString()))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("redis.log").toFile()))
                .start();
        RedisProcess redis = new RedisProcess(p, port);
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!redis.answers()) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                redis.close();
                throw new IllegalStateException("redis-server did not come up on port " + port + ": " + Files.readString(dir.resolve("redis.log")));
            }
            Thread.sleep(20);
        }
        return redis;
    }

    public String url() {
        return "redis://127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    public long pid() {
        return process.pid();
    }

    private boolean answers() {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.getOutputStream().write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            byte[] buf = new byte[7];
            int n = in.readNBytes(buf, 0, 7);
            return n == 7 && new String(buf, StandardCharsets.US_ASCII).startsWith("+PONG");
        } catch (IOException e) {
            return false;
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** Stops this Redis (kill -9 when {@code hard}: nothing flushed, clients see the connection drop). */
    public void stop(boolean hard) throws InterruptedException {
        if (hard) {
            process.destroyForcibly();
        } else {
            process.destroy();
        }
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor();
        }
    }

    @Override
    public void close() throws InterruptedException {
        stop(false);
    }
}
