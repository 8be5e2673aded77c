package dev.tollgate.server.launch;

import java.io.IOException;
import java.io.PrintStream;
import sun.misc.Signal;

/**
 * Runs the agent on the launcher's own terminal (inherited stdin, stdout, stderr) and gives back its exit
 * code. The JVM cannot exec, so the launcher stays as the agent's parent and passes signals on:
 * SIGTERM and SIGHUP (sent to the launcher by a supervisor or a closed terminal) go to the agent, which
 * decides when to stop. Ctrl-C at a terminal already reaches the agent, which is in the same foreground
 * process group; the launcher ignores its copy, as a shell does for a foreground job. A SIGINT sent to
 * the launcher alone (no terminal) is passed on.
 */
final class AgentProcess {

    private AgentProcess() {
    }

    static int run(ProcessBuilder pb, PrintStream err) {
        Process agent;
        try {
            agent = pb.start();
        } catch (IOException e) {
            err.println("tollgate launch: cannot start " + pb.command().getFirst() + ": " + e.getMessage());
            return 126;
        }
        boolean terminal = System.console() != null && isTerminal();
        forward("TERM", agent);
        forward("HUP", agent);
        if (terminal) {
            Signal.handle(new Signal("INT"), s -> { });
        } else {
            forward("INT", agent);
        }
        while (true) {
            try {
                // A child killed by a signal reads as 128 + its number, as a shell reports it.
                return agent.waitFor();
            } catch (InterruptedException e) {
                // only a signal handler's thread runs here besides us: keep waiting for the agent
            }
        }
    }

    private static boolean isTerminal() {
        try {
            return (Boolean) java.io.Console.class.getMethod("isTerminal").invoke(System.console());
        } catch (ReflectiveOperationException e) {
            return true;
        }
    }

    private static void forward(String name, Process agent) {
        Signal.handle(new Signal(name), s -> {
            if ("TERM".equals(name)) {
                agent.destroy(); // SIGTERM
                return;
            }
            try {
                new ProcessBuilder("kill", "-" + name, Long.toString(agent.pid())).inheritIO().start().waitFor();
            } catch (IOException e) {
                agent.destroy();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }
}
