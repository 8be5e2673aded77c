package dev.tollgate.server.shared;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One real redis-server for a test class and its nodes' connections to it, started before the
 * class's tests and stopped after them: {@code @RegisterExtension static final SharedRedis redis =
 * SharedRedis.withNodes(2);} then {@code redis.store(0)}, {@code redis.store(1)}.
 */
public final class SharedRedis implements BeforeAllCallback, AfterAllCallback {

    private final int nodes;
    private final List<SharedStore> stores = new ArrayList<>();
    private RedisProcess redis;

    private SharedRedis(int nodes) {
        this.nodes = nodes;
    }

    /** {@code nodes} connections, each as a separate gateway node would hold. */
    public static SharedRedis withNodes(int nodes) {
        return new SharedRedis(nodes);
    }

    /** The first node's connection. */
    public SharedStore store() {
        return store(0);
    }

    public SharedStore store(int node) {
        return stores.get(node);
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        redis = RedisProcess.start(Files.createTempDirectory("tollgate-redis-"));
        for (int i = 0; i < nodes; i++) {
            stores.add(SharedStore.of(redis.url()));
        }
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        for (SharedStore s : stores) {
            s.close();
        }
        stores.clear();
        if (redis != null) {
            redis.close();
        }
    }
}
