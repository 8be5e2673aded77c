package dev.tollgate.providers.upstream;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;

/**
 * Enforces upstream timeouts by closing sockets whose deadline passed. One thread checks every
 * 50 ms while any call is watched, and sleeps otherwise; reads themselves wait without a timer,
 * which on virtual threads would cost a scheduler wake-up per read.
 */
final class Watchdog {

    private static final long TICK_MILLIS = 50;
    private final Set<Connection> watched = ConcurrentHashMap.newKeySet();
    private final Thread thread;
    /** The thread is parked, or about to, because nothing was watched. */
    private volatile boolean idle;

    Watchdog() {
        thread = Thread.ofPlatform().daemon().name("tollgate-upstream-watchdog").start(this::run);
    }

    void watch(Connection connection, long timeoutNanos) {
        connection.deadline = System.nanoTime() + timeoutNanos;
        watched.add(connection);
        if (idle) {
            idle = false;
            LockSupport.unpark(thread);
        }
    }

    void unwatch(Connection connection) {
        watched.remove(connection);
        connection.deadline = 0;
    }

    private void run() {
        while (true) {
            if (watched.isEmpty()) {
                idle = true;
                // watch() adds before it reads idle, and this reads watched after writing idle: one of them sees the other
                if (watched.isEmpty()) {
                    LockSupport.park(this);
                }
                idle = false;
                if (Thread.interrupted()) {
                    return;
                }
            }
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
