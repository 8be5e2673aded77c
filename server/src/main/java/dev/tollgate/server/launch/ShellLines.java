package dev.tollgate.server.launch;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * {@code tollgate launch --print-env}: the configuration as POSIX shell lines to eval or paste into a
 * profile. The key is named, never printed ("$TOLLGATE_KEY" or the key file); flags become a shell
 * function wrapping the agent; a settings file goes under ~/.config/tollgate/launch (Tollgate's own
 * directory, not the agent's) and is written only when the lines are run.
 */
final class ShellLines {

    static final String DIR = "$HOME/.config/tollgate/launch";

    private ShellLines() {
    }

    static String of(Agent agent, Agent.Setup setup, String keyPlaceholder, String keyReference) {
        StringBuilder s = new StringBuilder("# tollgate launch " + agent.name() + ": eval \"$(tollgate launch --print-env " + agent.name()
                + " -m MODEL)\"\n");
        if (!setup.files().isEmpty()) {
            s.append("mkdir -p \"").append(DIR).append("\"\n");
            for (Map.Entry<String, String> f : setup.files().entrySet()) {
                s.append("cat > \"").append(DIR).append('/').append(f.getKey()).append("\" <<'EOF'\n").append(f.getValue().strip()).append("\nEOF\n");
            }
        }
        for (Map.Entry<String, String> e : setup.env().entrySet()) {
            if (e.getValue() == null) {
                s.append("unset ").append(e.getKey()).append('\n');
            } else {
                s.append("export ").append(e.getKey()).append('=').append(value(e.getValue(), keyPlaceholder, keyReference)).append('\n');
            }
        }
        if (!setup.args().isEmpty()) {
            List<String> args = setup.args();
            s.append(agent.executable()).append("() { command ").append(agent.executable()).append(' ')
                    .append(args.stream().map(a -> value(a, keyPlaceholder, keyReference)).collect(Collectors.joining(" ")))
                    .append(" \"$@\"; }\n");
        }
        return s.toString();
    }

    /** Single-quoted, the private directory as $HOME/..., the key as its reference. */
    private static String value(String v, String keyPlaceholder, String keyReference) {
        StringBuilder q = new StringBuilder();
        String[] parts = v.split(keyPlaceholder, -1);
        for (int i = 0; i < parts.length; i++) {
            if (i > 0) {
                q.append(keyReference);
            }
            String[] dirParts = parts[i].split(java.util.regex.Pattern.quote(Agent.Setup.PRIVATE_DIR), -1);
            for (int j = 0; j < dirParts.length; j++) {
                if (j > 0) {
                    q.append('"').append(DIR).append('"');
                }
                if (!dirParts[j].isEmpty()) {
                    q.append('\'').append(dirParts[j].replace("'", "'\\''")).append('\'');
                }
            }
        }
        return q.isEmpty() ? "''" : q.toString();
    }
}
