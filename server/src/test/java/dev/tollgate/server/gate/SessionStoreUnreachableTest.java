package dev.tollgate.server.gate;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import dev.tollgate.policy.PolicyLoader;
import dev.tollgate.policy.PolicySnapshot;
import dev.tollgate.policy.Secrets;
import dev.tollgate.providers.Api;
import dev.tollgate.providers.json.JsonBody;
import dev.tollgate.server.budget.Spend;
import dev.tollgate.server.call.AgentSession;
import dev.tollgate.server.call.Call;
import dev.tollgate.server.errors.GatewayError;
import dev.tollgate.server.ledger.SqliteLedger;
import dev.tollgate.server.session.SharedSessions;
import dev.tollgate.server.session.Sessions;
import dev.tollgate.server.shared.SharedStore;
import dev.tollgate.server.signin.PersonalKeys;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A governed session whose shared store does not answer: a 503, failing closed, and nothing of the request kept held. */
class SessionStoreUnreachableTest {

    @Test
    void aSessionRequestIsRefusedAsUnreachableAndGivesItsConcurrencySlotBack(@TempDir Path state) throws Exception {
        PolicySnapshot policy = PolicyLoader.load(Map.of("p.yaml", """
                providers:
                  - {id: up, kind: openai-compatible, base_url: "http://127.0.0.1:9/v1"}
                models:
                  - {name: cheap, targets: [{provider: up, model: cheap-up}]}
                pricing:
                  - {model: cheap, input: 1000, output: 1000}
                customers:
                  - {id: acme}
                teams:
                  - {id: infra, customer: acme}
                keys:
                  - {id: alice, team: infra, sha256: %s, max_concurrent: 1, budgets: [{amount_usd: 5, period: session}]}
                """.formatted(Secrets.sha256("k-alice")).getBytes(StandardCharsets.UTF_8)));
        int port;
        try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = free.getLocalPort(); // nothing listens there once closed
        }
        try (Spend spend = new Spend(() -> SqliteLedger.open(state, false), Clock.systemUTC());
             SharedStore store = SharedStore.of("redis://127.0.0.1:" + port)) {
            Gate gate = new Gate(spend, new RateLimits(), new PersonalKeys.None(), new Sessions(Clock.systemUTC(), new SharedSessions(store)));
            for (int i = 0; i < 2; i++) {
                Call call = new Call(Api.CHAT_COMPLETIONS, "cheap", false, JsonBody.parse(
                        "{\"model\":\"cheap\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"
                                .getBytes(StandardCharsets.UTF_8)), Map.of(), policy);
                Admission a = gate.admit(policy, "k-alice", call, Optional.of(new AgentSession("task", null)), Optional.empty());
                // The second is refused the same way, not for max_concurrent: the first gave its slot back.
                assertInstanceOf(GatewayError.SharedStateUnreachable.class, assertInstanceOf(Admission.Refused.class, a).error(), "request " + i);
            }
        }
    }
}
