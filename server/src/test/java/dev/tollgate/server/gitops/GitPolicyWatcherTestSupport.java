package dev.tollgate.server.gitops;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/** Waiting on a condition with a deadline, never on a fixed sleep. */
public final class GitPolicyWatcherTestSupport {

    private GitPolicyWatcherTestSupport() {
    }

    public static void awaitMore(AtomicInteger counter, int atLeast) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (counter.get() < atLeast) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("load stalled at " + counter.get() + " requests");
            }
            Thread.sleep(1);
        }
    }
}
