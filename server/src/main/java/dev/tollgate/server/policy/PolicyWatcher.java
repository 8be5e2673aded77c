package dev.tollgate.server.policy;

/** Keeps the {@link PolicyHolder} up to date from a policy source; the admin API drives and reads it. */
public sealed interface PolicyWatcher extends AutoCloseable permits DirectoryPolicyWatcher, GitPolicyWatcher {

    /** Looks for a new policy now (a Git fetch, a directory re-read) and swaps it in if it is good. */
    PolicyStatus refresh();

    PolicyStatus status();

    @Override
    void close();
}
