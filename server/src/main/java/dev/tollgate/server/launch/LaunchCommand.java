package dev.tollgate.server.launch;

import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code tollgate launch AGENT [-m MODEL] [--gateway URL] [-- AGENT ARGS]}: runs a coding agent pointed at
 * the gateway, in a private configuration; or, with --print-env, prints that configuration as shell lines.
 */
@Command(name = "launch", mixinStandardHelpOptions = true,
        description = {"Runs a coding agent (codex, claude, gemini, opencode) pointed at the gateway: its base URL, your key and "
                + "the model set for this run only, through the agent's own override flags and variables "
                + "(and a settings file in ~/.config/tollgate/launch where one is needed); your global agent configuration is never edited.",
            "The key comes from TOLLGATE_KEY, else ~/.config/tollgate/key (written by `tollgate login`, mode 0600). Without -m, "
                + "it offers the models the key may use (GET /v1/models) to pick from in the terminal.",
            "The agent's exit code is the command's; SIGTERM and SIGHUP are passed on to it (Ctrl-C in the terminal reaches it "
                + "directly). Arguments after -- go to the agent, e.g. `tollgate launch codex -m gpt-5.5 -- exec \"fix the test\"`."})
public final class LaunchCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "AGENT", description = "codex | claude | gemini | opencode")
    String agentName;
    @Parameters(index = "1..*", paramLabel = "AGENT_ARGS", description = "passed to the agent (after --)")
    List<String> agentArgs = new ArrayList<>();
    @Option(names = {"-m", "--model"}, paramLabel = "MODEL", description = "a model the key may use (default: pick from the gateway's list)")
    String model;
    @Option(names = "--gateway", paramLabel = "URL", description = "the gateway (default TOLLGATE_URL, else http://127.0.0.1:8080)")
    String gateway;
    @Option(names = "--print-env", description = "print the configuration as shell lines instead of running the agent")
    boolean printEnv;

    private final Map<String, String> env;
    private final PrintStream out;
    private final PrintStream err;

    public LaunchCommand() {
        this(System.getenv(), System.out, System.err);
    }

    LaunchCommand(Map<String, String> env, PrintStream out, PrintStream err) {
        this.env = env;
        this.out = out;
        this.err = err;
    }

    @Override
    public Integer call() {
        Optional<Agent> found = Agent.named(agentName);
        if (found.isEmpty()) {
            err.println("tollgate launch: no agent '" + agentName + "': name one of " + Agent.all().stream().map(Agent::name).toList());
            return 2;
        }
        Agent agent = found.get();
        String base = (gateway != null ? gateway : env.getOrDefault("TOLLGATE_URL", "http://127.0.0.1:8080")).replaceAll("/+$", "");
        String[] problem = new String[1];
        Optional<PersonalKey> key = PersonalKey.find(env, problem);
        if (key.isEmpty()) {
            err.println("tollgate launch: " + problem[0]);
            return 2;
        }
        List<GatewayModels.Offered> offered = List.of();
        // --print-env with -m needs the gateway only for Codex's model catalog: without it, it prints the rest.
        if (model == null || !printEnv || agent instanceof Agent.Codex) {
            try {
                offered = GatewayModels.fetch(base, key.get().value());
            } catch (GatewayModels.Unavailable e) {
                err.println("tollgate launch: " + e.getMessage());
                if (model == null || !printEnv) {
                    return 1;
                }
            }
        }
        List<String> models = offered.stream().map(GatewayModels.Offered::id).toList();
        if (model == null) {
            Optional<String> picked = pick(models);
            if (picked.isEmpty()) {
                return 2;
            }
            model = picked.get();
        } else if (!printEnv && !models.contains(model)) {
            err.println("tollgate launch: the key may not use '" + model + "'" + (models.isEmpty()
                    ? ": it may use no model at all; ask the platform team." : "; it may use: " + String.join(", ", models)));
            return 2;
        }
        if (printEnv) {
            String placeholder = "\u0000key\u0000";
            Agent.Target target = new Agent.Target(base, placeholder, model, models, null);
            Optional<Path> executable = offered.isEmpty() ? Optional.empty() : locate(agent, true);
            Agent.Setup setup = executable.isPresent() ? agent.prepare(executable.get(), target, offered, err) : agent.setup(target);
            if (!write(setup.generated())) {
                return 1;
            }
            out.print(ShellLines.of(agent, setup, placeholder, key.get().shellReference()));
            return 0;
        }
        Optional<Path> executable = locate(agent, false);
        if (executable.isEmpty()) {
            return 127;
        }
        String session = "launch-" + UUID.randomUUID();
        return run(executable.get(), agent.prepare(executable.get(), new Agent.Target(base, key.get().value(), model, models, session), offered, err));
    }

    /** Tollgate's own directory for the agents' settings files: an agent may refuse one under a directory others can write to, as /tmp is. */
    private Path privateDir() {
        return Path.of(env.getOrDefault("HOME", System.getProperty("user.home")), ".config", "tollgate", "launch");
    }

    /** Writes files (no secret in them) to the private directory; false (told on err) when it cannot. */
    private boolean write(Map<String, String> files) {
        Path dir = privateDir();
        try {
            if (!files.isEmpty()) {
                Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
                for (Map.Entry<String, String> f : files.entrySet()) {
                    Files.writeString(dir.resolve(f.getKey()), f.getValue());
                }
            }
            return true;
        } catch (IOException e) {
            err.println("tollgate launch: cannot write " + dir + ": " + e.getMessage());
            return false;
        }
    }

    /** The models to pick from, numbered, on the terminal; refused without one (a script must say -m). */
    private Optional<String> pick(List<String> models) {
        if (models.isEmpty()) {
            err.println("tollgate launch: the key may use no model at this gateway; ask the platform team.");
            return Optional.empty();
        }
        java.io.Console console = System.console();
        if (console == null || !isTerminal(console)) {
            err.println("tollgate launch: name the model with -m MODEL (no terminal to pick one in); the key may use: " + String.join(", ", models));
            return Optional.empty();
        }
        for (int i = 0; i < models.size(); i++) {
            err.printf("%3d  %s%n", i + 1, models.get(i));
        }
        while (true) {
            String line = console.readLine("Model for %s [1-%d, or a name]: ", agentName, models.size());
            if (line == null) {
                return Optional.empty();
            }
            String answer = line.strip();
            if (models.contains(answer)) {
                return Optional.of(answer);
            }
            try {
                int n = Integer.parseInt(answer);
                if (n >= 1 && n <= models.size()) {
                    return Optional.of(models.get(n - 1));
                }
            } catch (NumberFormatException e) {
                // not a number: ask again
            }
            err.println("Not one of the listed models: give its number or its name.");
        }
    }

    /** Console.isTerminal() exists from Java 22 (from then on System.console() is there even when stdin is a pipe). */
    private static boolean isTerminal(java.io.Console console) {
        try {
            return (Boolean) java.io.Console.class.getMethod("isTerminal").invoke(console);
        } catch (ReflectiveOperationException e) {
            return true;
        }
    }

    private Optional<Path> locate(Agent agent, boolean quiet) {
        String override = env.get(agent.binVariable());
        if (override != null && !override.isBlank()) {
            Path p = Path.of(override);
            if (Files.isExecutable(p)) {
                return Optional.of(p);
            }
            if (!quiet) {
                err.println("tollgate launch: " + agent.binVariable() + "=" + override + " is not an executable file");
            }
            return Optional.empty();
        }
        for (String dir : env.getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, agent.executable())) && !Files.isDirectory(Path.of(dir, agent.executable()))) {
                return Optional.of(Path.of(dir, agent.executable()));
            }
        }
        if (!quiet) {
            err.println("tollgate launch: '" + agent.executable() + "' is not on PATH. Install it (" + agent.installHint() + ") or name it with "
                    + agent.binVariable() + "=/path/to/" + agent.executable());
        }
        return Optional.empty();
    }

    private int run(Path executable, Agent.Setup setup) {
        Path dir = privateDir();
        if (!write(setup.files()) || !write(setup.generated())) {
            return 1;
        }
        List<String> command = new ArrayList<>();
        command.add(executable.toString());
        setup.args().forEach(a -> command.add(a.replace(Agent.Setup.PRIVATE_DIR, dir.toString())));
        command.addAll(agentArgs);
        ProcessBuilder pb = new ProcessBuilder(command).inheritIO();
        setup.env().forEach((k, v) -> {
            if (v == null) {
                pb.environment().remove(k);
            } else {
                pb.environment().put(k, v.replace(Agent.Setup.PRIVATE_DIR, dir.toString()));
            }
        });
        return AgentProcess.run(pb, err);
    }
}
