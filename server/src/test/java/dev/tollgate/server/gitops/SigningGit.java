package dev.tollgate.server.gitops;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Real signed commits made by Git's own command line with Debian's gpg and ssh-keygen, with keys in
 * a temporary HOME and GNUPGHOME: the user's keys and Git settings are never read or touched.
 */
public final class SigningGit implements AutoCloseable {

    public final Path home;
    public final Path gnupg;
    public final Path repo;
    private boolean gpgUsed;

    public SigningGit(Path tmp) throws Exception {
        home = Files.createDirectories(tmp.resolve("home"));
        gnupg = Files.createDirectories(tmp.resolve("gnupg"));
        Files.setPosixFilePermissions(gnupg, PosixFilePermissions.fromString("rwx------"));
        repo = Files.createDirectories(tmp.resolve("policy"));
        run(repo, "git", "init", "-q", "-b", "main");
    }

    /** An Ed25519 SSH key pair; returns the public key file. */
    public Path sshKey(String name) throws Exception {
        Path key = home.resolve(name);
        run(home, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", key.toString());
        return home.resolve(name + ".pub");
    }

    /** An allowed_signers line for the key: "principal key-type base64". */
    public static String allowedSignersLine(String principal, Path publicKey) throws IOException {
        String[] parts = Files.readString(publicKey).strip().split("\\s+");
        return principal + " " + parts[0] + " " + parts[1];
    }

    /** A new OpenPGP signing key without passphrase; returns its fingerprint. */
    public String gpgKey(String userId) throws Exception {
        gpgUsed = true;
        run(home, "gpg", "--batch", "--pinentry-mode", "loopback", "--passphrase", "", "--quick-gen-key", userId, "ed25519", "sign", "never");
        String listing = run(home, "gpg", "--batch", "--with-colons", "--list-keys", userId);
        for (String line : listing.split("\n")) {
            if (line.startsWith("fpr:")) {
                return line.split(":")[9];
            }
        }
        throw new IllegalStateException("no fingerprint for " + userId + ":\n" + listing);
    }

    /** The armored public key(s), as an operator exports them for the gateway. */
    public Path exportGpg(Path file, String... fingerprints) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("gpg", "--batch", "--armor", "--export"));
        cmd.addAll(List.of(fingerprints));
        Files.writeString(file, run(home, cmd.toArray(String[]::new)));
        return file;
    }

    /** Writes the files and commits them; {@code signing} is null (unsigned), an SSH public key file or a gpg fingerprint. */
    public String commit(String message, Map<String, String> files, Object signing) throws Exception {
        for (var f : files.entrySet()) {
            Path file = repo.resolve(f.getKey());
            Files.createDirectories(file.getParent());
            Files.writeString(file, f.getValue());
        }
        run(repo, "git", "add", "-A");
        List<String> cmd = new ArrayList<>(List.of("git", "-c", "user.name=Pat Reviewer", "-c", "user.email=pat@example.com"));
        if (signing instanceof Path ssh) {
            cmd.addAll(List.of("-c", "gpg.format=ssh", "-c", "user.signingkey=" + ssh, "commit", "-q", "--allow-empty", "-S", "-m", message));
        } else if (signing instanceof String fingerprint) {
            cmd.addAll(List.of("-c", "gpg.format=openpgp", "-c", "user.signingkey=" + fingerprint, "commit", "-q", "--allow-empty", "-S", "-m", message));
        } else {
            cmd.addAll(List.of("commit", "-q", "--allow-empty", "--no-gpg-sign", "-m", message));
        }
        run(repo, cmd.toArray(String[]::new));
        return run(repo, "git", "rev-parse", "HEAD").strip();
    }

    /**
     * Replaces HEAD by a copy of it with another message but the old signature kept, the way an
     * attacker with push access but without the key would: the signature no longer matches.
     */
    public String tamperHead(String newMessage) throws Exception {
        String raw = run(repo, "git", "cat-file", "commit", "HEAD");
        int body = raw.indexOf("\n\n");
        String forged = raw.substring(0, body + 2) + newMessage + "\n";
        Path tmp = Files.createTempFile(home, "forged", ".txt");
        Files.writeString(tmp, forged);
        String id = run(repo, "git", "hash-object", "-t", "commit", "-w", tmp.toString()).strip();
        run(repo, "git", "update-ref", "refs/heads/main", id);
        return id;
    }

    public String run(Path dir, String... command) throws Exception {
        Path errors = home.resolve("stderr.txt");
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectError(errors.toFile());
        Map<String, String> env = pb.environment();
        env.put("HOME", home.toString());
        env.put("GNUPGHOME", gnupg.toString());
        env.put("GIT_CONFIG_NOSYSTEM", "1");
        env.put("GIT_CONFIG_GLOBAL", home.resolve("gitconfig").toString());
        env.remove("SSH_AUTH_SOCK");
        env.remove("GPG_AGENT_INFO");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed:\n" + out + Files.readString(errors));
        }
        return out;
    }

    /** Stops the gpg-agent this GNUPGHOME started (and only that one). */
    @Override
    public void close() throws Exception {
        if (gpgUsed) {
            run(home, "gpgconf", "--kill", "gpg-agent");
        }
    }
}
