package dev.tollgate.server.gitops;

import dev.tollgate.policy.PolicyException;
import dev.tollgate.policy.PolicyLoader;
import dev.tollgate.policy.PolicySnapshot;
import dev.tollgate.policy.Problem;
import dev.tollgate.policy.SourcePos;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.errors.GitAPIException;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.lib.RefUpdate;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.lib.RepositoryCache;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.transport.RefSpec;
import org.eclipse.jgit.transport.UsernamePasswordCredentialsProvider;
import org.eclipse.jgit.treewalk.TreeWalk;
import org.eclipse.jgit.treewalk.filter.PathFilter;
import org.eclipse.jgit.util.FS;

/**
 * Follows one branch of a Git repository through a bare mirror in the state directory. Each new
 * commit is read from the mirror, validated and indexed off the hot path, then swapped in one
 * atomic step; a commit that does not validate leaves the last good policy in force. The mirror
 * lets the gateway start (degraded) when the remote cannot be reached.
 */
public final class GitPolicyWatcher implements PolicyWatcher {

    private static final Logger LOG = Logger.getLogger(GitPolicyWatcher.class.getName());
    /** Where the last commit that validated is remembered, inside the mirror, for restarts. */
    static final String LAST_GOOD_REF = "refs/tollgate/last-good";
    private static final Duration MAX_BACKOFF = Duration.ofMinutes(5);

    private final String source;
    private final String branch;
    private final String path;
    private final Duration interval;
    private final Repository mirror;
    private final Thread thread;
    /** Empty: commits are not checked for signatures. */
    private final Optional<CommitSigners> signers;
    private final Map<PolicyStatus.Result, AtomicLong> reloads = new EnumMap<>(PolicyStatus.Result.class);
    private PolicyHolder holder;

    // Guarded by this: refresh() runs on the poll thread and on admin requests.
    private PolicyStatus.Revision active;
    private PolicyStatus.Revision lastTried;
    private List<String> lastErrors = List.of();
    private ObjectId activeId;
    private ObjectId lastBadId;
    private Instant lastFetch;
    private PolicyStatus.Result lastResult = PolicyStatus.Result.UNCHANGED;
    private int failures;
    /** What status() returns: read without the lock, so a slow fetch never blocks /admin/policy or /metrics. */
    private volatile PolicyStatus published;
    /** The signer checked for each commit that went into force (signed commits only). */
    private final Map<String, String> verified = new java.util.concurrent.ConcurrentHashMap<>();
    private java.util.function.Consumer<Refusal> onRefused;
    private Refusal lastRefusal;

    /** A commit refused for its signature: what the audit trail records (the claimed signer is unverified). */
    public record Refusal(String commit, Optional<String> author, Optional<String> claimedSigner, String reason) {
    }

    private GitPolicyWatcher(String source, String branch, String path, Duration interval, Repository mirror,
                             Optional<CommitSigners> signers) {
        this.source = source;
        this.signers = signers;
        this.branch = branch;
        this.path = path.replaceAll("^/+|/+$", "");
        this.interval = interval;
        this.mirror = mirror;
        for (PolicyStatus.Result r : PolicyStatus.Result.values()) {
            reloads.put(r, new AtomicLong());
        }
        this.thread = Thread.ofVirtual().name("policy-git-watcher").unstarted(this::run);
    }

    /** True for a Git URL, or the path of a repository (bare or with a work tree). */
    public static boolean isGitSource(String source) {
        if (source.contains("://") || source.matches("^[\\w.-]+@[\\w.-]+:.*")) {
            return true;
        }
        Path dir = Path.of(source);
        return Files.isDirectory(dir) && (RepositoryCache.FileKey.isGitRepository(dir.toFile(), FS.DETECTED)
                || RepositoryCache.FileKey.isGitRepository(dir.resolve(".git").toFile(), FS.DETECTED));
    }

    /**
     * Opens (or creates) the mirror, fetches, and loads the branch's head; if the head does not
     * validate, the last good commit remembered in the mirror. Fails only when there is no good
     * policy at all to start from.
     */
    public static GitPolicyWatcher open(String source, String branch, String path, Path stateDir, Duration interval)
            throws PolicyException {
        return open(source, branch, path, stateDir, interval, Optional.empty());
    }

