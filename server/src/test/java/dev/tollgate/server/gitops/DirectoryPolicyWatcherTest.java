package dev.tollgate.server.gitops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tollgate.policy.PolicyLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DirectoryPolicyWatcherTest {

    private static final String GOOD = """
            providers:
              - {id: sim, kind: openai-compatible, base_url: "http://127.0.0.1:1/v1"}
            models:
              - name: a
                targets: [{provider: sim, model: a}]
            """;

    @Test
    void swapsInAGoodChangeAndKeepsTheLastGoodPolicyOnABadOne(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("policy.yaml");
        Files.writeString(file, GOOD);
        PolicyHolder holder = new PolicyHolder(PolicyLoader.loadDirectory(dir));
        DirectoryPolicyWatcher watcher = new DirectoryPolicyWatcher(dir, holder, Duration.ofHours(1));
        String first = holder.current().version();

        Files.writeString(file, GOOD.replace("name: a", "name: b"));
        watcher.checkOnce();
        String second = holder.current().version();
        assertNotEquals(first, second);
        assertTrue(holder.current().resolve("b").isPresent());

        Files.writeString(file, GOOD.replace("kind: openai-compatible", "kind: nope"));
        watcher.checkOnce();
        assertEquals(second, holder.current().version(), "a policy that does not load never replaces the one in force");
        assertTrue(holder.current().resolve("b").isPresent());
    }
}
