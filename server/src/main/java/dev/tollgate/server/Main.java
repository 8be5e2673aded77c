package dev.tollgate.server;

import dev.tollgate.policy.Policy;
import dev.tollgate.policy.PolicyDiff;
import dev.tollgate.policy.PolicyException;
import dev.tollgate.policy.PolicyLoader;
import dev.tollgate.policy.PolicySnapshot;
import dev.tollgate.policy.Secrets;
import dev.tollgate.server.audit.AuditCli;
import dev.tollgate.server.gitops.DirectoryPolicyWatcher;
import dev.tollgate.server.gitops.GitPolicyWatcher;
import dev.tollgate.server.gitops.PolicyHolder;
import dev.tollgate.server.gitops.PolicyWatcher;
import dev.tollgate.server.settings.ConnectionSettings;
import dev.tollgate.server.settings.TlsSettings;
import dev.tollgate.server.settings.ServerSettings;
import dev.tollgate.server.telemetry.Telemetry;
import dev.tollgate.server.telemetry.TelemetrySettings;
import io.helidon.logging.common.LogConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The {@code tollgate} command. */
public final class Main {

    private static final String USAGE = """
            usage: tollgate serve [--port N] [--host H] [--policy SOURCE] [--policy-branch B] [--policy-path SUBDIR]
                                  [--policy-poll SECONDS] [--state-dir DIR] [--config FILE] [--redis URL]
                                  [--body-limit BYTES] [--shutdown-grace SECONDS]
                                  [--request-log true|false] [--request-retention DAYS]
                                  [--otel true|false] [--otel-endpoint URL] [--otel-sampling RATIO] [--management-port N]
                                  [--max-connections N] [--head-timeout SECONDS] [--body-timeout SECONDS] [--idle-timeout SECONDS]
                                  [--tls-cert PEM --tls-key PEM]
                   tollgate validate [DIR]
                   tollgate diff OLD NEW [--repo DIR] [--path SUBDIR]
                   tollgate keys new --id ID --team TEAM
                   tollgate keys new --admin --id ID --role viewer|operator
                   tollgate usage [--by key|team|customer|model] [--period daily|weekly|monthly|total] [--url URL]
                   tollgate audit verify [FILE | --state-dir DIR]
            serve     SOURCE is a Git URL (file://, https://, ssh://) or repository path, followed on branch B
                      (default main) under SUBDIR, mirrored in the state dir and polled every 10 s; or a plain
                      directory, reloaded when a file changes. Every response carries x-tollgate-policy: <commit>.
                      Admin API (token from the policy's admins:): GET /admin/policy, POST /admin/policy/refresh,
                      GET /admin/requests?key=&team=&model=&status=&since=, the dashboard at /ui; GET /metrics (Prometheus:
                      a scrape token, TOLLGATE_METRICS_TOKEN, or an admin token; none on --management-port).
            validate  checks every policy file; prints file:line:col: problem; exit 0 when good, 1 when not.
            diff      what changes for whom between two policy directories, or two commits of the repository
                      in --repo (default .), e.g. `tollgate diff origin/main HEAD`.
            audit     verify checks the hash chain of the audit trail (default state/audit.log): exit 0 intact, 1 tampered.
            keys new  makes a secret, prints it once (stderr) and the YAML entry with its SHA-256 (stdout) to commit.
            usage     spend per key, team, customer or model in the current period, as a table, from a running
                      gateway (default http://127.0.0.1:8080); the admin token comes from TOLLGATE_ADMIN_TOKEN.
            Every serve flag also has an environment variable (TOLLGATE_PORT, TOLLGATE_POLICY, TOLLGATE_GIT_BRANCH,
            TOLLGATE_GIT_PATH, TOLLGATE_GIT_POLL, ...) and a key in the settings file (tollgate.port, tollgate.git.branch,
            ...); see server/src/main/resources/tollgate-defaults.yaml. Also by environment only: TOLLGATE_GIT_TOKEN
            (https token), TOLLGATE_GIT_USERNAME (default x-access-token), TOLLGATE_WEBHOOK_SECRET.
            """;

    private Main() {
    }

    public static void main(String[] args) {
        int code = run(args);
        if (code != 0) {
            System.exit(code);
        }
    }

