package dev.tollgate.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class PolicyDiffTest {

    private static final String PROVIDERS = """
            providers:
              - {id: openai, kind: openai, base_url: "https://api.openai.com/v1", credential: "env:OPENAI_API_KEY"}
              - {id: anthropic, kind: openai-compatible, base_url: "https://api.anthropic.com/v1", credential: "env:ANTHROPIC_API_KEY"}
            customers: [{id: acme}]
            """;

    private static Policy policy(String rest) throws Exception {
        return PolicyLoader.parse(PolicyValidationTest.files("p.yaml", PROVIDERS, "rest.yaml", rest));
    }

    @Test
    void saysWhatChangesForWhomInReviewerWords() throws Exception {
        Policy before = policy("""
                models:
                  - {name: gpt-5, targets: [{provider: openai, model: gpt-5}]}
                teams:
                  - {id: infra, customer: acme, allow_models: ["gpt-*"]}
                keys:
                  - {id: alice, team: infra, sha256: %s, budgets: [{amount_usd: 50, period: monthly}]}
                  - {id: bob, team: infra, sha256: %s}
                """.formatted(Secrets.sha256("a"), Secrets.sha256("b")));
        Policy after = policy("""
                models:
                  - name: gpt-5
                    targets: [{provider: openai, model: gpt-5}]
                    fallbacks: [{provider: anthropic, model: claude-sonnet-4-5}]
                teams:
                  - {id: infra, customer: acme, allow_models: ["gpt-*", "claude-*"], limits: {tokens_per_minute: 100000}}
                keys:
                  - {id: alice, team: infra, sha256: %s, budgets: [{amount_usd: 100, period: monthly}]}
                  - {id: carol, team: infra, sha256: %s, budgets: [{amount_usd: 20.5, period: daily}]}
                """.formatted(Secrets.sha256("a"), Secrets.sha256("c")));
        assertEquals(List.of(
                "route gpt-5: fallback anthropic/claude-sonnet-4-5 added",
                "team infra: tokens per minute unlimited -> 100000",
                "team infra may now use claude-*",
                "key alice: monthly budget $50 -> $100",
                "key carol: added to team infra (daily budget $20.50)",
                "key bob: removed (its secret stops working)"), PolicyDiff.between(before, after));
        assertEquals(List.of(), PolicyDiff.between(after, after));
    }

    @Test
    void priceChangesNameTheirUnit() throws Exception {
        Policy before = policy("pricing: [{model: in-house, input: 1, output: 2}]");
        Policy after = policy("pricing: [{model: in-house, input: 1, output: 3, web_search: 5}]");
        assertEquals(List.of(
                "pricing for in-house: output $2 -> $3 per million tokens",
                "pricing for in-house: web search $10 -> $5 per thousand searches"), PolicyDiff.between(before, after));
    }
}
