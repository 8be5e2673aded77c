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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * The {@code tollgate} command. picocli gives every subcommand its {@code --help} and usage errors (exit 2, with what
 * was wrong and the subcommand's usage); each subcommand's work is a plain method below.
 */
@Command(name = "tollgate", mixinStandardHelpOptions = true, version = "tollgate 0.1.0",
        description = "An AI gateway for coding agents. `tollgate COMMAND --help` for each command.",
        subcommands = {Main.Validate.class, Main.Diff.class, Main.Keys.class, Main.Usage.class, Main.Audit.class, Main.Replay.class,
            dev.tollgate.server.launch.LaunchCommand.class},
        footer = {"",
            "Every serve flag also has an environment variable (TOLLGATE_PORT, TOLLGATE_POLICY, TOLLGATE_GIT_BRANCH, ...) and a",
            "key in the settings file (tollgate.port, tollgate.git.branch, ...); see server/src/main/resources/tollgate-defaults.yaml.",
            "Also by environment only: TOLLGATE_GIT_TOKEN (https token), TOLLGATE_GIT_USERNAME (default x-access-token),",
            "TOLLGATE_WEBHOOK_SECRET."})
public final class Main implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    /** {@code tollgate} alone: the overview, on stderr, as a usage error. */
    @Override
    public Integer call() {
        spec.commandLine().usage(System.err);
        return 2;
    }

    public static void main(String[] args) {
        int code = run(args);
        if (code != 0) {
            System.exit(code);
        }
    }

    /** Runs one command; the exit code (0 good, 1 the policy or server failed, 2 usage). */
    static int run(String... args) {
        CommandLine cli = new CommandLine(new Main());
        cli.addSubcommand("serve", serveCommand(), "");
        cli.addSubcommand("login", new dev.tollgate.server.signin.LoginCommand());
        cli.addSubcommand("auth", new dev.tollgate.server.signin.AuthCommand());
        // System.out/err as they are now (tests swap them), not as they were when the class loaded.
        cli.setOut(new java.io.PrintWriter(System.out, true));
        cli.setErr(new java.io.PrintWriter(System.err, true));
        return cli.execute(args);
    }

    /**
     * {@code serve}'s options come from the settings' flag tables (ServerSettings, TelemetrySettings,
     * ConnectionSettings), so a flag added there is parsed, listed in --help and named with its key and variable.
     */
    private static CommandLine serveCommand() {
        ServeCommand command = new ServeCommand();
        CommandSpec serve = CommandSpec.wrapWithoutInspection(command);
        command.spec = serve;
        serve.mixinStandardHelpOptions(true);
        serve.usageMessage().description(
                "Serves the API. SOURCE (--policy) is a Git URL (file://, https://, ssh://) or repository path, followed on branch B "
                        + "(--policy-branch, default main) under SUBDIR (--policy-path), mirrored in the state dir and polled every 10 s; "
                        + "or a plain directory, reloaded when a file changes. Every response carries x-tollgate-policy: <commit>.",
                "Admin API (token from the policy's admins:): GET /admin/policy, POST /admin/policy/refresh, "
                        + "GET /admin/requests?key=&team=&model=&status=&since=, the dashboard at /ui; GET /metrics (Prometheus: a "
                        + "scrape token, TOLLGATE_METRICS_TOKEN, or an admin token; none on --management-port).",
                "SIGTERM or SIGINT: new requests get a retryable 503, open ones finish within --shutdown-grace, then it stops.",
                "Each flag below also has its environment variable and settings-file key; flags win over variables, variables "
                        + "over the file (--config).");
        serve.addOption(OptionSpec.builder("--config").paramLabel("FILE").type(String.class)
                .description("the settings file (env TOLLGATE_CONFIG)").build());
        Map<String, String> flags = new java.util.TreeMap<>(ServerSettings.FLAGS);
        flags.putAll(TelemetrySettings.FLAGS);
        flags.putAll(ConnectionSettings.FLAGS);
        flags.putAll(TlsSettings.FLAGS);
        flags.putAll(dev.tollgate.server.settings.SigningSettings.FLAGS);
        flags.forEach((flag, key) -> serve.addOption(OptionSpec.builder(flag).paramLabel("VALUE").type(String.class)
                .description(key + " (env " + key.toUpperCase(java.util.Locale.ROOT).replace('.', '_') + ")").build()));
        return new CommandLine(serve);
    }

    private static final class ServeCommand implements Callable<Integer> {
        private CommandSpec spec;

        @Override
        public Integer call() {
            Map<String, String> flags = new HashMap<>();
            Path configFile = System.getenv(ServerSettings.CONFIG_FILE_ENV) == null ? null : Path.of(System.getenv(ServerSettings.CONFIG_FILE_ENV));
            for (OptionSpec o : spec.commandLine().getParseResult().matchedOptions()) {
                String value = o.getValue();
                if (o.longestName().equals("--config")) {
                    configFile = Path.of(value);
                } else if (ServerSettings.FLAGS.containsKey(o.longestName())) {
                    flags.put(ServerSettings.FLAGS.get(o.longestName()), value);
                } else if (TelemetrySettings.FLAGS.containsKey(o.longestName())) {
                    flags.put(TelemetrySettings.FLAGS.get(o.longestName()), value);
                } else if (ConnectionSettings.FLAGS.containsKey(o.longestName())) {
                    flags.put(ConnectionSettings.FLAGS.get(o.longestName()), value);
                } else if (TlsSettings.FLAGS.containsKey(o.longestName())) {
                    flags.put(TlsSettings.FLAGS.get(o.longestName()), value);
                } else if (dev.tollgate.server.settings.SigningSettings.FLAGS.containsKey(o.longestName())) {
                    flags.put(dev.tollgate.server.settings.SigningSettings.FLAGS.get(o.longestName()), value);
                }
            }
            return serve(flags, configFile);
        }
    }

    @Command(name = "validate", mixinStandardHelpOptions = true,
            description = "Checks every policy file; prints file:line:col: problem; exit 0 when good, 1 when not.")
    static final class Validate implements Callable<Integer> {
        @Parameters(arity = "0..1", paramLabel = "DIR", defaultValue = ".", description = "the policy directory (default .)")
        Path dir;

        @Override
        public Integer call() {
            return validate(dir);
        }
    }

    @Command(name = "diff", mixinStandardHelpOptions = true,
            description = "What changes for whom between two policy directories, or two commits of the repository in --repo, "
                    + "e.g. `tollgate diff origin/main HEAD`.")
    static final class Diff implements Callable<Integer> {
        @Parameters(arity = "2", paramLabel = "OLD NEW", description = "two directories, or two commits (any Git revision)")
        List<String> revisions;
        @Option(names = "--repo", paramLabel = "DIR", defaultValue = ".", description = "the repository (default .)")
        Path repo;
        @Option(names = "--path", paramLabel = "SUBDIR", defaultValue = "", description = "the policy's folder in it")
        String path;

        @Override
        public Integer call() {
            return diff(revisions.get(0), revisions.get(1), repo, path);
        }
    }

    @Command(name = "keys", mixinStandardHelpOptions = true, subcommands = KeysNew.class,
            description = "Virtual keys and admin tokens: `tollgate keys new --help`.")
    static final class Keys implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            spec.commandLine().usage(System.err);
            return 2;
        }
    }

    @Command(name = "new", mixinStandardHelpOptions = true,
            description = {"Makes a secret, prints it once (stderr) and the YAML entry with its SHA-256 (stdout) to commit, e.g.",
                "  tollgate keys new --id gina --team research >> teams/research/keys.yaml",
                "  tollgate keys new --admin --id oncall --role operator >> admins.yaml"})
    static final class KeysNew implements Callable<Integer> {
        @Option(names = "--id", required = true, paramLabel = "ID", description = "letters, digits, . _ @ -")
        String id;
        @Option(names = "--team", paramLabel = "TEAM", description = "the key's team (a virtual key)")
        String team;
        @Option(names = "--admin", description = "an admin API token instead of a virtual key")
        boolean admin;
        @Option(names = "--role", paramLabel = "ROLE", defaultValue = "viewer", description = "viewer (default) or operator, for --admin")
        String role;

        @Override
        public Integer call() {
            return keysNew(id, team, admin, role);
        }
    }

    @Command(name = "usage", mixinStandardHelpOptions = true,
            description = "Spend per key, team, customer or model in the current period, as a table, from a running gateway "
                    + "(GET /admin/usage). The admin token comes from TOLLGATE_ADMIN_TOKEN (never a flag: it would show in the "
                    + "process list).")
    static final class Usage implements Callable<Integer> {
        @Option(names = "--by", paramLabel = "key|team|customer|model|session", defaultValue = "team",
                description = "default team; session: agent sessions of the period, most expensive first")
        String by;
        @Option(names = "--period", paramLabel = "daily|weekly|monthly|total", defaultValue = "monthly", description = "default monthly")
        String period;
        @Option(names = "--url", paramLabel = "URL", description = "the gateway (default TOLLGATE_URL, else http://127.0.0.1:TOLLGATE_PORT or 8080)")
        String url;

        @Override
        public Integer call() {
            return dev.tollgate.server.usage.UsageCommand.run(by, period, url);
        }
    }

    @Command(name = "replay", mixinStandardHelpOptions = true,
            description = "Replays recorded requests (metadata of `GET /admin/requests/export`) against a proposed policy in time "
                    + "order and reports, per customer, team and key, what would now be refused and why, routed differently, and "
                    + "spend under its prices. A gateway URL as SOURCE reads TOLLGATE_ADMIN_TOKEN (a viewer's is enough).")
    static final class Replay implements Callable<Integer> {
        @Option(names = "--policy", required = true, paramLabel = "NEW", description = "the proposed policy: a directory or a commit")
        String policy;
        @Option(names = "--base", paramLabel = "OLD", description = "the policy to compare with (default: what the gateway did at the time)")
        String base;
        @Option(names = "--requests", required = true, paramLabel = "SOURCE", description = "an export file, - (stdin) or a gateway URL")
        String requests;
        @Option(names = "--since", paramLabel = "WHEN", description = "only requests since then: 7d, 12h, or 2026-11-24T10:00:00Z")
        String since;
        @Option(names = "--format", paramLabel = "markdown|json", defaultValue = "markdown", description = "default markdown")
        String format;
        @Option(names = "--repo", paramLabel = "DIR", defaultValue = ".", description = "the repository for commits (default .)")
        Path repo;
        @Option(names = "--path", paramLabel = "SUBDIR", defaultValue = "", description = "the policy's folder in it")
        String path;

        @Override
        public Integer call() {
            java.time.Instant from = null;
            if (since != null) {
                try {
                    from = dev.tollgate.server.admin.QueryParams.time("--since", since, java.time.Instant.now());
                } catch (dev.tollgate.server.admin.QueryParams.Invalid e) {
                    System.err.println("tollgate replay: " + e.getMessage());
                    return 2;
                }
            }
            PolicySnapshot next;
            PolicySnapshot old = null;
            try {
                next = PolicyLoader.load(policyFiles(policy, repo, path), policy);
            } catch (PolicyException e) {
                System.out.println("The new policy (" + policy + ") does not validate, so no replay:\n" + e.getMessage());
                return 1;
            }
            if (base != null) {
                try {
                    old = PolicyLoader.load(policyFiles(base, repo, path), base);
                } catch (PolicyException e) {
                    System.out.println("The base policy (" + base + ") does not validate, so no replay:\n" + e.getMessage());
                    return 1;
                }
            }
            return dev.tollgate.server.replay.ReplayCommand.run(next, policy, old, base, requests, from, format, System.out, System.err);
        }
    }

    @Command(name = "audit", mixinStandardHelpOptions = true, subcommands = AuditVerify.class,
            description = "The audit trail: `tollgate audit verify --help`.")
    static final class Audit implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            spec.commandLine().usage(System.err);
            return 2;
        }
    }

    @Command(name = "verify", mixinStandardHelpOptions = true,
            description = "Checks the hash chain of the audit trail (default state/audit.log): exit 0 intact, 1 tampered.")
    static final class AuditVerify implements Callable<Integer> {
        @Parameters(arity = "0..1", paramLabel = "FILE", description = "the audit log")
        Path file;
        @Option(names = "--state-dir", paramLabel = "DIR", description = "the gateway's state directory (its audit.log)")
        Path stateDir;
        @Option(names = "--key-file", paramLabel = "FILE", description = "the audit key (default TOLLGATE_AUDIT_KEY_FILE); "
                + "once per key the chain used across rotations")
        List<Path> keyFiles = new java.util.ArrayList<>();

        @Override
        public Integer call() {
            if (file != null && stateDir != null) {
                System.err.println("audit verify: give FILE or --state-dir DIR, not both");
                return 2;
            }
            return AuditCli.verify(file != null ? file : (stateDir != null ? stateDir : Path.of("state")).resolve("audit.log"), keyFiles);
        }
    }

    private static int serve(Map<String, String> flags, Path configFile) {
        LogConfig.configureRuntime(); // logging.properties on the class path: one line per record
        ServerSettings settings = ServerSettings.load(flags, configFile);
        try {
            Files.createDirectories(settings.stateDir());
        } catch (IOException e) {
            System.err.println("tollgate: cannot create the state directory " + settings.stateDir() + ": " + e.getMessage());
            return 1;
        }
        String source = settings.policy();
        dev.tollgate.server.settings.SigningSettings signing = dev.tollgate.server.settings.SigningSettings.load(flags, configFile);
        java.util.Optional<dev.tollgate.server.gitops.CommitSigners> signers;
        try {
            // A signer list that does not parse stops the start: never serve unguarded.
            signers = dev.tollgate.server.gitops.CommitSigners.load(signing.allowedSigners(), signing.gpgKeys());
        } catch (PolicyException e) {
            System.err.println("tollgate: the policy signers (tollgate.git.signers / tollgate.git.gpg.keys) do not load:\n" + e.getMessage());
            return 1;
        }
        if (signers.isPresent() && !GitPolicyWatcher.isGitSource(source)) {
            System.err.println("tollgate: signed policy commits only (tollgate.git.signers / tollgate.git.gpg.keys) needs a Git policy source; "
                    + source + " is a directory");
            return 1;
        }
        PolicyHolder holder;
        PolicyWatcher watcher;
        String from;
        if (GitPolicyWatcher.isGitSource(source)) {
            String remote = source.contains("://") || !Files.isDirectory(Path.of(source)) ? source : Path.of(source).toAbsolutePath().toString();
            try {
                GitPolicyWatcher git = GitPolicyWatcher.open(remote, settings.gitBranch(), settings.gitPath(), settings.stateDir(),
                        settings.pollInterval(), signers);
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
                    .clock(java.time.Clock.systemUTC()).telemetry(telemetry).tls(tls)
                    .signIn(dev.tollgate.server.signin.SignInSettings.load(flags, configFile)).start();
        } catch (IllegalArgumentException e) {
            System.err.println("tollgate: TLS, proxy or sign-in settings: " + e.getMessage());
            watcher.close();
            return 1;
        }
        if (server.port() <= 0) {
            System.err.println("tollgate: cannot listen on " + settings.host() + ":" + settings.port() + " (see the error above)");
            watcher.close();
            return 1;
        }
        PolicyWatcher w = watcher;
        Duration grace = settings.shutdownGrace();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            long start = System.nanoTime();
            shutdownLine("draining: " + server.inFlight() + " requests in flight may finish within " + grace.toSeconds()
                    + " s; new requests get a retryable 503");
            w.close();
            server.close();
            shutdownLine("stopped after " + Duration.ofNanos(System.nanoTime() - start).toMillis() + " ms");
        }, "tollgate-shutdown"));
        PolicySnapshot initial = holder.current();
        System.out.println("tollgate listening on " + (tls.https() ? "https" : "http") + "://" + settings.host() + ":" + server.port()
                + " (policy " + initial.version() + " from " + from + ", " + initial.catalog().size() + " models)"
                + (server.managementPort() > 0 ? "; /metrics on http://" + settings.host() + ":" + server.managementPort() : "")
                + "; providers reached " + tls.proxy().describe());
        return 0;
    }

    /**
     * A line of the log's format written straight to stderr: on SIGTERM or SIGINT the JDK's own shutdown hook
     * resets java.util.logging while this one runs, so a logger could drop the very lines that say we stopped.
     */
    private static void shutdownLine(String message) {
        System.err.println(java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MILLIS)
                + " INFO dev.tollgate.server.Main: " + message);
        System.err.flush();
    }

    private static int diff(String old, String now, Path repo, String path) {
        List<String> positional = List.of(old, now);
        for (String what : positional) {
            if (!Files.isDirectory(Path.of(what)) && !GitPolicyWatcher.hasCommit(repo, what)) {
                System.err.println("tollgate diff: '" + what + "' is neither a policy directory nor a commit of the repository in "
                        + repo.toAbsolutePath().normalize() + " (`git log` there lists its commits; --repo DIR names another"
                        + " repository)");
                return 2;
            }
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

    private static int keysNew(String id, String team, boolean admin, String role) {
        if ((!admin && team == null) || !id.matches("[A-Za-z0-9][A-Za-z0-9._@-]*")) {
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

    private static int validate(Path dir) {
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