    /** Runs one command; the exit code (0 good, 1 the policy or server failed, 2 usage). */
    static int run(String... args) {
        if (args.length == 0) {
            System.err.print(USAGE);
            return 2;
        }
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        return switch (args[0]) {
            case "serve" -> serve(rest);
            case "validate" -> validate(rest);
            case "diff" -> diff(rest);
            case "keys" -> keys(rest);
            case "usage" -> dev.tollgate.server.usage.UsageCommand.run(rest);
            case "audit" -> AuditCli.run(rest);
            case "-h", "--help", "help" -> {
                System.out.print(USAGE);
                yield 0;
            }
            default -> {
                System.err.print("unknown command '" + args[0] + "'\n" + USAGE);
                yield 2;
            }
        };
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
            } else if (TelemetrySettings.FLAGS.containsKey(flag)) {
                flags.put(TelemetrySettings.FLAGS.get(flag), value);
            } else if (ConnectionSettings.FLAGS.containsKey(flag)) {
                flags.put(ConnectionSettings.FLAGS.get(flag), value);
            } else if (TlsSettings.FLAGS.containsKey(flag)) {
                flags.put(TlsSettings.FLAGS.get(flag), value);
            } else {
                System.err.print("unknown flag " + flag + "\n" + USAGE);
                return 2;
            }
        }
        ServerSettings settings = ServerSettings.load(flags, configFile);
        try {
            Files.createDirectories(settings.stateDir());
        } catch (IOException e) {
            System.err.println("tollgate: cannot create the state directory " + settings.stateDir() + ": " + e.getMessage());
            return 1;
        }
        String source = settings.policy();
        PolicyHolder holder;
        PolicyWatcher watcher;
        String from;
        if (GitPolicyWatcher.isGitSource(source)) {
            String remote = source.contains("://") || !Files.isDirectory(Path.of(source)) ? source : Path.of(source).toAbsolutePath().toString();
            try {
                GitPolicyWatcher git = GitPolicyWatcher.open(remote, settings.gitBranch(), settings.gitPath(), settings.stateDir(),
                        settings.pollInterval());
                holder = git.holder();
                watcher = git.start();
            } catch (PolicyException e) {
                System.err.println("tollgate: no usable policy from " + source + " (branch " + settings.gitBranch() + "):\n" + e.getMessage());
                return 1;
            }
            from = source + " branch " + settings.gitBranch() + (settings.gitPath().isEmpty() ? "" : " path " + settings.gitPath())
                    + ", polled every " + settings.pollInterval().toSeconds() + " s";
            holder.degraded().ifPresent(d -> System.err.println("tollgate: DEGRADED: " + d));
        } else {
            Path policyDir = Path.of(source);
            try {
                holder = new PolicyHolder(PolicyLoader.loadDirectory(policyDir));
            } catch (PolicyException e) {
                System.err.println("tollgate: the policy in " + policyDir + " does not load:\n" + e.getMessage());
                return 1;
            }
            watcher = new DirectoryPolicyWatcher(policyDir, holder, Duration.ofSeconds(1)).start();
            from = policyDir.toString();
        }
        Telemetry telemetry;
        try {
            telemetry = Telemetry.create(TelemetrySettings.load(flags, configFile), settings.stateDir());
        } catch (RuntimeException e) {
            System.err.println("tollgate: telemetry settings: " + e.getMessage());
            watcher.close();
            return 1;
        }
        ConnectionSettings connections;
        try {
            connections = ConnectionSettings.load(flags, configFile);
        } catch (RuntimeException e) {
            System.err.println("tollgate: connection settings: " + e.getMessage());
            watcher.close();
            return 1;
        }
        TlsSettings tls;
        TollgateServer server;
        try {
            tls = TlsSettings.load(flags, configFile, System.getenv());
            server = TollgateServer.builder().settings(settings).connections(connections).policy(holder).watcher(watcher)
                    .clock(java.time.Clock.systemUTC()).telemetry(telemetry).tls(tls).start();
        } catch (IllegalArgumentException e) {
            System.err.println("tollgate: TLS or proxy settings: " + e.getMessage());
            watcher.close();
            return 1;
        }
        if (server.port() <= 0) {
            System.err.println("tollgate: cannot listen on " + settings.host() + ":" + settings.port() + " (see the error above)");
            watcher.close();
            return 1;
        }
        PolicyWatcher w = watcher;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            w.close();
            server.close();
        }, "tollgate-shutdown"));
        PolicySnapshot initial = holder.current();
        System.out.println("tollgate listening on " + (tls.https() ? "https" : "http") + "://" + settings.host() + ":" + server.port()
                + " (policy " + initial.version() + " from " + from + ", " + initial.catalog().size() + " models)"
                + (server.managementPort() > 0 ? "; /metrics on http://" + settings.host() + ":" + server.managementPort() : "")
                + "; providers reached " + tls.proxy().describe());
        return 0;
    }

    private static int diff(String[] args) {
        List<String> positional = new ArrayList<>();
        Path repo = Path.of(".");
        String path = "";
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--repo" -> repo = Path.of(args[++i]);
                case "--path" -> path = args[++i];
                default -> positional.add(args[i]);
            }
        }
        if (positional.size() != 2) {
            System.err.print("diff needs OLD and NEW (two directories, or two commits)\n" + USAGE);
            return 2;
        }
        Policy before;
        Policy after;
        try {
            before = PolicyLoader.parse(policyFiles(positional.get(0), repo, path));
        } catch (PolicyException e) {
            System.out.println("The old policy (" + positional.get(0) + ") does not validate, so no diff:\n" + e.getMessage());
            return 1;
        }
        try {
            after = PolicyLoader.parse(policyFiles(positional.get(1), repo, path));
        } catch (PolicyException e) {
            System.out.println("The new policy (" + positional.get(1) + ") does not validate; fix these first:\n" + e.getMessage());
            return 1;
        }
        List<String> changes = PolicyDiff.between(before, after);
        if (changes.isEmpty()) {
            System.out.println("No change in effect: the two policies grant and route the same.");
        } else {
            System.out.println(changes.size() + (changes.size() == 1 ? " change:" : " changes:"));
            changes.forEach(c -> System.out.println("- " + c));
        }
        return 0;
    }

    /** A directory of policy files, or a revision of the repository. */
    private static Map<String, byte[]> policyFiles(String what, Path repo, String path) throws PolicyException {
        Path dir = Path.of(what);
        if (Files.isDirectory(dir)) {
            return PolicyLoader.readDirectory(path.isEmpty() ? dir : dir.resolve(path));
        }
        return GitPolicyWatcher.files(repo, what, path);
    }

    private static int keys(String[] args) {
        if (args.length == 0 || !args[0].equals("new")) {
            System.err.print("usage: tollgate keys new --id ID --team TEAM | --admin --id ID --role viewer|operator\n");
            return 2;
        }
        Map<String, String> opts = new HashMap<>();
        boolean admin = false;
        for (int i = 1; i < args.length; i++) {
            if (args[i].equals("--admin")) {
                admin = true;
            } else if (args[i].startsWith("--") && i + 1 < args.length) {
                opts.put(args[i], args[++i]);
            } else {
                System.err.println("unknown argument " + args[i]);
                return 2;
            }
        }
        String id = opts.get("--id");
        String team = opts.get("--team");
        String role = opts.getOrDefault("--role", "viewer");
        if (id == null || (!admin && team == null) || !id.matches("[A-Za-z0-9][A-Za-z0-9._@-]*")) {
            System.err.println("keys new needs --id ID (letters, digits, . _ @ -) and --team TEAM (or --admin --role viewer|operator)");
            return 2;
        }
        if (admin && !role.equals("viewer") && !role.equals("operator")) {
            System.err.println("--role must be viewer or operator");
            return 2;
        }
        String secret = Secrets.newKey();
        String hash = Secrets.sha256(secret);
        // The secret goes to stderr, the entry to stdout: `keys new ... >> teams/T/keys.yaml` never writes the secret.
        System.err.println("Secret for " + (admin ? "admin " : "key ") + id + " (shown once, stored nowhere; hand it to its owner now):");
        System.err.println("  " + secret);
        if (admin) {
            System.err.println("Add this entry under 'admins:' (e.g. in admins.yaml) and open a pull request:");
            System.out.println("  - id: " + id + "\n    role: " + role + "\n    sha256: " + hash);
        } else {
            System.err.println("Add this entry under 'keys:' in teams/" + team + "/keys.yaml and open a pull request:");
            System.out.println("  - id: " + id + "\n    team: " + team + "\n    sha256: " + hash + "\n    labels: {owner: " + id + "}");
        }
        return 0;
    }

    private static int validate(String[] args) {
        Path dir = Path.of(args.length > 0 ? args[0] : ".");
        try {
            PolicySnapshot snapshot = PolicyLoader.loadDirectory(dir);
            Policy p = snapshot.policy();
            System.out.println(dir + ": OK (" + p.providers().size() + " providers, " + snapshot.catalog().size() + " models, "
                    + p.customers().size() + " customers, " + p.teams().size() + " teams, " + p.keys().size() + " keys, "
                    + p.admins().size() + " admins)");
            return 0;
        } catch (PolicyException e) {
            System.out.println(e.getMessage());
            System.out.println(e.details().size() + (e.details().size() == 1 ? " problem" : " problems") + " in " + dir
                    + "; the gateway keeps its current policy until they are fixed.");
            return 1;
        }
    }
}
