package dev.tollgate.server.settings;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServerSettingsTest {

    @Test
    void defaultsComeFromTheBundledFile() {
        ServerSettings s = ServerSettings.load(Map.of(), null);
        assertEquals(8080, s.port());
        assertEquals("policies-example-repo", s.policy());
        assertEquals(32L * 1024 * 1024, s.bodyLimit());
        assertEquals(Duration.ofSeconds(30), s.shutdownGrace());
        assertEquals(256L << 20, s.bodyBuffered());
        assertEquals(1L << 20, s.webhookBodyLimit());
    }

    @Test
    void bodiesHeldAtOnceNeverCapBelowOneBodyAtTheLimit() {
        ServerSettings s = ServerSettings.load(Map.of("tollgate.body.buffered", "1000", "tollgate.webhook.body.limit", "4096"), null);
        assertEquals(s.bodyLimit(), s.bodyBuffered(), "one body at the limit always fits");
        assertEquals(4096, s.webhookBodyLimit());
        assertEquals(0, ServerSettings.load(Map.of("tollgate.body.buffered", "0"), null).bodyBuffered(), "0 = no cap");
    }

    @Test
    void flagsWinOverTheSettingsFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("tollgate.yaml");
        Files.writeString(file, "tollgate:\n  port: 9000\n  policy: /etc/tollgate/policy\n  state:\n    dir: /var/lib/tollgate\n");
        ServerSettings fromFile = ServerSettings.load(Map.of(), file);
        assertEquals(9000, fromFile.port());
        assertEquals(Path.of("/var/lib/tollgate"), fromFile.stateDir());

        ServerSettings flagged = ServerSettings.load(Map.of(ServerSettings.FLAGS.get("--port"), "9100",
                ServerSettings.FLAGS.get("--shutdown-grace"), "2.5"), file);
        assertEquals(9100, flagged.port());
        assertEquals("/etc/tollgate/policy", flagged.policy());
        assertEquals(Duration.ofMillis(2500), flagged.shutdownGrace());
    }

    @Test
    void gitSettingsHaveDefaultsAndFlags() {
        ServerSettings defaults = ServerSettings.load(Map.of(), null);
        assertEquals("main", defaults.gitBranch());
        assertEquals("", defaults.gitPath());
        assertEquals(Duration.ofSeconds(10), defaults.pollInterval());

        ServerSettings flagged = ServerSettings.load(Map.of(ServerSettings.FLAGS.get("--policy-branch"), "release",
                ServerSettings.FLAGS.get("--policy-path"), "gateway", ServerSettings.FLAGS.get("--policy-poll"), "0.5"), null);
        assertEquals("release", flagged.gitBranch());
        assertEquals("gateway", flagged.gitPath());
        assertEquals(Duration.ofMillis(500), flagged.pollInterval());
    }

    @Test
    void sharedStateIsOffUnlessARedisIsGivenAndTheFlagWinsOverTheFile(@TempDir Path dir) throws Exception {
        assertEquals(java.util.Optional.empty(), ServerSettings.load(Map.of(), null).redisUrl());
        Path file = dir.resolve("tollgate.yaml");
        Files.writeString(file, "tollgate:\n  redis:\n    url: redis://redis.internal:6379/0\n");
        assertEquals(java.util.Optional.of("redis://redis.internal:6379/0"), ServerSettings.load(Map.of(), file).redisUrl());
        ServerSettings flagged = ServerSettings.load(Map.of(ServerSettings.FLAGS.get("--redis"), "redis://127.0.0.1:6380"), file);
        assertEquals(java.util.Optional.of("redis://127.0.0.1:6380"), flagged.redisUrl());
    }
}
