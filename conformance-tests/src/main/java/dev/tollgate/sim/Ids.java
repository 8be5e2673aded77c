package dev.tollgate.sim;

import java.util.concurrent.atomic.AtomicLong;

/** Unique-looking ids from one counter: cheap, and distinct across restarts (seeded by the clock). */
final class Ids {
    private static final AtomicLong NEXT = new AtomicLong((System.currentTimeMillis() & 0xFFFFFFFFFL) << 12);

    private Ids() {
    }

    static String next(String prefix) {
        return prefix + Long.toString(NEXT.incrementAndGet(), 36);
    }
}
