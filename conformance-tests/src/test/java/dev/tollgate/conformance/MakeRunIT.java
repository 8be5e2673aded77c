package dev.tollgate.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ConnectException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code make run} as a new user runs it: on the ports given, the example policy's simulator providers follow
 * {@code SIM_PORT}, the copy of the policy keeps the user's edits across restarts, any model answers from any client
 * format, and a SIGTERM (kill) or SIGINT (Ctrl-C: the whole process group) ends make, the gateway and the simulator,
 * the gateway saying it drains and when it stopped. The build is taken as done ({@code make -o build}: `mvn package`
 * ran before the integration tests).
 */
class MakeRunIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @Test
    void servesOnTheGivenPortsKeepsPolicyEditsAndStopsEverythingOnSigtermAndSigint(@TempDir Path dir) throws Exception {
        Path state = dir.resolve("state");
        int port = Stack.freePort();
        int simPort = Stack.freePort();

        Running first = start(dir, state, port, simPort, "run-1.log");
        String key = Files.readString(state.resolve("dev-key.txt")).trim();
        assertTrue(key.startsWith("tg-"), key);
        // Any model from any client: the OpenAI client reaches the simulator in its own format and, translated, in
        // Anthropic's and Google's.
        for (String model : List.of("sim/echo", "sim-claude", "sim-gemini")) {
            HttpResponse<String> answer = chat(port, key, model);
            assertEquals(200, answer.statusCode(), model + ": " + answer.body());
        }
        List<String> paths = new ArrayList<>();
        for (JsonNode r : JSON.readTree(get("http://127.0.0.1:" + simPort + "/_sim/requests").body())) {
            paths.add(r.path("path").asText());
        }
        assertEquals(3, paths.size(), "the simulator on SIM_PORT got the three calls: " + paths);
        assertEquals("/v1/chat/completions", paths.get(0));
        assertEquals("/v1/messages", paths.get(1));
        assertTrue(paths.get(2).startsWith("/v1beta/models/echo:"), paths.get(2));

        // The user's edit of the copy, as the README says: a budget on the dev key.
        Path devKey = state.resolve("policy/teams/platform/dev-key.yaml");
        Files.writeString(devKey, Files.readString(devKey) + "    budgets: [{amount_usd: 7, period: daily}]\n");
        stop(first, false);

        int simPort2 = Stack.freePort();
        Running second = start(dir, state, port, simPort2, "run-2.log");
        assertTrue(Files.readString(devKey).contains("amount_usd: 7"), "the user's edit survived the restart");
        assertTrue(Files.readString(state.resolve("policy/providers/sim.yaml")).contains("127.0.0.1:" + simPort2 + "/"),
                "the simulator's providers follow the new SIM_PORT");
        assertEquals(key, Files.readString(state.resolve("dev-key.txt")).trim(), "the dev key is kept");
        assertEquals(200, chat(port, key, "sim/echo").statusCode());
        HttpResponse<String> usage = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/usage"))
                .header("authorization", "Bearer " + key).build(), HttpResponse.BodyHandlers.ofString());
        assertTrue(usage.body().contains("\"limit_usd\":7"), "the edited policy is the one in force: " + usage.body());
        stop(second, true);
    }

    /** What a failed test left running is ended here: each make's process group, by its id. */
    private final List<Process> started = new ArrayList<>();

    @AfterEach
    void killWhatIsLeft() throws Exception {
        for (Process make : started) {
            // The group outlives make if a child did; "no such process" when all is well.
            new ProcessBuilder("kill", "-KILL", "--", "-" + make.pid()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
        }
    }

    private record Running(Process make, Path log, int port, int simPort) {
    }

    private Running start(Path dir, Path state, int port, int simPort, String logName) throws Exception {
        Path log = dir.resolve(logName);
        // setsid: make leads its own process group, as in a terminal, so a test can Ctrl-C the group.
        Process make = new ProcessBuilder("setsid", "make", "--no-print-directory", "-o", "build", "run", "PORT=" + port,
                "SIM_PORT=" + simPort, "STATE=" + state)
                .directory(Stack.HOME.toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        started.add(make);
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (true) {
            try {
                if (get("http://127.0.0.1:" + port + "/health/ready").statusCode() == 200) {
                    break;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            if (!make.isAlive() || System.nanoTime() > deadline) {
                make.destroyForcibly();
                throw new AssertionError("make run did not come up:\n" + Files.readString(log));
            }
            Thread.sleep(100);
        }
        return new Running(make, log, port, simPort);
    }

    /** SIGTERM to make (kill PID), or SIGINT to its process group (Ctrl-C); then nothing of it is left. */
    private static void stop(Running run, boolean ctrlC) throws Exception {
        List<ProcessHandle> tree = new ArrayList<>(run.make().toHandle().descendants().toList());
        tree.add(run.make().toHandle());
        assertTrue(tree.size() >= 3, "make, its shell, the gateway and the simulator: " + tree);
        if (ctrlC) {
            Process kill = new ProcessBuilder("kill", "-INT", "--", "-" + run.make().pid()).inheritIO().start();
            assertEquals(0, kill.waitFor());
        } else {
            run.make().toHandle().destroy(); // SIGTERM, and our end of its output stays open
        }
        assertTrue(run.make().waitFor(60, TimeUnit.SECONDS), "make ends:\n" + Files.readString(run.log()));
        for (ProcessHandle p : tree) {
            assertTrue(p.onExit().get(30, TimeUnit.SECONDS) != null && !p.isAlive(), "still running: " + p.info());
        }
        String log = Files.readString(run.log());
        assertTrue(log.contains("dev.tollgate.server.Main: draining: "), log);
        assertTrue(log.contains("dev.tollgate.server.Main: stopped after "), log);
        assertFalse(listens(run.port()), "the gateway's port is closed");
        assertFalse(listens(run.simPort()), "the simulator's port is closed");
    }

    private static HttpResponse<String> chat(int port, String key, String model) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/chat/completions"))
                .header("authorization", "Bearer " + key).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"))
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> get(String url) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static boolean listens(int port) {
        try (Socket ignored = new Socket("127.0.0.1", port)) {
            return true;
        } catch (ConnectException e) {
            return false;
        } catch (IOException e) {
            return false;
        }
    }
}
