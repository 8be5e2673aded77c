package dev.tollgate.server.launch;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.providers.json.JsonBody;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A coding agent the launcher can point at the gateway, and how: flags put before the user's own
 * arguments, variables to set or remove, and files for its private configuration directory. Nothing
 * here writes the agent's own configuration files: each agent has an override (flags, a variable, a
 * settings file named by a variable) that leaves the user's global configuration as it is.
 */
public sealed interface Agent permits Agent.Codex, Agent.ClaudeCode, Agent.GeminiCli, Agent.OpenCode {

    /** The session header the gateway groups a conversation's requests by. */
    String SESSION_HEADER = "x-tollgate-session";

    /** The name on the command line ({@code tollgate launch NAME}). */
    String name();

    /** The executable looked up on PATH. */
    String executable();

    /** The variable that names the executable instead of PATH (the test suites set these). */
    default String binVariable() {
        return "TOLLGATE_" + name().toUpperCase(java.util.Locale.ROOT) + "_BIN";
    }

    /** How to install it, for the message when it is not found. */
    String installHint();

    /** The agent's wiring for this gateway, key, model and session. */
    Setup setup(Target target);

    /**
     * The wiring with what only the installed agent can give (Codex: its own model catalog, extended with
     * the gateway's models); problems are told on {@code err} and the plain wiring is used.
     */
    default Setup prepare(java.nio.file.Path executable, Target target, List<GatewayModels.Offered> offered, java.io.PrintStream err) {
        return setup(target);
    }

    /** Where and as whom the agent runs: the gateway's base URL (no trailing slash), the models the key may use. */
    record Target(String gateway, String key, String model, List<String> models, String session) {
    }

    /**
     * @param args  put before the user's arguments
     * @param env   variables to set; a null value removes one the user's shell may have set (it would win or conflict)
     * @param files file name (in ~/.config/tollgate/launch, Tollgate's own directory) to content; {@link #PRIVATE_DIR} in args
     *              or env stands for that directory
     * @param generated files for the same directory that the launcher writes itself even with --print-env (derived from
     *              the installed agent, too large to print, never secret)
     */
    record Setup(List<String> args, Map<String, String> env, Map<String, String> files, Map<String, String> generated) {
        public static final String PRIVATE_DIR = "${TOLLGATE_LAUNCH_DIR}";

        public Setup(List<String> args, Map<String, String> env, Map<String, String> files) {
            this(args, env, files, Map.of());
        }
    }

    static List<Agent> all() {
        return List.of(new Codex(), new ClaudeCode(), new GeminiCli(), new OpenCode());
    }

    static java.util.Optional<Agent> named(String name) {
        return all().stream().filter(a -> a.name().equals(name)).findFirst();
    }

    /**
     * Codex ignores OPENAI_BASE_URL: the gateway becomes a custom provider through -c overrides (they
     * win over ~/.codex/config.toml without editing it), keyed from TOLLGATE_KEY so the key never shows
     * in the process list. Top-level -c options apply to every subcommand (exec, resume, the TUI).
     */
    record Codex() implements Agent {
        public String name() {
            return "codex";
        }

        public String executable() {
            return "codex";
        }

        public String installHint() {
            return "npm install -g @openai/codex";
        }

        public Setup setup(Target t) {
            String provider = "{name=\"Tollgate\",base_url=" + toml(t.gateway() + "/v1") + ",env_key=\"TOLLGATE_KEY\",wire_api=\"responses\","
                    + "supports_websockets=false"
                    + (t.session() == null ? "" : ",http_headers={" + toml(SESSION_HEADER) + "=" + toml(t.session()) + "}") + "}";
            return new Setup(List.of("-c", "model_provider=\"tollgate\"", "-c", "model_providers.tollgate=" + provider,
                    "-c", "model=" + toml(t.model()), "-c", "analytics.enabled=false"),
                    env("TOLLGATE_KEY", t.key()), Map.of());
        }

        /** With the model catalog built from this Codex's own (see {@link CodexCatalog}), so gateway models get real metadata. */
        @Override
        public Setup prepare(java.nio.file.Path executable, Target t, List<GatewayModels.Offered> offered, java.io.PrintStream err) {
            Setup plain = setup(t);
            CodexCatalog.Result catalog = CodexCatalog.build(executable, offered);
            if (catalog.json().isEmpty()) {
                err.println("tollgate launch: " + catalog.why() + "; Codex will use its generic metadata for the gateway's models.");
                return plain;
            }
            List<String> args = new ArrayList<>(plain.args());
            args.addAll(List.of("-c", "model_catalog_json=" + toml(Setup.PRIVATE_DIR + "/" + CATALOG_FILE)));
            return new Setup(args, plain.env(), plain.files(), Map.of(CATALOG_FILE, catalog.json().get()));
        }

        static final String CATALOG_FILE = "codex-models.json";

        private static String toml(String s) {
            return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
        }
    }

