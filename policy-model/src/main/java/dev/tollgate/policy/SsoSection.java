package dev.tollgate.policy;

import static dev.tollgate.policy.YamlFields.join;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** {@code sso:} IdP groups to teams and roles, allowed email domains, a person's governance and key lifetime. */
final class SsoSection {

    static final Set<String> FIELDS = Set.of("groups", "allowed_domains", "person", "roles", "claude_code_settings");
    static final Set<String> PERSON_FIELDS = union(GovernanceSection.FIELDS, "ttl");
    private static final Pattern TTL = Pattern.compile("(\\d{1,6})\\s*([smhd])");
    private static final Pattern DOMAIN = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+");

    /** A team named by a group mapping, and where, to check once every file is read. */
    record TeamRef(String team, SourcePos pos) {
    }

    private final YamlFields f;

    SsoSection(YamlFields f) {
        this.f = f;
    }

    private static Set<String> union(Set<String> base, String... more) {
        Set<String> all = new HashSet<>(base);
        all.addAll(Arrays.asList(more));
        return Set.copyOf(all);
    }

    Sso read(JsonNode node, String path, List<TeamRef> teams) {
        f.fields(node, path, FIELDS);
        Map<String, String> groups = f.stringMap(node, path, "groups");
        groups.forEach((group, team) -> teams.add(new TeamRef(team, f.doc.at(join(join(path, "groups"), group)))));
        List<String> domains = f.strings(node, path, "allowed_domains");
        for (int i = 0; i < domains.size(); i++) {
            if (!DOMAIN.matcher(domains.get(i)).matches()) {
                f.problem(join(path, "allowed_domains") + "[" + i + "]", "'" + domains.get(i)
                        + "' is not an email domain; write the part after '@', e.g. example.com");
            }
        }
        Map<String, Admin.Role> roles = new LinkedHashMap<>();
        f.stringMap(node, path, "roles").forEach((group, name) -> {
            Admin.Role role = Arrays.stream(Admin.Role.values()).filter(r -> r.name().equalsIgnoreCase(name)).findFirst().orElse(null);
            if (role == null) {
                f.problem(join(join(path, "roles"), group), "unknown role '" + name + "' (use viewer or operator)");
            } else {
                roles.put(group, role);
            }
        });
        Governance person = Governance.NONE;
        Duration ttl = Sso.DEFAULT_TTL;
        JsonNode p = f.object(node, path, "person");
        if (p != null) {
            String where = join(path, "person");
            f.fields(p, where, PERSON_FIELDS);
            person = new GovernanceSection(f).governance(p, where);
            ttl = ttl(p, where);
        }
        if (person.expires().isPresent()) {
            f.problem(join(join(path, "person"), "expires"), "a person's key expires by 'ttl' (e.g. ttl: 12h), not by a date");
        }
        String claudeCode = null;
        JsonNode settings = node.get("claude_code_settings");
        if (settings != null && !settings.isNull()) {
            if (settings.isObject()) {
                claudeCode = settings.toString();
            } else {
                f.problem(join(path, "claude_code_settings"), "'claude_code_settings' is Claude Code's managed-settings.json as a mapping "
                        + "(e.g. {permissions: {deny: [\"WebFetch\"]}}); found " + YamlFields.describe(settings));
            }
        }
        return new Sso(groups, domains, person, ttl, roles, claudeCode);
    }

    private Duration ttl(JsonNode p, String where) {
        JsonNode value = p.get("ttl");
        if (value == null || value.isNull()) {
            return Sso.DEFAULT_TTL;
        }
        Matcher m = TTL.matcher(value.asText().trim());
        if (!value.isTextual() || !m.matches() || Long.parseLong(m.group(1)) == 0) {
            f.problem(join(where, "ttl"), "'ttl' must be a positive duration such as 12h, 90m or 7d; found " + YamlFields.describe(value));
            return Sso.DEFAULT_TTL;
        }
        long n = Long.parseLong(m.group(1));
        Duration ttl = switch (m.group(2)) {
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofDays(n);
        };
        if (ttl.compareTo(Duration.ofDays(30)) > 0) {
            f.problem(join(where, "ttl"), "'ttl' is at most 30d: a personal key is meant to be short-lived; sign in again instead");
            return Sso.DEFAULT_TTL;
        }
        return ttl;
    }
}
