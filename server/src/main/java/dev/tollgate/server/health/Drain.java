package dev.tollgate.server.health;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/** Counts requests in flight so shutdown can refuse new ones and wait for open streams to finish. */
public final class Drain {

    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicBoolean draining = new AtomicBoolean();
    private final Object idle = new Object();

    /** {@code false} once draining: the caller must refuse the request. */
    public boolean enter() {
        inFlight.incrementAndGet();
        if (draining.get()) {
            exit();
            return false;
        }
        return true;
    }

    public void exit() {
        if (inFlight.decrementAndGet() == 0 && draining.get()) {
            synchronized (idle) {
                idle.notifyAll();
            }
        }
    }

    public boolean draining() {
        return draining.get();
    }

    public int inFlight() {
        return inFlight.get();
    }

    /** Stops admitting requests and waits up to {@code bound} for those in flight; true if all finished. */
    public boolean drain(Duration bound) throws InterruptedException {
        draining.set(true);
        long deadline = System.nanoTime() + bound.toNanos();
        synchronized (idle) {
            while (inFlight.get() > 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                idle.wait(Math.max(1, left / 1_000_000));
            }
        }
        return true;
    }
}
