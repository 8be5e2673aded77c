package dev.tollgate.server.admin;

import dev.tollgate.policy.Admin;
import dev.tollgate.policy.PolicySnapshot;
import dev.tollgate.server.gitops.PolicyHolder;
import dev.tollgate.server.signin.People;
import dev.tollgate.server.signin.PersonalKey;
import dev.tollgate.server.signin.PersonalKeys;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.time.Clock;
import java.util.Optional;

/** Admin tokens from the policy's {@code admins:} (SHA-256 only), shared by every admin page and API. */
public final class AdminAuth {

    /** People signed in through the identity provider; their groups give them a role (sso.roles). */
    private static volatile PersonalKeys people = new PersonalKeys.None();
    private static volatile Clock clock = Clock.systemUTC();

    private AdminAuth() {
    }

    /** The gateway's personal keys, so that a signed-in person's key opens the admin API and dashboard by role. */
    public static void signIn(PersonalKeys keys, Clock time) {
        people = keys;
        clock = time;
    }

    /** The admin a bearer token is: an admin token of the policy, or a signed-in person whose groups map to a role. */
    public static Optional<Admin> admin(PolicySnapshot snapshot, String bearer) {
        Optional<Admin> admin = snapshot.adminBySecret(bearer);
        if (admin.isPresent() || !bearer.startsWith(PersonalKey.PREFIX)) {
            return admin;
        }
        return people.byHash(dev.tollgate.policy.Secrets.sha256(bearer)).flatMap(k -> People.admin(snapshot, k, clock.instant()));
    }

    /**
     * The admin whose bearer token this request carries, if it may read ({@code act} false) or act
     * (operator role); otherwise answers 401/403 itself and returns empty.
     */
    public static Optional<Admin> authorize(PolicyHolder policy, ServerRequest req, ServerResponse res, boolean act) {
        PolicySnapshot snapshot = policy.forRequest();
        Optional<String> bearer = req.headers().first(HeaderNames.AUTHORIZATION)
                .filter(h -> h.regionMatches(true, 0, "Bearer ", 0, 7))
                .map(h -> h.substring(7).trim());
        if (snapshot.policy().admins().isEmpty() && snapshot.policy().sso().roles().isEmpty()) {
            AdminRoutes.send(res, Status.FORBIDDEN_403, AdminRoutes.error("forbidden", "The policy declares no admins. Add one under 'admins:' "
                    + "(`tollgate keys new --admin --id NAME --role operator` prints the entry) and commit it."));
            return Optional.empty();
        }
        Optional<Admin> admin = bearer.flatMap(b -> admin(snapshot, b));
        if (admin.isEmpty()) {
            AdminRoutes.send(res, Status.UNAUTHORIZED_401, AdminRoutes.error("unauthorized", bearer.isEmpty()
                    ? "Send an admin token (or a personal key from `tollgate login` whose group has a role under sso.roles): "
                    + "Authorization: Bearer <token>."
                    : "This token is not an admin token of the policy in force (" + snapshot.version() + ")."));
            return Optional.empty();
        }
        if (act && !admin.get().role().mayAct()) {
            AdminRoutes.send(res, Status.FORBIDDEN_403, AdminRoutes.error("forbidden", "Admin '" + admin.get().id()
                    + "' is a viewer; this needs the operator role."));
            return Optional.empty();
        }
        return admin;
    }
}
