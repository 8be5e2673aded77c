package dev.tollgate.server.telemetry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TelemetrySettingsTest {

    @Test
    void offByDefaultAndAFlagWinsOverTheFile(@TempDir Path dir) throws Exception {
        TelemetrySettings defaults = TelemetrySettings.defaults();
        assertFalse(defaults.otel(), "tracing is off unless asked for");
        assertTrue(defaults.requestLog());
        assertEquals(Duration.ofDays(30), defaults.retention());

        Path file = Files.writeString(dir.resolve("settings.yaml"), """
                tollgate:
                  otel: {enabled: true, endpoint: "http://collector:4318/v1/traces", sampling: 0.25}
                  requests: {retention: 7}
                """);
        TelemetrySettings fromFile = TelemetrySettings.load(Map.of(), file);
        assertTrue(fromFile.otel());
        assertEquals("http://collector:4318/v1/traces", fromFile.otelEndpoint());
        assertEquals(0.25, fromFile.otelSampling());
        assertEquals(Duration.ofDays(7), fromFile.retention());

        TelemetrySettings flagged = TelemetrySettings.load(Map.of(TelemetrySettings.FLAGS.get("--otel-sampling"), "0.5",
                TelemetrySettings.FLAGS.get("--otel"), "false"), file);
        assertEquals(0.5, flagged.otelSampling());
        assertFalse(flagged.otel());
        assertThrows(IllegalArgumentException.class,
                () -> TelemetrySettings.load(Map.of("tollgate.otel.sampling", "2"), null), "sampling is a share of traces");
    }

    @Test
    void metricsHaveNoManagementPortAndNoScrapeTokenByDefault() {
        TelemetrySettings defaults = TelemetrySettings.defaults();
        assertEquals(0, defaults.managementPort());
        assertEquals(9464, TelemetrySettings.load(Map.of(TelemetrySettings.FLAGS.get("--management-port"), "9464"), null).managementPort());
        assertEquals(0, TelemetrySettings.load(Map.of("tollgate.management.port", "0"), null).managementPort());
        assertThrows(IllegalArgumentException.class, () -> TelemetrySettings.load(Map.of("tollgate.management.port", "metrics"), null));
        assertEquals(java.util.Optional.of("file:/run/secrets/scrape"),
                TelemetrySettings.load(Map.of("tollgate.metrics.token", " file:/run/secrets/scrape "), null).metricsToken());
    }
}
