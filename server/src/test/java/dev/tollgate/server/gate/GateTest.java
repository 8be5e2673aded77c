package dev.tollgate.server.gate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tollgate.policy.PolicyLoader;
import dev.tollgate.policy.PolicySnapshot;
import dev.tollgate.policy.Secrets;
import dev.tollgate.providers.Api;
import dev.tollgate.providers.json.JsonBody;
import dev.tollgate.providers.usage.Usage;
import dev.tollgate.server.budget.Spend;
import dev.tollgate.server.call.Call;
import dev.tollgate.server.errors.GatewayError;
import dev.tollgate.server.ledger.SqliteLedger;
import dev.tollgate.server.settle.Settlement;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The gate on its own, without HTTP: who, which model, limits, then the budget's reservation. */
class GateTest {

    private static final String POLICY = """
            providers:
              - {id: up, kind: openai-compatible, base_url: "http://127.0.0.1:9/v1"}
            models:
              - {name: cheap, targets: [{provider: up, model: cheap-up}]}
              - {name: secret-model, targets: [{provider: up, model: s}]}
            pricing:
              - {model: cheap, input: 1000, output: 1000}
            customers:
              - {id: acme}
            teams:
              - {id: infra, customer: acme, deny_models: ["secret-*"]}
            keys:
              - {id: alice, team: infra, sha256: %s}
              - {id: limited, team: infra, sha256: %s, limits: {requests_per_minute: 1}}
              - {id: poor, team: infra, sha256: %s, budgets: [{amount_usd: 0.000001, period: daily}]}
              - {id: budgeted, team: infra, sha256: %s, budgets: [{amount_usd: 5, period: monthly}]}
              - {id: selfhosted, team: infra, sha256: %s, budgets: [{amount_usd: 5, period: monthly}], unpriced: allow}
            """.formatted(Secrets.sha256("k-alice"), Secrets.sha256("k-limited"), Secrets.sha256("k-poor"), Secrets.sha256("k-budgeted"),
            Secrets.sha256("k-selfhosted"));

    @TempDir
    Path state;
    private Spend spend;
    private Gate gate;
    private PolicySnapshot policy;

    @BeforeEach
    void open() throws Exception {
        spend = new Spend(() -> SqliteLedger.open(state, false), Clock.systemUTC());
        gate = new Gate(spend);
        policy = PolicyLoader.load(Map.of("p.yaml", POLICY.getBytes(StandardCharsets.UTF_8)));
    }

    @AfterEach
    void close() {
        spend.close();
    }

    private Call chat(String model) throws Exception {
        return new Call(Api.CHAT_COMPLETIONS, model, false, JsonBody.parse(("{\"model\":\"" + model
                + "\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"hello there\"}]}").getBytes(StandardCharsets.UTF_8)),
                Map.of(), policy);
    }

    @Test
    void aMissingOrUnknownKeyIsRefusedBeforeAnythingElse() throws Exception {
        Admission missing = gate.admit(policy, null, chat("cheap"));
        assertEquals(GatewayError.Unauthorized.Reason.MISSING,
                ((GatewayError.Unauthorized) assertInstanceOf(Admission.Refused.class, missing).error()).reason());
        Admission unknown = gate.admit(policy, "k-nobody", chat("cheap"));
        assertEquals(GatewayError.Unauthorized.Reason.UNKNOWN,
                ((GatewayError.Unauthorized) assertInstanceOf(Admission.Refused.class, unknown).error()).reason());
    }

    @Test
    void aModelTheTeamMayNotUseIsRefusedNamingTheRule() throws Exception {
        Admission.Refused refused = assertInstanceOf(Admission.Refused.class, gate.admit(policy, "k-alice", chat("secret-model")));
        GatewayError.ModelDenied denied = assertInstanceOf(GatewayError.ModelDenied.class, refused.error());
        assertTrue(denied.message().contains("secret-*"), denied.message());
        assertEquals("alice", refused.chain().key().id(), "the refusal still says whose key it was");
    }

    @Test
    void anAdmittedRequestHoldsItsEstimateUntilItSettles() throws Exception {
        Admission.Admitted admitted = assertInstanceOf(Admission.Admitted.class, gate.admit(policy, "k-alice", chat("cheap")));
        Permit permit = admitted.permit();
        assertTrue(permit.reservation().nanos() > 0, "the estimate is reserved");
        assertEquals(permit.estimate().nanos(), permit.reservation().nanos());
        Settlement settle = new Settlement(spend, permit);
        settle.beforeBody(200, new Usage(5, 10, 0, 0, 0));
        settle.finish(200, new Usage(5, 10, 0, 0, 0));
        // $1000 per million tokens: 15 tokens cost $0.015, now spent rather than held.
        var line = spend.ledger().usage(dev.tollgate.server.ledger.Ledger.By.KEY, 0).getFirst();
        assertEquals("alice", line.name());
        assertEquals(15_000_000L, line.spentNanos());
        assertEquals(0, line.inFlightNanos());
    }

    @Test
    void aRateLimitRefusesTheSecondRequestWithItsWait() throws Exception {
        assertInstanceOf(Admission.Admitted.class, gate.admit(policy, "k-limited", chat("cheap")));
        Admission.Refused second = assertInstanceOf(Admission.Refused.class, gate.admit(policy, "k-limited", chat("cheap")));
        GatewayError.RateLimited limited = assertInstanceOf(GatewayError.RateLimited.class, second.error());
        // One request a minute: the wait is what is left of that minute, rounded up (a slow machine may
        // spend a second between the two calls, so 59 is as right as 60).
        int wait = Integer.parseInt(limited.headers().get("Retry-After"));
        assertTrue(wait >= 55 && wait <= 60, limited.headers().toString());
        assertTrue(limited.message().contains("Retry in " + wait + " s."), limited.message());
    }

    @Test
    void aBudgetTheEstimateWouldOverrunRefusesBeforeTheCall() throws Exception {
        Admission.Refused refused = assertInstanceOf(Admission.Refused.class, gate.admit(policy, "k-poor", chat("cheap")));
        GatewayError.BudgetExhausted exhausted = assertInstanceOf(GatewayError.BudgetExhausted.class, refused.error());
        assertTrue(exhausted.message().toLowerCase().contains("daily budget"), exhausted.message());
    }

    /** Money fails closed: a model without a price is refused while a budget applies, unless the policy says it is free. */
    @Test
    void aModelWithoutAPriceIsRefusedWhileABudgetAppliesUnlessAllowed() throws Exception {
        // A provider/model name the catalog does not price (validate refuses an unpriced catalog model a budgeted key may use).
        Admission.Refused refused = assertInstanceOf(Admission.Refused.class, gate.admit(policy, "k-budgeted", chat("up/free-up")));
        GatewayError.ModelUnpriced unpriced = assertInstanceOf(GatewayError.ModelUnpriced.class, refused.error());
        assertEquals(400, unpriced.status());
        assertTrue(unpriced.message().contains("'up/free-up' has no price") && unpriced.message().contains("unpriced: allow"), unpriced.message());
        assertInstanceOf(Admission.Admitted.class, gate.admit(policy, "k-selfhosted", chat("up/free-up")), "allowed explicitly");
        assertInstanceOf(Admission.Admitted.class, gate.admit(policy, "k-alice", chat("up/free-up")), "no budget in alice's chain to hold");
        assertInstanceOf(Admission.Admitted.class, gate.admit(policy, "k-budgeted", chat("cheap")), "a priced model is served");
    }
}
