package dev.tollgate.server.signin;

import dev.tollgate.server.shared.SharedStore;
import io.lettuce.core.SetArgs;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;

/** Several nodes: a key issued on one works on all; Redis forgets it when it expires. */
public final class RedisPersonalKeys implements PersonalKeys {

    private static final String PREFIX = "tollgate:personal-key:";

    private final SharedStore store;
    private final Clock clock;

    public RedisPersonalKeys(SharedStore store, Clock clock) {
        this.store = store;
        this.clock = clock;
    }

    @Override
    public void put(PersonalKey key) {
        long ms = Math.max(1, Duration.between(clock.instant(), key.expires()).toMillis());
        store.call(c -> c.set(PREFIX + key.sha256(), KeyCodec.write(key), SetArgs.Builder.px(ms)));
    }

    @Override
    public Optional<PersonalKey> byHash(String sha256) {
        String json = store.call(c -> c.get(PREFIX + sha256));
        if (json == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(KeyCodec.read(json));
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
