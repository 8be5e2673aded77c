package dev.tollgate.server.gitops;

import dev.tollgate.policy.PolicyException;
import dev.tollgate.policy.PolicyLoader;
import dev.tollgate.policy.PolicySnapshot;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Reloads a plain directory of policy files when their content changes. A change that does not
 * load keeps the last good policy in force and says why in the log.
 */
public final class DirectoryPolicyWatcher implements PolicyWatcher {

    private static final Logger LOG = Logger.getLogger(DirectoryPolicyWatcher.class.getName());

    private final Path dir;
    private final PolicyHolder holder;
    private final Duration interval;
    private final Thread thread;
    private volatile String lastFailedVersion;
    private String lastStamp = "";
    private final java.util.Map<PolicyStatus.Result, java.util.concurrent.atomic.AtomicLong> reloads =
            new java.util.EnumMap<>(PolicyStatus.Result.class);
    private volatile java.util.List<String> lastErrors = java.util.List.of();
    private volatile PolicyStatus.Result lastResult = PolicyStatus.Result.UNCHANGED;

    public DirectoryPolicyWatcher(Path dir, PolicyHolder holder, Duration interval) {
        this.dir = dir;
        this.holder = holder;
        this.interval = interval;
        this.thread = Thread.ofVirtual().name("policy-watcher").unstarted(this::run);
        for (PolicyStatus.Result r : PolicyStatus.Result.values()) {
            reloads.put(r, new java.util.concurrent.atomic.AtomicLong());
        }
    }

    public DirectoryPolicyWatcher start() {
        thread.start();
        return this;
    }

    private void run() {
        while (!Thread.currentThread().isInterrupted()) {
            try {
                Thread.sleep(interval);
            } catch (InterruptedException e) {
                return;
            }
            if (changed()) {
                checkOnce();
            }
        }
    }

    /** Names, sizes and modification times: cheap to read every second, unlike parsing every file. */
    private boolean changed() {
        StringBuilder stamp = new StringBuilder();
        try (var walk = Files.walk(dir)) {
            walk.filter(Files::isRegularFile).sorted().forEach(f -> {
                try {
                    stamp.append(f).append(' ').append(Files.size(f)).append(' ')
                            .append(Files.getLastModifiedTime(f).toMillis()).append('\n');
                } catch (IOException e) {
                    stamp.append(f).append(" unreadable\n");
                }
            });
        } catch (IOException | UncheckedIOException e) {
            stamp.append("unlistable");
        }
        boolean changed = !stamp.toString().equals(lastStamp);
        lastStamp = stamp.toString();
        return changed;
    }

    /** Loads the directory and swaps it in if it differs from the policy in force. */
    public synchronized void checkOnce() {
        PolicyStatus.Result result = PolicyStatus.Result.UNCHANGED;
        try {
            PolicySnapshot next = PolicyLoader.loadDirectory(dir);
            lastErrors = java.util.List.of();
            if (!next.version().equals(holder.current().version())) {
                holder.swap(next);
                lastFailedVersion = null;
                result = PolicyStatus.Result.UPDATED;
                LOG.info(() -> "policy " + next.version() + " loaded from " + dir + " (" + next.catalog().size() + " models)");
            }
        } catch (PolicyException e) {
            String problems = e.getMessage();
            lastErrors = e.problems();
            result = PolicyStatus.Result.INVALID;
            if (!problems.equals(lastFailedVersion)) {
                lastFailedVersion = problems;
                LOG.log(Level.WARNING, "policy in " + dir + " does not load; keeping " + holder.current().version() + ":\n" + problems);
            }
        }
        lastResult = result;
        reloads.get(result).incrementAndGet();
    }

    @Override
    public PolicyStatus refresh() {
        checkOnce();
        return status();
    }

    @Override
    public PolicyStatus status() {
        java.util.Map<PolicyStatus.Result, Long> counts = new java.util.EnumMap<>(PolicyStatus.Result.class);
        reloads.forEach((k, v) -> counts.put(k, v.get()));
        return new PolicyStatus("directory", dir.toString(), java.util.Optional.empty(), java.util.Optional.empty(),
                PolicyStatus.Revision.of(holder.current().version()), java.util.Optional.empty(), lastErrors,
                java.util.Optional.empty(), java.util.Optional.empty(), lastResult, counts);
    }

    @Override
    public void close() {
        thread.interrupt();
    }
}
