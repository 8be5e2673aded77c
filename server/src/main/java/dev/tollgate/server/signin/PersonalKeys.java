package dev.tollgate.server.signin;

import java.util.Optional;

/** Where issued personal keys live: this node's state directory, or Redis so that every node knows them. */
public sealed interface PersonalKeys permits LocalPersonalKeys, RedisPersonalKeys, PersonalKeys.None {

    void put(PersonalKey key);

    Optional<PersonalKey> byHash(String sha256);

    /** Sign-in is off: no personal key exists. */
    record None() implements PersonalKeys {
        @Override
        public void put(PersonalKey key) {
            throw new IllegalStateException("sign-in is not configured");
        }

        @Override
        public Optional<PersonalKey> byHash(String sha256) {
            return Optional.empty();
        }
    }
}