    /** As above; with {@code signers}, only commits signed by one of them go into force. */
    public static GitPolicyWatcher open(String source, String branch, String path, Path stateDir, Duration interval,
                                       Optional<CommitSigners> signers) throws PolicyException {
        Path dir = stateDir.resolve("policy-mirror").resolve(mirrorName(source));
        Repository repo;
        try {
            if (Files.isDirectory(dir.resolve("objects"))) {
                repo = Git.open(dir.toFile()).getRepository();
            } else {
                Files.createDirectories(dir);
                repo = Git.init().setBare(true).setDirectory(dir.toFile()).call().getRepository();
            }
        } catch (IOException | GitAPIException e) {
            throw PolicyException.of(dir.toString(), "cannot open the policy mirror: " + e.getMessage());
        }
        GitPolicyWatcher watcher = new GitPolicyWatcher(source, branch, path, interval, repo, signers);
        watcher.initialize();
        return watcher;
    }

    private static String mirrorName(String source) {
        String tail = source.replaceAll("[/\\\\]+$", "").replaceAll(".*[/\\\\:]", "").replaceAll("\\.git$", "")
                .replaceAll("[^A-Za-z0-9._-]", "_");
        try {
            byte[] digest = java.security.MessageDigest.getInstance("SHA-256").digest(source.getBytes(StandardCharsets.UTF_8));
            return tail + "-" + HexFormat.of().formatHex(digest, 0, 4) + ".git";
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private synchronized void initialize() throws PolicyException {
        Optional<String> fetchError = fetch();
        ObjectId head = resolve("refs/heads/" + branch);
        if (head == null) {
            throw PolicyException.of(redact(source), fetchError.map(e -> "cannot fetch (" + e + ") and the mirror holds no copy of branch '"
                    + branch + "' yet").orElse("branch '" + branch + "' does not exist (set --policy-branch)"));
        }
        try {
            PolicySnapshot snapshot = load(head);
            holder = new PolicyHolder(snapshot);
            accepted(head, snapshot);
        } catch (PolicyException e) {
            rejected(head, e);
            ObjectId lastGood = resolve(LAST_GOOD_REF);
            if (lastGood == null || lastGood.equals(head)) {
                throw e;
            }
            LOG.warning("policy commit " + head.name() + " does not validate; starting from the last good commit " + lastGood.name());
            PolicySnapshot snapshot = load(lastGood);
            holder = new PolicyHolder(snapshot);
            PolicyStatus.Revision tried = lastTried;
            List<String> errors = lastErrors;
            accepted(lastGood, snapshot);
            // The admin API must still show the bad head and why, and the poll must not retry it.
            lastTried = tried;
            lastErrors = errors;
            lastBadId = head;
            lastResult = badResult(head);
        }
        fetchError.ifPresent(e -> holder.degraded("policy source unreachable: " + e + "; serving commit " + activeId.name()
                + " from the local mirror"));
        publish();
    }

    public PolicyHolder holder() {
        return holder;
    }

    public GitPolicyWatcher start() {
        thread.start();
        return this;
    }

    private void run() {
        while (!Thread.currentThread().isInterrupted()) {
            try {
                Thread.sleep(nextDelay());
            } catch (InterruptedException e) {
                return;
            }
            try {
                refresh();
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "policy refresh failed unexpectedly", e);
            }
        }
    }

    /** The poll interval, doubled for each failed fetch in a row up to 5 minutes: a down remote is not hammered. */
    synchronized Duration nextDelay() {
        Duration cap = interval.compareTo(MAX_BACKOFF) > 0 ? interval : MAX_BACKOFF;
        Duration delay = interval.multipliedBy(1L << Math.min(failures, 16));
        return delay.compareTo(cap) > 0 ? cap : delay;
    }

    @Override
    public synchronized PolicyStatus refresh() {
        Optional<String> fetchError = fetch();
        if (fetchError.isPresent()) {
            holder.degraded("policy source unreachable: " + fetchError.get() + "; serving commit " + activeId.name());
            return finish(PolicyStatus.Result.UNREACHABLE);
        }
        holder.degraded(null);
        ObjectId head = resolve("refs/heads/" + branch);
        if (head == null) {
            lastErrors = List.of("branch '" + branch + "' no longer exists in " + redact(source) + "; keeping commit " + activeId.name());
            return finish(PolicyStatus.Result.INVALID);
        }
        if (head.equals(activeId) || head.equals(lastBadId)) {
            return finish(PolicyStatus.Result.UNCHANGED);
        }
        try {
            PolicySnapshot next = load(head);
            accepted(head, next);
            // Status first, then the swap: whoever sees the new snapshot in force also sees it in the status.
            PolicyStatus status = finish(PolicyStatus.Result.UPDATED);
            holder.swap(next);
            LOG.info(() -> "policy commit " + head.name() + " (" + active.message().orElse("") + ") is now in force");
            return status;
        } catch (PolicyException e) {
            rejected(head, e);
            LOG.warning("policy commit " + head.name() + " does not validate; keeping " + activeId.name() + ":\n" + e.getMessage());
            return finish(badResult(head));
        }
    }

    private PolicyStatus finish(PolicyStatus.Result result) {
        lastResult = result;
        reloads.get(result).incrementAndGet();
        return publish();
    }

    /** Fetches the branch into the mirror; the error, if the remote could not be reached. */
    private Optional<String> fetch() {
        try (Git git = new Git(mirror)) {
            var fetch = git.fetch()
                    .setRemote(source)
                    .setRefSpecs(new RefSpec("+refs/heads/" + branch + ":refs/heads/" + branch))
                    .setTimeout(30);
            String token = System.getenv("TOLLGATE_GIT_TOKEN");
            if (token != null && !token.isBlank()) {
                String user = Optional.ofNullable(System.getenv("TOLLGATE_GIT_USERNAME")).orElse("x-access-token");
                fetch.setCredentialsProvider(new UsernamePasswordCredentialsProvider(user, token));
            }
            fetch.call();
            failures = 0;
            lastFetch = Instant.now();
            return Optional.empty();
        } catch (GitAPIException | RuntimeException e) {
            failures++;
            String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            return Optional.of(redact(message));
        }
    }

    private ObjectId resolve(String ref) {
        try {
            return mirror.resolve(ref);
        } catch (IOException e) {
            return null;
        }
    }

    /** Reads the policy files of one commit (under the configured sub-directory) and validates them. */
    private PolicySnapshot load(ObjectId id) throws PolicyException {
        if (signers.isPresent()) {
            checkSignature(id, signers.get());
        }
        return PolicyLoader.load(files(mirror, id, path), id.name());
    }

    /** Signed commits only: the signature is checked before any policy file of the commit is read. */
    private void checkSignature(ObjectId id, CommitSigners allowed) throws PolicyException {
        try (RevWalk walk = new RevWalk(mirror)) {
            RevCommit commit = walk.parseCommit(id);
            switch (allowed.check(mirror, commit)) {
                case CommitSigners.Verdict.Verified v -> verified.put(id.name(), v.signer());
                case CommitSigners.Verdict.Refused r -> {
                    PersonIdent author = commit.getAuthorIdent();
                    Refusal refusal = new Refusal(id.name(), Optional.of(author.getName() + " <" + author.getEmailAddress() + ">"),
                            r.claimedSigner(), r.reason());
                    lastRefusal = refusal;
                    if (onRefused != null) {
                        onRefused.accept(refusal);
                    }
                    throw new PolicyException(List.of(new Problem(new SourcePos(id.name(), 0, 0), r.reason())));
                }
            }
        } catch (IOException e) {
            throw PolicyException.of(id.name(), "cannot read the commit: " + e.getMessage());
        }
    }

    /** Untrusted when the commit was refused for its signature, else invalid. */
    private PolicyStatus.Result badResult(ObjectId id) {
        return lastRefusal != null && lastRefusal.commit().equals(id.name()) ? PolicyStatus.Result.UNTRUSTED : PolicyStatus.Result.INVALID;
    }

    /**
     * Called (on the poll thread) for each commit refused for its signature; a refusal that
     * happened at start, before anyone listened, is passed on at once.
     */
    public synchronized void onRefused(java.util.function.Consumer<Refusal> listener) {
        this.onRefused = listener;
        if (lastRefusal != null && lastRefusal.commit().equals(lastBadId == null ? null : lastBadId.name())) {
            listener.accept(lastRefusal);
        }
    }

    /** The policy files of a commit under {@code path} ("" = the root), by path relative to it. */
    public static Map<String, byte[]> files(Repository repo, ObjectId id, String path) throws PolicyException {
        String dir = path.replaceAll("^/+|/+$", "");
        Map<String, byte[]> files = new LinkedHashMap<>();
        try (RevWalk walk = new RevWalk(repo); TreeWalk tree = new TreeWalk(repo)) {
            RevCommit commit = walk.parseCommit(id);
            tree.addTree(commit.getTree());
            tree.setRecursive(true);
            if (!dir.isEmpty()) {
                tree.setFilter(PathFilter.create(dir));
            }
            while (tree.next()) {
                String name = dir.isEmpty() ? tree.getPathString() : tree.getPathString().substring(dir.length() + 1);
                if (PolicyLoader.isPolicyFile(name)) {
                    files.put(name, repo.open(tree.getObjectId(0)).getBytes());
                }
            }
        } catch (IOException e) {
            throw PolicyException.of(id.name(), "cannot read the commit: " + e.getMessage());
        }
        if (files.isEmpty()) {
            throw new PolicyException(List.of(new Problem(new SourcePos(dir.isEmpty() ? "/" : dir, 0, 0),
                    "commit " + id.name() + " has no policy files (*.yaml) here; check --policy-path")));
        }
        return files;
    }

    /** Whether {@code revision} names a commit of the repository at {@code repoDir} (false too when there is no repository). */
    public static boolean hasCommit(Path repoDir, String revision) {
        try (Git git = Git.open(repoDir.toFile())) {
            return git.getRepository().resolve(revision + "^{commit}") != null;
        } catch (IOException | RuntimeException e) { // RevisionSyntaxException for what is no revision at all
            return false;
        }
    }

    /** The policy files at a revision (sha, branch, tag, HEAD~1) of the repository at {@code repoDir}. */
    public static Map<String, byte[]> files(Path repoDir, String revision, String path) throws PolicyException {
        try (Git git = Git.open(repoDir.toFile())) {
            ObjectId id = git.getRepository().resolve(revision + "^{commit}");
            if (id == null) {
                throw PolicyException.of(repoDir.toString(), "no commit '" + revision + "' in this repository");
            }
            return files(git.getRepository(), id, path);
        } catch (IOException e) {
            throw PolicyException.of(repoDir.toString(), "not a Git repository: " + e.getMessage());
        }
    }

    private void accepted(ObjectId id, PolicySnapshot snapshot) {
        activeId = id;
        active = revision(id);
        lastTried = active;
        lastErrors = List.of();
        lastBadId = null;
        try {
            RefUpdate update = mirror.updateRef(LAST_GOOD_REF);
            update.setNewObjectId(id);
            update.setForceUpdate(true);
            update.update();
        } catch (IOException e) {
            LOG.warning("cannot remember the last good policy commit: " + e.getMessage());
        }
    }

    private void rejected(ObjectId id, PolicyException e) {
        lastBadId = id;
        lastTried = revision(id);
        lastErrors = e.problems();
    }

    private PolicyStatus.Revision revision(ObjectId id) {
        try (RevWalk walk = new RevWalk(mirror)) {
            RevCommit c = walk.parseCommit(id);
            PersonIdent author = c.getAuthorIdent();
            return new PolicyStatus.Revision(id.name(), Optional.of(author.getName() + " <" + author.getEmailAddress() + ">"),
                    Optional.of(author.getWhenAsInstant()), Optional.of(c.getShortMessage()));
        } catch (IOException e) {
            return PolicyStatus.Revision.of(id.name());
        }
    }

    @Override
    public PolicyStatus status() {
        return published;
    }

    @Override
    public Optional<String> signer(String version) {
        if (signers.isPresent()) {
            return Optional.ofNullable(verified.get(version));
        }
        try (RevWalk walk = new RevWalk(mirror)) {
            byte[] signature = walk.parseCommit(ObjectId.fromString(version)).getRawGpgSignature();
            // Without signed commits only, nothing is checked: say so rather than vouch for the key.
            return signature == null ? Optional.empty() : Optional.of("unverified " + dev.tollgate.server.audit.Signatures.describe(signature));
        } catch (IOException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    private PolicyStatus publish() {
        Map<PolicyStatus.Result, Long> counts = new EnumMap<>(PolicyStatus.Result.class);
        reloads.forEach((k, v) -> counts.put(k, v.get()));
        published = new PolicyStatus("git", redact(source), Optional.of(branch), Optional.of(path), active,
                Optional.ofNullable(lastTried), lastErrors, holder == null ? Optional.empty() : holder.degraded(),
                Optional.ofNullable(lastFetch), lastResult, counts);
        return published;
    }

    /** Hides credentials embedded in a URL (https://user:token@host/...). */
    static String redact(String text) {
        return text.replaceAll("(://)[^/@\\s]+@", "$1***@");
    }

    @Override
    public void close() {
        thread.interrupt();
        mirror.close();
    }

    /** For tests and tools: the mirror's location. */
    Path mirrorDir() {
        return mirror.getDirectory().toPath();
    }

}
