package dev.tollgate.server.admin;

import dev.tollgate.policy.Admin;
import dev.tollgate.policy.PolicySnapshot;
import dev.tollgate.server.gitops.PolicyHolder;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.util.Optional;

/** Admin tokens from the policy's {@code admins:} (SHA-256 only), shared by every admin page and API. */
public final class AdminAuth {

    private AdminAuth() {
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
        if (snapshot.policy().admins().isEmpty()) {
            AdminRoutes.send(res, Status.FORBIDDEN_403, AdminRoutes.error("forbidden", "The policy declares no admins. Add one under 'admins:' "
                    + "(`tollgate keys new --admin --id NAME --role operator` prints the entry) and commit it."));
            return Optional.empty();
        }
        Optional<Admin> admin = bearer.flatMap(snapshot::adminBySecret);
        if (admin.isEmpty()) {
            AdminRoutes.send(res, Status.UNAUTHORIZED_401, AdminRoutes.error("unauthorized", bearer.isEmpty()
                    ? "Send an admin token: Authorization: Bearer <token>."
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
