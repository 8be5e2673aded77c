package dev.tollgate.policy;

import static dev.tollgate.policy.PolicyValidationTest.BASE;
import static dev.tollgate.policy.PolicyValidationTest.files;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class SsoPolicyTest {

    private static final String SSO = """
            sso:
              groups: {eng-platform: infra, eng-all: infra}
              allowed_domains: [example.com]
              roles: {gateway-admins: operator, eng-all: viewer}
              person:
                budgets: [{amount_usd: 20, period: daily}]
                ttl: 8h
            """;

    @Test
    void groupsMapToTeamsAndRolesInTheOrderWritten() throws Exception {
        Sso sso = PolicyLoader.load(files("base.yaml", BASE, "sso.yaml", SSO)).policy().sso();
        assertEquals(Duration.ofHours(8), sso.ttl());
        assertEquals("infra", sso.teamOf(List.of("other", "eng-all")).orElseThrow());
        assertTrue(sso.teamOf(List.of("sales")).isEmpty());
        assertEquals(Admin.Role.OPERATOR, sso.roleOf(List.of("eng-all", "gateway-admins")).orElseThrow());
        assertEquals(1, sso.person().budgets().size());
        assertTrue(sso.domainAllowed("alice@Example.com"));
        assertTrue(!sso.domainAllowed("mallory@example.com.evil.io"));
        assertEquals(Sso.DEFAULT_TTL, PolicyLoader.load(files("base.yaml", BASE)).policy().sso().ttl());
    }

    @Test
    void aGroupMappedToAnUndeclaredTeamABadRoleOrTtlIsNamedWithItsPlace() {
        PolicyException e = assertThrows(PolicyException.class, () -> PolicyLoader.load(files("base.yaml", BASE, "sso.yaml", """
                sso:
                  groups: {eng: nosuchteam}
                  roles: {admins: superuser}
                  allowed_domains: ["not a domain"]
                  person: {ttl: forever}
                """)));
        String all = String.join("\n", e.problems());
        assertEquals(4, e.problems().size(), all);
        assertTrue(all.contains("sso.yaml:2:") && all.contains("team 'nosuchteam'"), all);
        assertTrue(all.contains("unknown role 'superuser'"), all);
        assertTrue(all.contains("'ttl' must be a positive duration"), all);
        assertTrue(all.contains("is not an email domain"), all);
    }

    @Test
    void claudeCodeManagedSettingsAreAMappingKeptAsJson() throws Exception {
        Sso sso = PolicyLoader.load(files("base.yaml", BASE, "sso.yaml", SSO + "  claude_code_settings: {permissions: {deny: [WebFetch]}}\n"))
                .policy().sso();
        assertEquals("{\"permissions\":{\"deny\":[\"WebFetch\"]}}", sso.claudeCodeSettings().orElseThrow());
        assertTrue(PolicyLoader.load(files("base.yaml", BASE, "sso.yaml", SSO)).policy().sso().claudeCodeSettings().isEmpty());
        PolicyException e = assertThrows(PolicyException.class, () -> PolicyLoader.load(files("base.yaml", BASE, "sso.yaml",
                SSO + "  claude_code_settings: [WebFetch]\n")));
        assertTrue(String.join("\n", e.problems()).contains("'claude_code_settings' is Claude Code's managed-settings.json as a mapping"),
                e.problems().toString());
    }

    @Test
    void theDiffSaysWhoseKeysStopWorking() throws Exception {
        Policy before = PolicyLoader.load(files("base.yaml", BASE, "sso.yaml", SSO)).policy();
        Policy after = PolicyLoader.load(files("base.yaml", BASE, "sso.yaml", SSO.replace("eng-platform: infra, ", ""))).policy();
        assertEquals(List.of("sso group eng-platform: removed (its members' personal keys stop working)"), PolicyDiff.between(before, after));
    }
}
