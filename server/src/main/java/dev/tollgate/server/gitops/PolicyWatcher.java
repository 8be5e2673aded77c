package dev.tollgate.server.gitops;

/** Keeps the {@link PolicyHolder} up to date from a policy source; the admin API drives and reads it. */
public sealed interface PolicyWatcher extends AutoCloseable permits DirectoryPolicyWatcher, GitPolicyWatcher {

    /** Looks for a new policy now (a Git fetch, a directory re-read) and swaps it in if it is good. */
    PolicyStatus refresh();

    PolicyStatus status();

    /**
     * Who signed the commit {@code version}: the verified signer with signed commits only, else the
     * key the signature names, prefixed "unverified".
     */
    default java.util.Optional<String> signer(String version) {
        return java.util.Optional.empty();
    }

    @Override
    void close();
}
