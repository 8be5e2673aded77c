package dev.tollgate.server.call;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tollgate.policy.PolicyLoader;
import dev.tollgate.policy.PolicySnapshot;
import dev.tollgate.providers.Api;
import dev.tollgate.server.call.Call;
import dev.tollgate.server.call.SessionId;
import dev.tollgate.server.errors.GatewayError;
import dev.tollgate.server.errors.GatewayException;
import dev.tollgate.server.route.Routed;
import dev.tollgate.server.route.Router;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Client headers the gateway passes upstream or routes by are bounded; a bad session id is ignored, not refused. */
class ClientHeaderBoundsTest {

    private static final PolicySnapshot POLICY = load("""
            providers:
              - {id: up, kind: openai-compatible, base_url: "http://127.0.0.1:9/v1"}
            models:
              - {name: a, targets: [{provider: up, model: a}]}
              - {name: b, targets: [{provider: up, model: b}]}
            """);

    private static PolicySnapshot load(String yaml) {
        try {
            return PolicyLoader.load(Map.of("p.yaml", yaml.getBytes(StandardCharsets.UTF_8)));
        } catch (dev.tollgate.policy.PolicyException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void sessionIdsAreShortAndPlain() {
        assertTrue(SessionId.valid("0195f5a2-7c2e-7a61-9d1c-3f0e0b8f2a11"));
        assertTrue(SessionId.valid("team:task-42.v2_x"));
        assertTrue(SessionId.valid("s".repeat(128)));
        assertFalse(SessionId.valid("s".repeat(129)));
        assertFalse(SessionId.valid(""));
        assertFalse(SessionId.valid("a b"));
        assertFalse(SessionId.valid("a/../b"));
        assertFalse(SessionId.valid("caf\u00e9"));
    }

    @Test
    void aCallPassesNeitherOverlongValuesNorBadSessionIdsUpstream() {
        Map<String, String> sent = Map.of("openai-beta", "responses=v1", "session_id", "0195f5a2-7c2e", "x-codex-turn", "t".repeat(5000),
                "session-id", "not a session id");
        Call call = new Call(Api.CHAT_COMPLETIONS, "a", false, null, sent, POLICY);
        assertEquals(Map.of("openai-beta", "responses=v1", "session_id", "0195f5a2-7c2e"), call.passHeaders());
    }

    @Test
    void aBadSessionIdMeansNoStickinessAndTheNextHeaderIsTried() throws Exception {
        Router router = new Router();
        Map<String, String> headers = Map.of("x-tollgate-session", "x".repeat(10_000), "session_id", "codex-1");
        Routed routed = router.route(POLICY, "a", name -> Optional.ofNullable(headers.get(name)), m -> true);
        assertEquals(Optional.of("codex-1"), routed.session());
        Routed none = router.route(POLICY, "a", name -> name.equals("session-id") ? Optional.of("\u0000") : Optional.empty(), m -> true);
        assertEquals(Optional.empty(), none.session());
    }

    @Test
    void anOverlongFallbacksHeaderIsA400() {
        Router router = new Router();
        String fallbacks = "b," + "x".repeat(2000);
        GatewayException e = assertThrows(GatewayException.class, () -> router.route(POLICY, "a",
                name -> name.equals(Router.FALLBACKS_HEADER) ? Optional.of(fallbacks) : Optional.empty(), m -> true));
        assertTrue(e.error() instanceof GatewayError.BadRequest b && b.message().contains("at most 5 models"), e.error().message());
    }
}
