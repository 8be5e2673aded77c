package dev.tollgate.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;

import org.junit.jupiter.api.Test;

class SimOptionsIT {
    @Test
    void flagsOverrideEnvironmentWhichOverridesDefaults() {
        SimOptions o = SimOptions.parse(new String[] {"--port", "9001", "--ttft-ms=25"},
                Map.of("SIM_PORT", "1", "SIM_CHUNK_GAP_MS", "7", "SIM_WORDS", "3"));
        assertEquals(new SimOptions(9001, 25, 7, 3, SimOptions.DEFAULT_RECORD_LIMIT), o);
        assertEquals(SimOptions.defaults(), SimOptions.parse(new String[0], Map.of()));
    }

    @Test
    void rejectsNonsense() {
        assertThrows(IllegalArgumentException.class, () -> SimOptions.parse(new String[] {"--port"}, Map.of()));
        assertThrows(IllegalArgumentException.class, () -> SimOptions.parse(new String[] {"--words", "-1"}, Map.of()));
        assertThrows(IllegalArgumentException.class, () -> SimOptions.parse(new String[] {"--colour", "1"}, Map.of()));
        assertThrows(IllegalArgumentException.class, () -> SimOptions.parse(new String[0], Map.of("SIM_TTFT_MS", "soon")));
        assertThrows(IllegalArgumentException.class, () -> SimOptions.parse(new String[] {"--port", "70000"}, Map.of()));
    }

    @Test
    void runWideTimingApplies() throws Exception {
        try (ProviderSim sim = ProviderSim.start(SimOptions.defaults().withTtftMs(250).withWords(2))) {
            SimHttp http = new SimHttp(sim);
            long t0 = System.nanoTime();
            var r = http.post("/v1/chat/completions", "{\"model\":\"m\",\"messages\":[]}");
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertEquals("Hello from", r.json().at("/choices/0/message/content").asText());
            assertEquals(true, ms >= 250, "took " + ms);
        }
    }
}
