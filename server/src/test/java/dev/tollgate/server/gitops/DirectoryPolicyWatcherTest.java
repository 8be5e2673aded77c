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

    /** A provider setting of the wrong type, or one its kind does not take, is refused where it is, with the valid ones. */
    @Test
    void aMistypedProviderSettingKeepsTheLastGoodPolicy(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("policy.yaml");
        Files.writeString(file, GOOD);
        PolicyHolder holder = new PolicyHolder(PolicyLoader.loadDirectory(dir));
        DirectoryPolicyWatcher watcher = new DirectoryPolicyWatcher(dir, holder, Duration.ofHours(1));
        String good = holder.current().version();
        Files.writeString(file, GOOD.replace("base_url: \"http://127.0.0.1:1/v1\"}",
                "base_url: \"http://127.0.0.1:1/v1\", settings: {max-output-tokens: lots, apiversion: x}}"));
        watcher.checkOnce();
        assertEquals(good, holder.current().version(), "the last good policy stays in force");
        String errors = String.join("\n", watcher.status().lastErrors());
        assertTrue(errors.contains("policy.yaml:2:") && errors.contains("'max-output-tokens' must be a whole number"), errors);
        assertTrue(errors.contains("unknown setting 'apiversion' for kind openai-compatible")
                && errors.contains("settings of kind openai-compatible: api, reasoning, max-output-tokens"), errors);
    }
}
