package dev.tollgate.server.gate;

import dev.tollgate.policy.PolicySnapshot.KeyChain;
import dev.tollgate.policy.PolicySnapshot;
import dev.tollgate.policy.Principal;
import dev.tollgate.policy.Secrets;
import dev.tollgate.server.budget.Level;
import dev.tollgate.server.errors.GatewayError.Unauthorized.Reason;
import dev.tollgate.server.errors.GatewayError;
import dev.tollgate.server.signin.People;
import dev.tollgate.server.signin.PersonalKey;
import dev.tollgate.server.signin.PersonalKeys;
import java.time.Instant;

/** Virtual key -> its chain, or a 401 saying whether the key is missing, unknown, expired or revoked. */
final class Authenticator {

    /** The chain, or the refusal. */
    sealed interface Outcome {
    }

    record Known(KeyChain chain) implements Outcome {
    }

    /** {@code chain}: the key's, when it is a key of the policy (revoked or expired); else null. */
    record Refused(GatewayError.Unauthorized error, KeyChain chain) implements Outcome {
        Refused(GatewayError.Unauthorized error) {
            this(error, null);
        }
    }

    private final PersonalKeys people;

    Authenticator(PersonalKeys people) {
        this.people = people;
    }

    Outcome authenticate(PolicySnapshot policy, String secret, Instant now) {
        if (secret == null) {
            return new Refused(new GatewayError.Unauthorized(Reason.MISSING, "No virtual key was sent. Send your Tollgate key as "
                    + "'Authorization: Bearer <key>' (OpenAI SDKs, Codex: the provider's env_key), 'x-api-key' (Claude Code: "
                    + "ANTHROPIC_API_KEY) or 'x-goog-api-key' (Gemini). Ask the platform team for a key if you have none."));
        }
        String hash = Secrets.sha256(secret);
        KeyChain chain = policy.keyByHash(hash).orElse(null);
        if (chain == null && secret.startsWith(PersonalKey.PREFIX)) {
            PersonalKey personal = people.byHash(hash).orElse(null);
            if (personal != null) {
                return switch (People.resolve(policy, personal, now)) {
                    case People.Person p -> new Known(p.chain());
                    case People.Refused r -> new Refused(new GatewayError.Unauthorized(r.expired() ? Reason.EXPIRED : Reason.REVOKED,
                            r.message()));
                };
            }
        }
        if (chain == null) {
            // The hash's first characters let the platform team find the key in logs; the key itself is never shown.
            return new Refused(new GatewayError.Unauthorized(Reason.UNKNOWN, "The virtual key sent (sha256 " + hash.substring(0, 8)
                    + "...) is not a key of this gateway's policy (" + policy.version() + "). Check that it was copied whole; "
                    + "a new key works once its pull request is merged."));
        }
        if (chain.key().revoked()) {
            return new Refused(new GatewayError.Unauthorized(Reason.REVOKED, "The virtual key '" + chain.key().id()
                    + "' has been revoked. Ask the platform team (team " + chain.team().id() + ") for a new key."), chain);
        }
        for (Principal level : chain.levels()) {
            if (level.governance().expiredAt(now)) {
                return new Refused(new GatewayError.Unauthorized(Reason.EXPIRED, "The virtual key '" + chain.key().id() + "' has expired: "
                        + (level == chain.key() ? "it" : Level.of(level).id() + " '" + level.id() + "'") + " expired on "
                        + level.governance().expires().orElseThrow() + ". Ask the platform team to extend it or for a new key."), chain);
            }
        }
        return new Known(chain);
    }
}
