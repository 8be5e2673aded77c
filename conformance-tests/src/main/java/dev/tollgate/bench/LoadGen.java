package dev.tollgate.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.AtomicHistogram;

/**
 * An HTTP/1.1 load generator that is cheap on CPU and free of coordinated omission.
 *
 * <p>Rate mode is open loop: request {@code i} is due at a fixed intended time ({@link RateSchedule}),
 * any free connection takes the next due request, and latency counts from the intended time, so
 * time spent queued behind a slow response is charged to the server. Max mode is closed loop: each
 * connection sends again as soon as its response ended, which finds the throughput ceiling.
 *
 * <p>Requests before the warm-up ends are sent but not recorded.
 */
public final class LoadGen {

    /** Notified when the measured window opens and after its last request ended (to sample CPU). */
    public interface Window {
        default void opened() {
        }

        default void closed() {
        }

        /** {@code inner} inside {@code outer}: opened after it, closed before it. */
        static Window nested(Window outer, Window inner) {
            return new Window() {
                @Override
                public void opened() {
                    outer.opened();
                    inner.opened();
                }

                @Override
                public void closed() {
                    inner.closed();
                    outer.closed();
                }
            };
        }
    }

    private static final long MAX_TRACKED_NANOS = TimeUnit.SECONDS.toNanos(120);
    /** How long a backlog of due requests may take to drain after the window before the rest count as errors. */
    private static final long DRAIN_GRACE_NANOS = TimeUnit.SECONDS.toNanos(10);
    private static final long START_DELAY_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    private final LoadConfig config;
    private final AtomicHistogram latency = new AtomicHistogram(1, MAX_TRACKED_NANOS, 3);
    private final AtomicHistogram firstByte = new AtomicHistogram(1, MAX_TRACKED_NANOS, 3);
    private final AtomicHistogram sendLag = new AtomicHistogram(1, MAX_TRACKED_NANOS, 3);
    private final LongAdder ok = new LongAdder();
    private final LongAdder errors = new LongAdder();
    private final AtomicLong nextIndex = new AtomicLong();
    private final AtomicLong lastMeasuredDone = new AtomicLong(Long.MIN_VALUE);
    private final AtomicReference<String> firstError = new AtomicReference<>();

    private LoadGen(LoadConfig config) {
        this.config = config;
    }

    public static LoadResult run(LoadConfig config) throws InterruptedException {
        return run(config, new Window() { });
    }

    public static LoadResult run(LoadConfig config, Window window) throws InterruptedException {
        return new LoadGen(config).execute(window);
    }

    private LoadResult execute(Window window) throws InterruptedException {
        long start = System.nanoTime() + START_DELAY_NANOS;
        RateSchedule schedule = null;
        long measureStart;
        long measureEnd;
        if (config.mode() == LoadConfig.Mode.RATE) {
            schedule = RateSchedule.of(start, config.rate(), config.warmup(), config.duration());
            measureStart = schedule.measureStartNanos();
            measureEnd = schedule.measureEndNanos();
        } else {
            measureStart = start + config.warmup().toNanos();
            measureEnd = measureStart + config.duration().toNanos();
        }

        Thread.Builder threads = config.virtualThreads()
                ? Thread.ofVirtual().name("loadgen-", 0)
                : Thread.ofPlatform().daemon().name("loadgen-", 0);
        List<Thread> workers = new ArrayList<>();
        for (int c = 0; c < config.connections(); c++) {
            RateSchedule s = schedule;
            workers.add(threads.start(s != null
                    ? () -> openLoop(s, measureEnd + DRAIN_GRACE_NANOS)
                    : () -> closedLoop(start, measureStart, measureEnd)));
        }
        sleepUntil(measureStart);
        window.opened();
        for (Thread t : workers) {
            t.join();
        }
        window.closed();

        long errorCount = errors.sum();
        if (schedule != null) {
            // Due requests that never went out (the server was too slow to drain the backlog) are failures too.
            errorCount += Math.max(0, schedule.measuredCount() - ok.sum() - errorCount);
        }
        long end = Math.max(lastMeasuredDone.get(), measureEnd);
        double seconds = (end - measureStart) / 1e9;
        return new LoadResult(ok.sum(), errorCount, seconds, ok.sum() / seconds,
                LatencyStats.ofNanos(latency), LatencyStats.ofNanos(firstByte), LatencyStats.ofNanos(sendLag),
                firstError.get());
    }

