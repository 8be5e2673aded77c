package dev.tollgate.server.settle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tollgate.policy.PolicyLoader;
import dev.tollgate.policy.PolicySnapshot;
import dev.tollgate.policy.Secrets;
import dev.tollgate.providers.Api;
import dev.tollgate.providers.json.JsonBody;
import dev.tollgate.providers.sse.SseEvent;
import dev.tollgate.providers.usage.Usage;
import dev.tollgate.providers.usage.UsageTap;
import dev.tollgate.server.budget.Spend;
import dev.tollgate.server.call.Call;
import dev.tollgate.server.gate.Admission;
import dev.tollgate.server.gate.Gate;
import dev.tollgate.server.gate.Permit;
import dev.tollgate.server.ledger.Ledger;
import dev.tollgate.server.ledger.SqliteLedger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Settling a reservation against what the provider reported: money fails closed, tiers are priced. */
class SettlementRatesTest {

    private static final String POLICY = """
            providers:
              - {id: up, kind: openai-compatible, base_url: "http://127.0.0.1:9/v1"}
            models:
              - {name: m, targets: [{provider: up, model: m-up}]}
            pricing:
              - model: m
                input: 1000
                output: 1000
                above: {input_tokens: 100, input: 2000, output: 3000}
                service_tiers: {flex: 0.5, priority: 2}
            customers:
              - {id: acme}
            teams:
              - {id: infra, customer: acme}
            keys:
              - {id: alice, team: infra, sha256: %s, budgets: [{amount_usd: 100, period: daily}]}
            """.formatted(Secrets.sha256("k-alice"));

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

    private Permit admit(String extra) throws Exception {
        Call call = new Call(Api.RESPONSES, "m", true, JsonBody.parse(("{\"model\":\"m\",\"max_output_tokens\":10" + extra
                + ",\"input\":\"hello there\"}").getBytes(StandardCharsets.UTF_8)), Map.of(), policy);
        return assertInstanceOf(Admission.Admitted.class, gate.admit(policy, "k-alice", call)).permit();
    }

    private long spent() {
        var line = spend.ledger().usage(Ledger.By.KEY, 0).getFirst();
        assertEquals(0, line.inFlightNanos(), "nothing is left reserved");
        return line.spentNanos();
    }

    private static SseEvent completed(String usage) {
        return SseEvent.of("response.completed", "{\"type\":\"response.completed\",\"response\":{\"id\":\"r\",\"usage\":" + usage + "}}");
    }

    /** Codex accepts a stream of output_item.done then response.completed: no deltas. Without usage it must not be free. */
    @Test
    void aStreamThatEndsWithoutUsageIsChargedItsReservation() throws Exception {
        Permit permit = admit("");
        Settlement settle = new Settlement(spend, permit);
        UsageTap tap = UsageTap.forStream(Api.RESPONSES, false);
        SseEvent end = SseEvent.of("response.completed", "{\"type\":\"response.completed\",\"response\":{\"id\":\"r\"}}");
        tap.accept(end);
        settle.beforeEvent(end, tap.usage(), () -> tap.relayed().tokens());
        settle.finish(200, tap.usage());
        assertTrue(permit.reservation().nanos() > 0);
        assertEquals(permit.reservation().nanos(), spent());
    }

    @Test
    void garbledUsageIsChargedItsReservationNotZero() throws Exception {
        for (String usage : new String[] {"{\"input_tokens\":\"lots\",\"output_tokens\":3}", "{}", "{\"input_tokens\":-40,\"output_tokens\":3}",
                "{\"input_tokens\":4.5,\"output_tokens\":3}", "\"none\""}) {
            spend.close();
            spend = new Spend(() -> SqliteLedger.open(state.resolve("s" + Math.abs(usage.hashCode())), false), Clock.systemUTC());
            gate = new Gate(spend);
            Permit permit = admit("");
            Settlement settle = new Settlement(spend, permit);
            UsageTap tap = UsageTap.forStream(Api.RESPONSES, false);
            SseEvent end = completed(usage);
            tap.accept(end);
            settle.beforeEvent(end, tap.usage(), () -> tap.relayed().tokens());
            settle.finish(200, tap.usage());
            assertEquals(permit.reservation().nanos(), spent(), usage);
        }
    }

    @Test
    void aWholeAnswerWithGarbledUsageIsChargedItsReservation() throws Exception {
        Permit permit = admit("");
        Settlement settle = new Settlement(spend, permit);
        Usage usage = UsageTap.ofBody(Api.RESPONSES, "{\"id\":\"r\",\"usage\":{\"input_tokens\":null,\"output_tokens\":2}}".getBytes(StandardCharsets.UTF_8));
        settle.beforeBody(200, usage);
        settle.finish(200, usage);
        assertEquals(permit.reservation().nanos(), spent());
    }

    @Test
    void theTierTheUpstreamServedIsPricedElseTheOneRequested() throws Exception {
        Permit flex = admit(",\"service_tier\":\"flex\"");
        Settlement settle = new Settlement(spend, flex);
        UsageTap tap = UsageTap.forStream(Api.RESPONSES, false);
        // Asked for flex, the upstream says it served priority: priority it is ($2000 per million at 2x).
        SseEvent end = SseEvent.of("response.completed", "{\"type\":\"response.completed\",\"response\":{\"id\":\"r\",\"service_tier\":\"priority\","
                + "\"usage\":{\"input_tokens\":10,\"output_tokens\":5}}}");
        tap.accept(end);
        settle.beforeEvent(end, tap.usage(), () -> tap.relayed().tokens());
        settle.finish(200, tap.usage());
        assertEquals(30_000_000L, spent());

        Permit asked = admit(",\"service_tier\":\"flex\"");
        Settlement quiet = new Settlement(spend, asked);
        quiet.beforeBody(200, new Usage(10, 5, 0, 0, 0));
        quiet.finish(200, new Usage(10, 5, 0, 0, 0));
        // The upstream did not say: the requested flex, half of $1000 per million on 15 tokens.
        assertEquals(30_000_000L + 7_500_000L, spent());
    }

    @Test
    void aLongPromptIsReservedAndSettledAtTheLongContextRates() throws Exception {
        Permit permit = admit("");
        Settlement settle = new Settlement(spend, permit);
        settle.beforeBody(200, new Usage(101, 10, 0, 0, 0));
        settle.finish(200, new Usage(101, 10, 0, 0, 0));
        // Above 100 input tokens every token pays the tier's rates: 101 x $2000 + 10 x $3000 per million.
        assertEquals(232_000_000L, spent());
    }
}
