package dev.tollgate.server.signin;

import dev.tollgate.policy.Admin;
import dev.tollgate.policy.Governance;
import dev.tollgate.policy.PolicySnapshot;
import dev.tollgate.policy.PolicySnapshot.KeyChain;
import dev.tollgate.policy.Sso;
import dev.tollgate.policy.Team;
import dev.tollgate.policy.VirtualKey;
import java.time.Instant;
import java.util.Optional;

/**
 * A signed-in person as a governed principal: their personal key becomes a key level of its own
 * ({@code person:EMAIL}, budgets and limits from {@code sso.person}) under the team their groups map
 * to in the policy in force. Resolved at every request, so a commit that drops the mapping revokes.
 */
public final class People {

    private People() {
    }

    public sealed interface Outcome {
    }

    public record Person(KeyChain chain) implements Outcome {
    }

    /** {@code expired}: the key's lifetime ended; otherwise the policy no longer lets this person in. */
    public record Refused(boolean expired, String message) implements Outcome {
    }

    public static String id(PersonalKey key) {
        return "person:" + key.email();
    }

    public static Outcome resolve(PolicySnapshot policy, PersonalKey key, Instant now) {
        Sso sso = policy.policy().sso();
        if (key.expiredAt(now)) {
            return new Refused(true, "Your personal key (" + key.email() + ") expired at " + key.expires()
                    + ". Run `tollgate login --gateway URL` to get a new one.");
        }
        if (!sso.domainAllowed(key.email())) {
            return new Refused(false, "Your personal key (" + key.email() + ") was revoked: the policy in force (" + policy.version()
                    + ") no longer allows sign-in from that email domain (sso.allowed_domains).");
        }
        Optional<Team> team = sso.teamOf(key.groups()).flatMap(policy::team);
        if (team.isEmpty()) {
            return new Refused(false, "Your personal key (" + key.email() + ") was revoked: none of your identity provider groups "
                    + key.groups() + " maps to a team in the policy in force (" + policy.version() + ", sso.groups). "
                    + "Ask the platform team to map your group.");
        }
        Governance p = sso.person();
        Governance own = new Governance(p.budgets(), p.limits(), p.models(), p.maxConcurrent(), Optional.of(key.expires()), p.labels(),
                p.captureContent(), p.unpriced());
        VirtualKey personal = new VirtualKey(id(key), team.get().id(), key.sha256(), "signed in as " + key.email(), own);
        return new Person(new KeyChain(personal, team.get(), policy.customer(team.get().customer()).orElse(null)));
    }

    /** The admin role the person's groups give them now, when their key is valid. */
    public static Optional<Admin> admin(PolicySnapshot policy, PersonalKey key, Instant now) {
        Sso sso = policy.policy().sso();
        if (key.expiredAt(now) || !sso.domainAllowed(key.email())) {
            return Optional.empty();
        }
        return sso.roleOf(key.groups()).map(role -> new Admin(id(key), key.sha256(), role));
    }
}
