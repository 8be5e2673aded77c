package dev.tollgate.providers.upstream;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Enforces upstream timeouts by closing sockets whose deadline passed. One thread checks every
 * 50 ms; reads themselves wait without a timer, which on virtual threads would cost a scheduler
 * wake-up per read.
 */
final class Watchdog {

    private static final long TICK_MILLIS = 50;
    private final Set<Connection> watched = ConcurrentHashMap.newKeySet();

    Watchdog() {
        Thread.ofPlatform().daemon().name("tollgate-upstream-watchdog").start(this::run);
    }

    void watch(Connection connection, long timeoutNanos) {
        connection.deadline = System.nanoTime() + timeoutNanos;
        watched.add(connection);
    }

    void unwatch(Connection connection) {
        watched.remove(connection);
        connection.deadline = 0;
    }

    private void run() {
        while (true) {
            try {
                Thread.sleep(TICK_MILLIS);
            } catch (InterruptedException e) {
                return;
            }
            long now = System.nanoTime();
            for (Connection c : watched) {
                long deadline = c.deadline;
                if (deadline != 0 && now - deadline > 0) {
                    c.timedOut = true;
                    watched.remove(c);
                    c.close();
                }
            }
        }
    }
}
