package dev.tollgate.server;

import dev.tollgate.policy.PolicyException;
import dev.tollgate.policy.PolicyLoader;
import dev.tollgate.policy.PolicySnapshot;
import dev.tollgate.server.policy.DirectoryPolicyWatcher;
import dev.tollgate.server.policy.PolicyHolder;
import dev.tollgate.server.settings.ServerSettings;
import io.helidon.logging.common.LogConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/** The {@code tollgate} command. */
public final class Main {

    private static final String USAGE = """
            usage: tollgate serve [--port N] [--host H] [--policy DIR] [--state-dir DIR] [--config FILE]
                                  [--body-limit BYTES] [--shutdown-grace SECONDS]
                   tollgate validate [DIR]
            Every flag also has an environment variable (TOLLGATE_PORT, TOLLGATE_POLICY, ...) and a key in the
            settings file (tollgate.port, tollgate.policy, ...); see server/src/main/resources/tollgate-defaults.yaml.
            """;

    private Main() {
    }

    public static void main(String[] args) {
        if (args.length == 0) {
            System.err.print(USAGE);
            System.exit(2);
        }
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        int code = switch (args[0]) {
            case "serve" -> serve(rest);
            case "validate" -> validate(rest);
            case "-h", "--help", "help" -> {
                System.out.print(USAGE);
                yield 0;
            }
            default -> {
                System.err.print("unknown command '" + args[0] + "'\n" + USAGE);
                yield 2;
            }
        };
        if (code != 0) {
            System.exit(code);
        }
    }

    private static int serve(String[] args) {
        LogConfig.configureRuntime(); // logging.properties on the class path: one line per record
        Map<String, String> flags = new HashMap<>();
        Path configFile = System.getenv(ServerSettings.CONFIG_FILE_ENV) == null ? null : Path.of(System.getenv(ServerSettings.CONFIG_FILE_ENV));
        for (int i = 0; i < args.length; i++) {
            String flag = args[i];
            if (i + 1 >= args.length) {
                System.err.print("missing value for " + flag + "\n" + USAGE);
                return 2;
            }
            String value = args[++i];
            if (flag.equals("--config")) {
                configFile = Path.of(value);
            } else if (ServerSettings.FLAGS.containsKey(flag)) {
                flags.put(ServerSettings.FLAGS.get(flag), value);
            } else {
                System.err.print("unknown flag " + flag + "\n" + USAGE);
                return 2;
            }
        }
        ServerSettings settings = ServerSettings.load(flags, configFile);
        Path policyDir = Path.of(settings.policy());
        PolicySnapshot initial;
        try {
            initial = PolicyLoader.loadDirectory(policyDir);
        } catch (PolicyException e) {
            System.err.println("tollgate: the policy in " + policyDir + " does not load:\n" + e.getMessage());
            return 1;
        }
        try {
            Files.createDirectories(settings.stateDir());
        } catch (IOException e) {
            System.err.println("tollgate: cannot create the state directory " + settings.stateDir() + ": " + e.getMessage());
            return 1;
        }
        PolicyHolder holder = new PolicyHolder(initial);
        DirectoryPolicyWatcher watcher = new DirectoryPolicyWatcher(policyDir, holder, Duration.ofSeconds(1)).start();
        TollgateServer server = TollgateServer.start(settings, holder);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            watcher.close();
            server.close();
        }, "tollgate-shutdown"));
        System.out.println("tollgate listening on http://" + settings.host() + ":" + server.port()
                + " (policy " + initial.version() + " from " + policyDir + ", " + initial.catalog().size() + " models)");
        return 0;
    }

    private static int validate(String[] args) {
        Path dir = Path.of(args.length > 0 ? args[0] : ".");
        try {
            PolicySnapshot snapshot = PolicyLoader.loadDirectory(dir);
            System.out.println(dir + ": OK (" + snapshot.policy().providers().size() + " providers, "
                    + snapshot.catalog().size() + " models)");
            return 0;
        } catch (PolicyException e) {
            System.out.println(e.getMessage());
            return 1;
        }
    }
}
