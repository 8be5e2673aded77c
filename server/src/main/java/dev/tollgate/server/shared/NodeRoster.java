package dev.tollgate.server.shared;

import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanIterator;
import io.lettuce.core.SetArgs;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The nodes sharing a Redis now: each writes {@code tollgate:node:<id>} = its host:port with a short
 * TTL and refreshes it from a virtual thread, so a node that stopped (or was killed) drops out within
 * {@link #TTL}. Lets a node's request export say which nodes' logs it does not hold.
 */
public final class NodeRoster implements AutoCloseable {

    static final String PREFIX = "tollgate:node:";
    /** Long enough to ride out a refresh missed while Redis restarts; short enough that a dead node leaves soon. */
    public static final Duration TTL = Duration.ofSeconds(15);
    private static final Duration REFRESH = TTL.dividedBy(3);
    private static final Logger LOG = Logger.getLogger(NodeRoster.class.getName());

    private final SharedStore store;
    private final String node;
    private final String address;
    private final CountDownLatch stop = new CountDownLatch(1);
    private final Thread refresher;

    private NodeRoster(SharedStore store, String node, String address) {
        this.store = store;
        this.node = node;
        this.address = address;
        this.refresher = Thread.ofVirtual().name("tollgate-node-roster").unstarted(this::refresh);
    }

    /** Registers {@code node} (reachable at {@code address}) until {@link #close()}; a Redis away now only delays it. */
    public static NodeRoster join(SharedStore store, String node, String address) {
        NodeRoster roster = new NodeRoster(store, node, address);
        roster.refresher.start();
        return roster;
    }

    public String node() {
        return node;
    }

    /** Ids of the nodes registered now, this one included, sorted; {@link StoreUnreachable} when Redis does not answer. */
    public List<String> live() {
        return store.call(redis -> {
            List<String> ids = new ArrayList<>();
            ScanIterator.scan(redis, ScanArgs.Builder.matches(PREFIX + "*").limit(500))
                    .forEachRemaining(key -> ids.add(key.substring(PREFIX.length())));
            if (!ids.contains(node)) {
                ids.add(node); // between a Redis restart and the next refresh: this node is up, it is serving
            }
            ids.sort(null);
            return ids;
        });
    }

    private void refresh() {
        do {
            try {
                store.call(redis -> redis.set(PREFIX + node, address, SetArgs.Builder.px(TTL.toMillis())));
            } catch (StoreUnreachable e) {
                LOG.log(Level.FINE, "node roster: cannot register " + node + " now; retrying", e);
            }
        } while (!stopped());
    }

    private boolean stopped() {
        try {
            return stop.await(REFRESH.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            return true;
        }
    }

    /** Stops refreshing and leaves the roster at once, so the other nodes stop counting this one. */
    @Override
    public void close() {
        stop.countDown();
        try {
            refresher.join(SharedStore.TIMEOUT.multipliedBy(2));
            store.call(redis -> redis.del(PREFIX + node));
        } catch (StoreUnreachable e) {
            // the key expires by itself within TTL
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