    /**
     * Claude Code reads its base URL and token from the environment. The token goes as
     * ANTHROPIC_AUTH_TOKEN (a bearer header): ANTHROPIC_API_KEY would make the TUI ask once whether to
     * trust the key and store the answer in ~/.claude.json. Without the traffic switch it calls
     * Anthropic's own hosts beside the gateway.
     */
    record ClaudeCode() implements Agent {
        public String name() {
            return "claude";
        }

        public String executable() {
            return "claude";
        }

        public String installHint() {
            return "npm install -g @anthropic-ai/claude-code";
        }

        public Setup setup(Target t) {
            Map<String, String> env = env("ANTHROPIC_AUTH_TOKEN", t.key());
            env.put("ANTHROPIC_API_KEY", null);
            env.put("ANTHROPIC_BASE_URL", t.gateway() + "/anthropic");
            env.put("ANTHROPIC_MODEL", t.model());
            // Its background calls (titles, summaries) name a small model: the same one, which the key may use.
            env.put("ANTHROPIC_SMALL_FAST_MODEL", t.model());
            env.put("ANTHROPIC_DEFAULT_HAIKU_MODEL", t.model());
            env.put("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1");
            if (t.session() != null) {
                env.put("ANTHROPIC_CUSTOM_HEADERS", SESSION_HEADER + ": " + t.session());
            }
            return new Setup(List.of(), env, Map.of());
        }
    }

    /**
     * Gemini CLI needs its auth type chosen in a settings file (headless it exits 41 otherwise): the system
     * settings file, named by GEMINI_CLI_SYSTEM_SETTINGS_PATH, wins over ~/.gemini/settings.json.
     */
    record GeminiCli() implements Agent {
        public String name() {
            return "gemini";
        }

        public String executable() {
            return "gemini";
        }

        public String installHint() {
            return "npm install -g @google/gemini-cli";
        }

        public Setup setup(Target t) {
            Map<String, String> env = env("GEMINI_API_KEY", t.key());
            env.put("GOOGLE_API_KEY", null);
            env.put("GOOGLE_GENAI_USE_VERTEXAI", null);
            env.put("GOOGLE_GEMINI_BASE_URL", t.gateway() + "/genai");
            env.put("GEMINI_MODEL", t.model());
            // Gemini CLI skips a system settings file when a parent directory is writable by others (as /tmp is),
            // so it lives in Tollgate's own ~/.config/tollgate/launch, never in ~/.gemini.
            env.put("GEMINI_CLI_SYSTEM_SETTINGS_PATH", Setup.PRIVATE_DIR + "/gemini-settings.json");
            if (t.session() != null) {
                env.put("GEMINI_CLI_CUSTOM_HEADERS", SESSION_HEADER + ": " + t.session());
            }
            String settings = """
                    {"security":{"auth":{"selectedType":"gemini-api-key"}},"privacy":{"usageStatisticsEnabled":false},
                     "general":{"enableAutoUpdate":false,"enableAutoUpdateNotification":false}}
                    """;
            return new Setup(List.of(), env, Map.of("gemini-settings.json", settings));
        }
    }

    /**
     * opencode takes a whole configuration in OPENCODE_CONFIG_CONTENT, merged over the user's: the
     * gateway as an OpenAI-compatible provider offering every model the key may use; the key is read
     * from TOLLGATE_KEY by opencode's {env:} substitution, so it is in no file and no argument.
     */
    record OpenCode() implements Agent {
        public String name() {
            return "opencode";
        }

        public String executable() {
            return "opencode";
        }

        public String installHint() {
            return "npm install -g opencode-ai";
        }

        public Setup setup(Target t) {
            ObjectNode config = JsonBody.MAPPER.createObjectNode();
            ObjectNode provider = config.putObject("provider").putObject("tollgate");
            provider.put("npm", "@ai-sdk/openai-compatible").put("name", "Tollgate");
            ObjectNode options = provider.putObject("options");
            options.put("baseURL", t.gateway() + "/v1").put("apiKey", "{env:TOLLGATE_KEY}");
            if (t.session() != null) {
                options.putObject("headers").put(SESSION_HEADER, t.session());
            }
            ObjectNode models = provider.putObject("models");
            List<String> offered = new ArrayList<>(t.models());
            if (!offered.contains(t.model())) {
                offered.add(t.model());
            }
            offered.forEach(m -> models.putObject(m).put("name", m));
            config.put("model", "tollgate/" + t.model());
            config.put("autoupdate", false);
            config.put("share", "disabled");
            Map<String, String> env = env("TOLLGATE_KEY", t.key());
            env.put("OPENCODE_CONFIG_CONTENT", config.toString());
            env.put("OPENCODE_DISABLE_AUTOUPDATE", "true");
            // The model catalogue it would fetch from the internet is not needed: the gateway is the only provider used.
            env.put("OPENCODE_DISABLE_MODELS_FETCH", "true");
            return new Setup(List.of(), env, Map.of());
        }
    }

    private static Map<String, String> env(String name, String value) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put(name, value);
        return env;
    }
}
