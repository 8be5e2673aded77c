package dev.tollgate.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** A bad brake or warn_at_percent is reported where it is, saying what is allowed. */
class SessionRulesValidationTest {

    private static List<String> problems(String keyFields) {
        String keys = "keys:\n  - {id: alice, team: infra, sha256: " + PolicyValidationTest.KEY_HASH + ", " + keyFields + "}\n";
        PolicyException e = assertThrows(PolicyException.class, () -> PolicyLoader.load(PolicyValidationTest.files(
                "base.yaml", PolicyValidationTest.BASE, "teams/infra/keys.yaml", keys)));
        return e.problems();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "brake: {pause_minutes: 5}                 | keys[0].brake | a brake needs at least one rule: repeated_tool_call, requests_per_minute or usd_per_minute",
            "brake: {repeated_tool_call: 1}            | keys[0].brake.repeated_tool_call | the same tool call this many requests in a row",
            "brake: {requests_per_minute: 0}           | keys[0].brake.requests_per_minute | requests in one session within a minute",
            "brake: {usd_per_minute: 0}                | keys[0].brake.usd_per_minute | 'usd_per_minute' must be above 0",
            "brake: {usd_per_minute: 1, pause_minutes: 20000} | keys[0].brake.pause_minutes | it must be at most 10080 (a week)",
            "brake: {repeated_tool_call: 3, loops: 2}  | keys[0].brake | loops",
            "budgets: [{amount_usd: 5, period: session, warn_at_percent: 0}]   | keys[0].budgets[0].warn_at_percent | the share of the budget spent from which answers warn",
            "budgets: [{amount_usd: 5, period: session, warn_at_percent: 101}] | keys[0].budgets[0].warn_at_percent | it must be at most 100",
            "budgets: [{amount_usd: 5, period: sessions}] | keys[0].budgets[0].period | session: one agent session",
    })
    void aBadRuleIsNamedWhereItIs(String fields, String where, String says) {
        List<String> problems = problems(fields);
        assertEquals(1, problems.size(), String.join("\n", problems));
        assertTrue(problems.getFirst().startsWith("teams/infra/keys.yaml:2:"), "at the key's line: " + problems.getFirst());
        assertTrue(problems.getFirst().contains(says), problems.getFirst());
    }
}
