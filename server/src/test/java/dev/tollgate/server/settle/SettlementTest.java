package dev.tollgate.server.settle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tollgate.policy.PolicyLoader;
import dev.tollgate.policy.PolicySnapshot;
import dev.tollgate.policy.Secrets;
import dev.tollgate.providers.Api;
import dev.tollgate.providers.json.JsonBody;
import dev.tollgate.providers.usage.Usage;
import dev.tollgate.server.budget.Spend;
import dev.tollgate.server.call.Call;
import dev.tollgate.server.gate.Admission;
import dev.tollgate.server.gate.Gate;
import dev.tollgate.server.gate.Permit;
import dev.tollgate.server.ledger.Ledger;
import dev.tollgate.server.ledger.SqliteLedger;
import dev.tollgate.server.trace.RequestTrace;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a request is charged when its answer does not end the plain way: a stream cut short (client
 * gone, upstream broke), a provider that reported no usage or no input. Never nothing, and the
 * request log (the trace) shows the charge and why. $1000 per million tokens: a token is 1,000,000 nanos.
 */
class SettlementTest {

    private static final String POLICY = """
            providers:
              - {id: up, kind: openai-compatible, base_url: "http://127.0.0.1:9/v1"}
            models:
              - {name: cheap, targets: [{provider: up, model: cheap-up}]}
            pricing:
              - {model: cheap, input: 1000, output: 1000}
            customers: [{id: acme}]
            teams: [{id: infra, customer: acme}]
            keys:
              - {id: alice, team: infra, sha256: %s}
            """.formatted(Secrets.sha256("k-alice"));
    private static final long NANOS_PER_TOKEN = 1_000_000;

    @TempDir
    Path state;
    private Spend spend;
    private Gate gate;
    private PolicySnapshot policy;
    private final RequestTrace trace = RequestTrace.detached();

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

    private Permit admit() throws Exception {
        Call call = new Call(Api.CHAT_COMPLETIONS, "cheap", true, JsonBody.parse(
                "{\"model\":\"cheap\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hello there\"}]}".getBytes(StandardCharsets.UTF_8)),
                Map.of(), policy);
        return assertInstanceOf(Admission.Admitted.class, gate.admit(policy, "k-alice", call)).permit();
    }

    private Ledger.UsageLine alice() {
        return spend.ledger().usage(Ledger.By.KEY, 0).getFirst();
    }

    @Test
    void aStreamCutBeforeAnyUsage_isChargedTheCountedInputAndTheOutputRelayed() throws Exception {
        Permit permit = admit();
        long counted = permit.estimate().inputTokens();
        assertTrue(counted > 0);
        Settlement settle = new Settlement(spend, permit, trace);
        settle.cutShort(Usage.NONE, 17, "the client went away");
        settle.finish(200, Usage.NONE);
        assertEquals((counted + 17) * NANOS_PER_TOKEN, alice().spentNanos());
        assertEquals(0, alice().inFlightNanos(), "the reservation is released, not left held");
        RequestTrace.Facts facts = trace.close();
        assertEquals(counted, facts.usage().inputTokens(), "the request log shows the charge, not the answer's empty usage");
        assertEquals(17, facts.usage().outputTokens());
        assertEquals(BigDecimal.valueOf((counted + 17) * NANOS_PER_TOKEN, 9), facts.cost());
        assertTrue(facts.notes().contains("the client went away") && facts.notes().contains("counted by the gateway"), facts.notes());
    }

    @Test
    void aStreamCutBeforeAnyContent_stillPaysForItsInput() throws Exception {
        Permit permit = admit();
        Settlement settle = new Settlement(spend, permit, trace);
        settle.cutShort(Usage.NONE, 0, "the provider broke off the stream");
        assertEquals(permit.estimate().inputTokens() * NANOS_PER_TOKEN, alice().spentNanos());
    }

    @Test
    void anAnthropicStreamCutAfterMessageStart_keepsTheProvidersInputAndChargesTheDeltasRelayedAfterIt() throws Exception {
        Settlement settle = new Settlement(spend, admit(), trace);
        // message_start said 40 input tokens and a provisional 1 output token; 9 tokens of deltas followed.
        settle.cutShort(new Usage(40, 1, 0, 0, 0), 9, "the client went away");
        assertEquals(49 * NANOS_PER_TOKEN, alice().spentNanos());
        assertTrue(trace.close().notes().contains("as the provider reported them"));
    }

    @Test
    void aCutWhereTheProviderHadCountedMoreOutput_keepsTheProvidersCount() throws Exception {
        Settlement settle = new Settlement(spend, admit(), trace);
        settle.cutShort(new Usage(40, 12, 0, 0, 0), 9, "the client went away");
        assertEquals(52 * NANOS_PER_TOKEN, alice().spentNanos());
    }

    @Test
    void aWholeAnswerWithoutUsage_isChargedItsReservation() throws Exception {
        Permit permit = admit();
        Settlement settle = new Settlement(spend, permit, trace);
        settle.beforeBody(200, Usage.NONE);
        settle.finish(200, Usage.NONE);
        assertEquals(permit.reservation().nanos(), alice().spentNanos());
        assertTrue(trace.close().notes().contains("reported no usage"));
    }

    @Test
    void aUsageWithoutInputTokens_isChargedTheCountedInput() throws Exception {
        Permit permit = admit();
        Settlement settle = new Settlement(spend, permit, trace);
        settle.beforeBody(200, new Usage(0, 5, 0, 0, 0)); // e.g. "prompt_tokens":"many" read as 0
        assertEquals((permit.estimate().inputTokens() + 5) * NANOS_PER_TOKEN, alice().spentNanos());
        assertTrue(trace.close().notes().contains("reported no input tokens"));
    }

    @Test
    void aPlainAnswerIsChargedWhatTheProviderReportedAndNeedsNoNote() throws Exception {
        Settlement settle = new Settlement(spend, admit(), trace);
        settle.beforeBody(200, new Usage(5, 10, 0, 0, 0));
        settle.cutShort(Usage.NONE, 99, "too late: already settled");
        assertEquals(15 * NANOS_PER_TOKEN, alice().spentNanos());
        assertNull(trace.close().notes());
    }
}
