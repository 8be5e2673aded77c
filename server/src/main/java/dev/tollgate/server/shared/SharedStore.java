package dev.tollgate.server.shared;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.resource.Delay;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.function.Function;

/**
 * The Redis that several gateway nodes share budgets and limits through. Connects on first use and
 * again after a failed attempt; once connected, Lettuce reconnects by itself. Commands time out
 * after {@link #TIMEOUT} and are refused at once while disconnected, so a dead Redis answers
 * requests with a quick 503 instead of hanging them.
 */
public final class SharedStore implements AutoCloseable {

    public static final Duration TIMEOUT = Duration.ofMillis(1000);

    private final RedisClient client;
    private final ClientResources resources;
    private final String where;
    private volatile StatefulRedisConnection<String, String> strings;
    private volatile StatefulRedisConnection<byte[], byte[]> bytes;
    /** Whether the string connection is up now (Lettuce tells: it is open, if reconnecting, until closed). */
    private volatile boolean connected;
    /** System.nanoTime() from which a first connection may be attempted again. */
    private volatile long nextAttempt = System.nanoTime();

    private SharedStore(RedisClient client, ClientResources resources, String where) {
        this.client = client;
        this.resources = resources;
        client.addListener(new RedisConnectionStateListener() {
            @Override
            public void onRedisConnected(RedisChannelHandler<?, ?> connection, SocketAddress address) {
                if (connection == strings) {
                    connected = true;
                }
            }

            @Override
            public void onRedisDisconnected(RedisChannelHandler<?, ?> connection) {
                if (connection == strings) {
                    connected = false;
                }
            }
        });
        this.where = where;
    }

    /** @param url {@code redis://host:port/db} (or {@code rediss://}, with a password in the URL if needed) */
    public static SharedStore of(String url) {
        RedisURI uri = RedisURI.create(url);
        uri.setTimeout(TIMEOUT);
        // Reconnect every 250 ms while Redis is away (Lettuce's default backs off to 30 s): the node is back soon after Redis is.
        ClientResources resources = DefaultClientResources.builder().reconnectDelay(Delay.constant(Duration.ofMillis(250))).build();
        RedisClient client = RedisClient.create(resources, uri);
        client.setOptions(ClientOptions.builder()
                .autoReconnect(true)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .timeoutOptions(TimeoutOptions.enabled(TIMEOUT))
                .socketOptions(SocketOptions.builder().connectTimeout(TIMEOUT).keepAlive(true).build())
                .build());
        return new SharedStore(client, resources, uri.getHost() + ":" + uri.getPort());
    }

    /** Runs {@code call} on the string connection; {@link StoreUnreachable} when Redis does not answer. */
    public <T> T call(Function<RedisCommands<String, String>, T> call) {
        StatefulRedisConnection<String, String> c = strings();
        if (!connected) {
            // Lettuce would reject it unsent: say so, so that nothing is journaled as possibly applied.
            throw new StoreUnreachable("Redis at " + where, new RedisException("not connected; reconnecting"), false);
        }
        try {
            return call.apply(c.sync());
        } catch (RedisException e) {
            throw new StoreUnreachable("Redis at " + where, e, true);
        }
    }

    /** The connection Bucket4j's proxy manager uses (its values are bytes). */
    public StatefulRedisConnection<byte[], byte[]> bytes() {
        StatefulRedisConnection<byte[], byte[]> c = bytes;
        if (c == null) {
            synchronized (this) {
                if (bytes == null) {
                    bytes = connect(ByteArrayCodec.INSTANCE);
                }
                c = bytes;
            }
        }
        return c;
    }

    /** True when Redis answers a PING now. */
    public boolean reachable() {
        try {
            return "PONG".equals(call(RedisCommands::ping));
        } catch (StoreUnreachable e) {
            return false;
        }
    }

    public String where() {
        return where;
    }

    private StatefulRedisConnection<String, String> strings() {
        StatefulRedisConnection<String, String> c = strings;
        if (c == null) {
            synchronized (this) {
                if (strings == null) {
                    strings = connect(StringCodec.UTF8);
                    connected = true;
                }
                c = strings;
            }
        }
        return c;
    }

    /**
     * A first connection (Lettuce reconnects an established one by itself). After a failed attempt the
     * next waits {@link #TIMEOUT}: requests fail at once meanwhile instead of queueing behind connects.
     */
    private <K, V> StatefulRedisConnection<K, V> connect(io.lettuce.core.codec.RedisCodec<K, V> codec) {
        if (System.nanoTime() - nextAttempt < 0) {
            throw new StoreUnreachable("Redis at " + where, new RedisException("not connected; the last attempt failed less than "
                    + TIMEOUT.toMillis() + " ms ago"), false);
        }
        try {
            StatefulRedisConnection<K, V> c = client.connect(codec);
            c.setTimeout(TIMEOUT);
            return c;
        } catch (RedisException e) {
            nextAttempt = System.nanoTime() + TIMEOUT.toNanos();
            throw new StoreUnreachable("Redis at " + where, e, false);
        }
    }

    @Override
    public void close() {
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        resources.shutdown(0, 2, java.util.concurrent.TimeUnit.SECONDS);
    }
}
