package dev.tollgate.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tollgate.policy.PolicyLoader;
import dev.tollgate.server.audit.Signatures;
import dev.tollgate.server.gitops.DirectoryPolicyWatcher;
import dev.tollgate.server.gitops.PolicyHolder;
import dev.tollgate.server.settings.ServerSettings;
import dev.tollgate.server.telemetry.Telemetry;
import dev.tollgate.server.telemetry.TelemetrySettings;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Policy changes and admin actions land in the hash-chained audit log; `tollgate audit verify` catches tampering. */
class AuditTrailTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void recordsPolicyChangesAndAdminActionsAndDetectsTampering(@TempDir Path tmp) throws Exception {
        Path policyDir = Files.createDirectories(tmp.resolve("policy"));
        Path state = tmp.resolve("state");
        Files.writeString(policyDir.resolve("policy.yaml"), ObservabilityTest.policy(9, 9));
        PolicyHolder holder = new PolicyHolder(PolicyLoader.loadDirectory(policyDir));
        String first = holder.current().version();
        // Polls rarely: the refresh below is what applies the change.
        DirectoryPolicyWatcher watcher = new DirectoryPolicyWatcher(policyDir, holder, Duration.ofHours(1));
        try (TollgateServer gateway = TollgateServer.start(new ServerSettings("127.0.0.1", 0, "unused", state, 1 << 20, Duration.ofSeconds(5)),
                holder, watcher, Telemetry.create(TelemetrySettings.defaults(), state))) {
            Files.writeString(policyDir.resolve("policy.yaml"), ObservabilityTest.policy(9, 9).replace("output: 2.0", "output: 4.0"));
            HttpResponse<String> refreshed = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + gateway.port() + "/admin/policy/refresh"))
                    .header("authorization", "Bearer " + ObservabilityTest.ADMIN)
                    .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, refreshed.statusCode(), refreshed.body());
            assertEquals("updated", JSON.readTree(refreshed.body()).path("result").asText());
        } finally {
            watcher.close();
        }
        Path log = state.resolve("audit.log");
        List<String> lines = Files.readAllLines(log);
        assertEquals(3, lines.size(), String.join("\n", lines));
        JsonNode loaded = entry(lines.get(0));
        assertEquals("policy.loaded", loaded.path("kind").asText());
        assertEquals(first, loaded.path("commit").asText());
        JsonNode applied = entry(lines.get(1));
        assertEquals("policy.applied", applied.path("kind").asText());
        assertEquals(first, applied.path("previous").asText());
        assertEquals(holder.current().version(), applied.path("commit").asText());
        assertTrue(applied.path("changes").toString().contains("fast-upstream"), applied.toString());
        JsonNode action = entry(lines.get(2));
        assertEquals("admin.action", action.path("kind").asText());
        assertEquals("admin:ops", action.path("actor").asText());
        assertEquals("policy.refresh", action.path("action").asText());
        assertTrue(action.path("result").asText().startsWith("updated"), action.toString());

        assertEquals(0, Main.run("audit", "verify", log.toString()), "the untouched chain verifies");

        // An edited entry.
        Files.write(log, replace(lines, 2, lines.get(2).replace("admin:ops", "admin:eve")));
        assertEquals(1, Main.run("audit", "verify", log.toString()));
        // A removed entry in the middle.
        List<String> removed = new ArrayList<>(lines);
        removed.remove(1);
        Files.write(log, removed);
        assertEquals(1, Main.run("audit", "verify", log.toString()));
        // The last entry cut off (the head file remembers it).
        Files.write(log, lines.subList(0, 2));
        assertEquals(1, Main.run("audit", "verify", log.toString()));
        Files.write(log, lines);
        assertEquals(0, Main.run("audit", "verify", "--state-dir", state.toString()));
    }

    private static JsonNode entry(String line) throws Exception {
        return JSON.readTree(line.substring(65));
    }

    private static List<String> replace(List<String> lines, int i, String line) {
        List<String> out = new ArrayList<>(lines);
        out.set(i, line);
        return out;
    }

    @Test
    void namesTheKeyOfAnOpenPgpSignedCommit() {
        String signature = """
                -----BEGIN PGP SIGNATURE-----

                iHUEABYIAB0WIQRhUC2/xU8h0deJuauQSdo/iOnCTQUCawYY/wAKCRCQSdo/iOnC
                TYqyAQCztU8hW8xiXXxEYfya9GFFKnN9igw3yNh/wLhnFJmFkgD+KHf+dyVDsLk8
                +o7mGhqywMV0mscodQsr56j1zZ6fvwU=
                =+YhY
                -----END PGP SIGNATURE-----
                """;
        // gpg --list-keys --with-colons of the signing key: fpr 61502DBFC54F21D1D789B9AB9049DA3F88E9C24D
        assertEquals("openpgp fingerprint 61502DBFC54F21D1D789B9AB9049DA3F88E9C24D",
                Signatures.describe(signature.getBytes(StandardCharsets.US_ASCII)));
    }

    @Test
    void namesTheKeyOfAnSshSignedCommit() {
        String signature = """
                -----BEGIN SSH SIGNATURE-----
                U1NIU0lHAAAAAQAAADMAAAALc3NoLWVkMjU1MTkAAAAg8i6G/cToh/6BKtuTSJn5OuwmPI
                4wwiAq92JJ75LAEIcAAAADZ2l0AAAAAAAAAAZzaGE1MTIAAABTAAAAC3NzaC1lZDI1NTE5
                AAAAQJ4+wNj/6XDGxo1wERO30lc7kMhrT3GAHFy5s0rvPNTWkKk+1S52y3ENZqTy/G4e0g
                69ZtUMuH/eIeUK0k+zrAk=
                -----END SSH SIGNATURE-----
                """;
        // ssh-keygen -lf of the signing key printed SHA256:NTSrqRMHTuqKEuPL2/H0X1AGq+Bn3XIRqaKYwhsX8WA
        assertEquals("ssh SHA256:NTSrqRMHTuqKEuPL2/H0X1AGq+Bn3XIRqaKYwhsX8WA", Signatures.describe(signature.getBytes(StandardCharsets.US_ASCII)));
    }
}