    private void openLoop(RateSchedule schedule, long deadline) {
        HttpRequest request = config.request();
        try (HttpConnection conn = new HttpConnection(request.host(), request.port())) {
            long i;
            while ((i = nextIndex.getAndIncrement()) < schedule.endIndex()) {
                long intended = schedule.intendedNanos(i);
                sleepUntil(intended);
                long now = System.nanoTime();
                if (now > deadline) {
                    return;
                }
                if (schedule.isMeasured(i)) {
                    sendLag.recordValue(clamp(now - intended));
                }
                exchange(conn, intended, schedule.isMeasured(i));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void closedLoop(long start, long measureStart, long measureEnd) {
        HttpRequest request = config.request();
        try (HttpConnection conn = new HttpConnection(request.host(), request.port())) {
            sleepUntil(start);
            long sentAt;
            while ((sentAt = System.nanoTime()) < measureEnd) {
                if (!exchange(conn, sentAt, sentAt >= measureStart)) {
                    Thread.sleep(1); // a refused connect would otherwise spin a core
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Sends one request and records it when measured; returns false on an I/O failure. */
    private boolean exchange(HttpConnection conn, long from, boolean measured) {
        try {
            Response r = conn.exchange(config.request().bytes());
            long done = System.nanoTime();
            if (!measured) {
                return true;
            }
            if (r.ok()) {
                latency.recordValue(clamp(done - from));
                if (r.firstBodyNanos() >= 0) {
                    firstByte.recordValue(clamp(r.firstBodyNanos() - from));
                }
                ok.increment();
                lastMeasuredDone.accumulateAndGet(done, Math::max);
            } else {
                errors.increment();
                firstError.compareAndSet(null, "HTTP " + r.status());
            }
            return true;
        } catch (IOException | RuntimeException e) {
            if (measured) {
                errors.increment();
                firstError.compareAndSet(null, e.toString());
            }
            return false;
        }
    }

    private static long clamp(long nanos) {
        return Math.max(1, Math.min(nanos, MAX_TRACKED_NANOS));
    }

    static void sleepUntil(long deadlineNanos) throws InterruptedException {
        long left;
        while ((left = deadlineNanos - System.nanoTime()) > 0) {
            LockSupport.parkNanos(left);
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
        }
    }

    // ---- command line ----

    private static final String USAGE = """
            usage: LoadGen --url http://127.0.0.1:PORT/v1/chat/completions
                           (--rate R | --max) [--connections C] [--duration S] [--warmup S]
                           [--stream] [--model NAME | --body-file FILE] [--header 'Name: value']...
                           [--virtual-threads] [--json]
              --rate R        open loop, R requests/s, latency from each request's intended send time
              --max           closed loop: every connection sends again as soon as its response ended
              --stream        ask for an SSE stream ("stream":true); first-byte latency is the first event
              defaults: --connections 16 --duration 20 --warmup 5 --model sim/bench""";

    public static void main(String[] args) throws Exception {
        URI url = null;
        LoadConfig.Mode mode = null;
        double rate = 0;
        int connections = 16;
        long duration = 20;
        long warmup = 5;
        boolean stream = false;
        boolean virtual = false;
        boolean json = false;
        String model = "sim/bench";
        Path bodyFile = null;
        List<String> headers = new ArrayList<>();
        try {
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--url" -> url = URI.create(args[++i]);
                    case "--rate" -> {
                        mode = LoadConfig.Mode.RATE;
                        rate = Double.parseDouble(args[++i]);
                    }
                    case "--max" -> mode = LoadConfig.Mode.MAX;
                    case "--connections" -> connections = Integer.parseInt(args[++i]);
                    case "--duration" -> duration = Long.parseLong(args[++i]);
                    case "--warmup" -> warmup = Long.parseLong(args[++i]);
                    case "--stream" -> stream = true;
                    case "--model" -> model = args[++i];
                    case "--body-file" -> bodyFile = Path.of(args[++i]);
                    case "--header" -> headers.add(args[++i]);
                    case "--virtual-threads" -> virtual = true;
                    case "--json" -> json = true;
                    case "-h", "--help" -> {
                        System.out.println(USAGE);
                        return;
                    }
                    default -> throw new IllegalArgumentException("unknown option " + args[i]);
                }
            }
            if (url == null || mode == null) {
                throw new IllegalArgumentException("--url and one of --rate / --max are required");
            }
        } catch (RuntimeException e) {
            System.err.println("LoadGen: " + e.getMessage());
            System.err.println(USAGE);
            System.exit(2);
            return;
        }
        byte[] body = bodyFile != null ? Files.readAllBytes(bodyFile) : ChatBody.realistic(model, stream);
        LoadConfig config = new LoadConfig(HttpRequest.postJson(url, body, stream, headers), mode, rate,
                connections, Duration.ofSeconds(warmup), Duration.ofSeconds(duration), virtual);
        System.err.printf("LoadGen: %s -> %s (%d-byte body%s)%n",
                config.describe(), url, body.length, stream ? ", streaming" : "");
        LoadResult result = run(config);
        if (json) {
            System.out.println(new ObjectMapper().writeValueAsString(result));
        } else {
            System.out.print(result.format());
        }
    }
}
