package dev.tollgate.policy;

import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * {@code sso:} who may sign in through the company's identity provider and what governs them. A person's
 * IdP groups map to a team (the first group of {@code groups} in the order written that the person is in)
 * and, for the admin API and dashboard, to a role; {@code person} is the governance every signed-in
 * person carries as their own level (budgets per person) and how long their personal key lives.
 *
 * @param groups         IdP group -> team id, in the order written
 * @param allowedDomains email domains that may sign in; empty: any
 * @param person         each person's own governance (budgets, limits, models)
 * @param ttl            how long a personal key lives
 * @param roles          IdP group -> admin role
 * @param claudeCodeSettingsJson Claude Code's managed settings for signed-in people, as JSON; null: none
 */
public record Sso(Map<String, String> groups, List<String> allowedDomains, Governance person, Duration ttl,
                  Map<String, Admin.Role> roles, String claudeCodeSettingsJson) {

    public static final Duration DEFAULT_TTL = Duration.ofHours(12);
    public static final Sso NONE = new Sso(Map.of(), List.of(), Governance.NONE, DEFAULT_TTL, Map.of(), null);

    public Sso {
        groups = Collections.unmodifiableMap(new LinkedHashMap<>(groups));
        allowedDomains = allowedDomains.stream().map(d -> d.toLowerCase(Locale.ROOT)).toList();
        roles = Collections.unmodifiableMap(new LinkedHashMap<>(roles));
    }

    /** What the gateway serves Claude Code at /managed/settings (sso.claude_code_settings); empty: a 404, no managed policy. */
    public Optional<String> claudeCodeSettings() {
        return Optional.ofNullable(claudeCodeSettingsJson);
    }

    /** Whether the policy lets anyone sign in at all. */
    public boolean declared() {
        return !groups.isEmpty() || !roles.isEmpty();
    }

    /** The team of the first mapped group the person is in. */
    public Optional<String> teamOf(List<String> idpGroups) {
        return groups.entrySet().stream().filter(e -> idpGroups.contains(e.getKey())).map(Map.Entry::getValue).findFirst();
    }

    /** The strongest role any of the person's groups maps to. */
    public Optional<Admin.Role> roleOf(List<String> idpGroups) {
        return roles.entrySet().stream().filter(e -> idpGroups.contains(e.getKey())).map(Map.Entry::getValue)
                .max(Enum::compareTo);
    }

    public boolean domainAllowed(String email) {
        if (allowedDomains.isEmpty()) {
            return true;
        }
        int at = email == null ? -1 : email.lastIndexOf('@');
        return at > 0 && allowedDomains.contains(email.substring(at + 1).toLowerCase(Locale.ROOT));
    }
}
