package dev.tollgate.server.signin;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code tollgate auth print-token}: the personal key, for an agent's command-backed auth (Codex). */
@Command(name = "auth", mixinStandardHelpOptions = true, subcommands = AuthCommand.PrintToken.class,
        description = "The personal key from `tollgate login`.")
public final class AuthCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return 2;
    }

    @Command(name = "print-token", mixinStandardHelpOptions = true,
            description = "Print the current personal key on stdout (exit 1, with what to do on stderr, when there is none or it expired).")
    static final class PrintToken implements Callable<Integer> {

        @Spec
        CommandSpec spec;

        @Option(names = "--key-file", description = "where `tollgate login` stored the key (default: $TOLLGATE_KEY_FILE or ~/.config/tollgate/key)")
        Path keyFile;

        @Override
        public Integer call() throws Exception {
            Path file = keyFile != null ? keyFile : KeyFile.defaultPath();
            Optional<KeyFile.Stored> stored = KeyFile.read(file);
            if (stored.isEmpty()) {
                spec.commandLine().getErr().println("tollgate: no personal key in " + file + "; run `tollgate login --gateway URL` first");
                return 1;
            }
            Instant expires = stored.get().expires();
            if (expires != null && !Instant.now().isBefore(expires)) {
                spec.commandLine().getErr().println("tollgate: the personal key in " + file + " expired at " + expires
                        + "; run `tollgate login" + (stored.get().gateway() != null ? " --gateway " + stored.get().gateway() : "") + "` again");
                return 1;
            }
            spec.commandLine().getOut().println(stored.get().key());
            spec.commandLine().getOut().flush();
            return 0;
        }
    }
}
