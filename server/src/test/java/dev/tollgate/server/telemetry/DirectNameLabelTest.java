package dev.tollgate.server.telemetry;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tollgate.policy.PolicyLoader;
import dev.tollgate.policy.PolicySnapshot;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code provider/model} traffic gets its own metric label when the policy names it, and never a client's raw name. */
class DirectNameLabelTest {

    private static final PolicySnapshot POLICY = load();

    private static PolicySnapshot load() {
        try {
            return PolicyLoader.load(Map.of("p.yaml", """
                    providers:
                      - {id: up, kind: openai-compatible, base_url: "http://127.0.0.1:9/v1"}
                    models:
                      - {name: fast, targets: [{provider: up, model: fast-upstream}]}
                    """.getBytes(StandardCharsets.UTF_8)));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void aDeclaredProvidersTargetIsItsOwnLabel() {
        assertEquals("up/fast-upstream", Telemetry.directName("up/fast-upstream", POLICY));
    }

    @Test
    void aModelThePolicyDoesNotNameIsTheProvidersOther() {
        assertEquals("up/other", Telemetry.directName("up/made-up-model-9", POLICY));
    }

    @Test
    void anUndeclaredProviderOrACatalogStyleNameIsOther() {
        assertEquals("other", Telemetry.directName("nobody/fast-upstream", POLICY));
        assertEquals("other", Telemetry.directName("made-up-model-9", POLICY));
        assertEquals("other", Telemetry.directName(null, POLICY));
    }
}
