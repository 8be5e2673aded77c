package dev.tollgate.policy;

import static dev.tollgate.policy.YamlFields.join;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Arrays;
import java.util.Optional;
import java.util.Set;

/** {@code admins:} operator and viewer tokens, stored as SHA-256 hashes. */
final class AdminSection {

    static final Set<String> FIELDS = Set.of("id", "sha256", "role");

    private final YamlFields f;

    AdminSection(YamlFields f) {
        this.f = f;
    }

    Optional<Admin> read(JsonNode node, String path) {
        f.fields(node, path, FIELDS);
        String id = f.id(node, path, "id");
        String hash = f.hash(node, path);
        String roleName = f.text(node, path, "role", true);
        Admin.Role role = null;
        if (roleName != null) {
            role = Arrays.stream(Admin.Role.values()).filter(r -> r.name().equalsIgnoreCase(roleName)).findFirst().orElse(null);
            if (role == null) {
                f.problem(join(path, "role"), "unknown role '" + roleName + "' (use viewer or operator)");
            }
        }
        return id == null || hash == null || role == null ? Optional.empty() : Optional.of(new Admin(id, hash, role));
    }
}
