package dev.tollgate.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** A budget's downgrade: a share from 1 to 100, and a catalog model every key it governs may use, or validate says where and why. */
class DowngradeValidationTest {

    static final String BASE = PolicyValidationTest.BASE.replace("models:\n", """
            models:
              - name: gpt-5-mini
                aliases: [small]
                targets: [{provider: openai, model: gpt-5-mini}]
            """);

    private static List<String> problems(String keyFields) {
        PolicyException e = assertThrows(PolicyException.class, () -> load(keyFields));
        return e.problems();
    }

    private static PolicySnapshot load(String keyFields) throws PolicyException {
        String keys = "keys:\n  - {id: alice, team: infra, sha256: " + PolicyValidationTest.KEY_HASH + ", " + keyFields + "}\n";
        return PolicyLoader.load(PolicyValidationTest.files("base.yaml", BASE, "teams/infra/keys.yaml", keys));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "budgets: [{amount_usd: 5, period: daily, downgrade: {at_percent: 0, to: gpt-5-mini}}]   | it must be at least 1",
            "budgets: [{amount_usd: 5, period: daily, downgrade: {at_percent: 120, to: gpt-5-mini}}] | it must be at most 100",
            "budgets: [{amount_usd: 5, period: daily, downgrade: {at_percent: 1.5, to: gpt-5-mini}}] | must be a whole number",
            "budgets: [{amount_usd: 5, period: daily, downgrade: {to: gpt-5-mini}}]                  | a downgrade needs 'at_percent'",
            "budgets: [{amount_usd: 5, period: daily, downgrade: {at_percent: 80}}]                  | 'to'",
            "budgets: [{amount_usd: 5, period: daily, downgrade: {at_percent: 80, to: gpt-5-mini, when: x}}] | when",
            "budgets: [{amount_usd: 5, period: daily, downgrade: gpt-5-mini}]                        | must be a mapping",
            "budgets: [{amount_usd: 5, period: daily, downgrade: {at_percent: 80, to: gpt-5-mimi}}]  | 'to: gpt-5-mimi' is not a model of the catalog (models:); did you mean gpt-5-mini",
            "budgets: [{amount_usd: 5, period: daily, downgrade: {at_percent: 80, to: openai/gpt-4o}}] | 'to: openai/gpt-4o' is not a model of the catalog",
            "deny_models: [gpt-5-mini], budgets: [{amount_usd: 5, period: session, downgrade: {at_percent: 80, to: small}}] | key 'alice', which this budget governs, may not use that model",
            "allow_models: [gpt-5], budgets: [{amount_usd: 5, period: daily, downgrade: {at_percent: 80, to: gpt-5-mini}}] | key 'alice', which this budget governs, may not use",
    })
    void aBadDowngradeIsNamedWhereItIs(String fields, String says) {
        List<String> problems = problems(fields);
        assertEquals(1, problems.size(), String.join("\n", problems));
        assertTrue(problems.getFirst().startsWith("teams/infra/keys.yaml:2:"), "at the key's line: " + problems.getFirst());
        assertTrue(problems.getFirst().contains(says), problems.getFirst());
    }

    @Test
    void aTeamBudgetNamesTheKeyThatMayNotUseItsTarget() {
        String base = BASE.replace("customer: acme\n", "customer: acme\n    budgets: [{amount_usd: 100, period: monthly, downgrade: {at_percent: 90, to: gpt-5-mini}}]\n");
        String keys = "keys:\n  - {id: bob, team: infra, sha256: " + PolicyValidationTest.KEY_HASH + ", deny_models: [\"gpt-5-*\"]}\n";
        PolicyException e = assertThrows(PolicyException.class, () -> PolicyLoader.load(PolicyValidationTest.files(
                "base.yaml", base, "teams/infra/keys.yaml", keys)));
        assertEquals(1, e.problems().size(), String.join("\n", e.problems()));
        assertTrue(e.problems().getFirst().startsWith("base.yaml:"), e.problems().getFirst());
        assertTrue(e.problems().getFirst().contains("key 'bob'"), e.problems().getFirst());
    }

    @Test
    void aGoodDowngradeLoadsAndADiffShowsIt() throws PolicyException {
        PolicySnapshot before = load("budgets: [{amount_usd: 5, period: daily}]");
        PolicySnapshot after = load("budgets: [{amount_usd: 5, period: daily, warn_at_percent: 50, downgrade: {at_percent: 80, to: small}}]");
        Budget b = after.key("alice").orElseThrow().key().governance().budgets().getFirst();
        assertEquals(Optional.of(new Budget.Downgrade(80, "small")), b.downgrade());
        assertEquals(List.of("key alice: daily budget downgrade none -> to small at 80%"), PolicyDiff.between(before.policy(), after.policy()));
    }
}
