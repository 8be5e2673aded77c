package dev.tollgate.server.shared;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A node that starts before its Redis, or outlives one: quick refusals meanwhile, connected once Redis is there. */
class SharedStoreTest {

    private static void awaitReachable(SharedStore store) throws InterruptedException {
        long deadline = System.nanoTime() + 15_000_000_000L;
        while (!store.reachable()) {
            assertTrue(System.nanoTime() < deadline, "not connected within 15 s of Redis coming up");
            Thread.sleep(50);
        }
    }

    @Test
    void connectsOnceRedisComesUpAndReconnectsAfterItDies(@TempDir Path dir) throws Exception {
        RedisProcess.binary();
        int port = RedisProcess.freePort();
        try (SharedStore store = SharedStore.of("redis://127.0.0.1:" + port)) {
            assertFalse(store.reachable());
            StoreUnreachable refused = assertThrows(StoreUnreachable.class, () -> store.call(c -> c.get("k")));
            assertTrue(refused.getMessage().startsWith("Redis at 127.0.0.1:" + port), refused.getMessage());

            RedisProcess redis = RedisProcess.start(dir, port);
            try {
                awaitReachable(store);
                store.call(c -> c.set("k", "v"));
                redis.stop(true);
                assertThrows(StoreUnreachable.class, () -> store.call(c -> c.get("k")));
                redis = RedisProcess.start(dir, port);
                awaitReachable(store);
                String after = store.call(c -> c.get("k"));
                assertEquals(null, after, "a new, empty Redis");
            } finally {
                redis.close();
            }
        }
    }
}
