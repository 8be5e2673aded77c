package dev.tollgate.server.gitops;

import dev.tollgate.policy.PolicyException;
import dev.tollgate.policy.Problem;
import dev.tollgate.policy.SourcePos;
import dev.tollgate.server.audit.Signatures;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import org.apache.sshd.common.config.keys.AuthorizedKeyEntry;
import org.apache.sshd.common.config.keys.PublicKeyEntryResolver;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.bouncycastle.openpgp.PGPPublicKeyRingCollection;
import org.bouncycastle.openpgp.PGPSignature;
import org.bouncycastle.openpgp.PGPSignatureList;
import org.bouncycastle.openpgp.PGPUtil;
import org.bouncycastle.openpgp.jcajce.JcaPGPObjectFactory;
import org.bouncycastle.openpgp.operator.jcajce.JcaKeyFingerprintCalculator;
import org.bouncycastle.openpgp.operator.jcajce.JcaPGPContentVerifierBuilderProvider;
import org.eclipse.jgit.lib.Config;
import org.eclipse.jgit.lib.GpgConfig;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.lib.SignatureVerifier;
import org.eclipse.jgit.lib.SignatureVerifiers;
import org.eclipse.jgit.revwalk.RevCommit;

/**
 * Who may sign a policy commit: SSH keys in Git's {@code allowed_signers} format and/or an armored
 * OpenPGP public keyring, both from server settings (a policy cannot vouch for itself). SSH
 * signatures are checked by JGit's SSH verifier against the allowed signers file; OpenPGP ones with
 * Bouncy Castle against the keyring (JGit's own OpenPGP verifier only reads the user's gpg home).
 */
public final class CommitSigners {

    /** What checking one commit found; the claimed signer is read from the signature, never trusted. */
    public sealed interface Verdict {
        record Verified(String signer) implements Verdict {
        }

        record Refused(String reason, Optional<String> claimedSigner) implements Verdict {
        }
    }

    private final Optional<Path> allowedSigners;
    private final PGPPublicKeyRingCollection keyring;
    private final GpgConfig sshConfig;

    private CommitSigners(Optional<Path> allowedSigners, PGPPublicKeyRingCollection keyring) {
        this.allowedSigners = allowedSigners;
        this.keyring = keyring;
        Config config = new Config();
        allowedSigners.ifPresent(p -> config.setString("gpg", "ssh", "allowedSignersFile", p.toAbsolutePath().toString()));
        this.sshConfig = new GpgConfig(config);
    }

    /**
     * The signers from these files, or empty when neither is set (no checking). A file that does
     * not parse is an error naming the file and line: the gateway must not start unguarded.
     */
    public static Optional<CommitSigners> load(Optional<Path> allowedSigners, Optional<Path> gpgKeys) throws PolicyException {
        if (allowedSigners.isEmpty() && gpgKeys.isEmpty()) {
            return Optional.empty();
        }
        if (allowedSigners.isPresent()) {
            checkAllowedSigners(allowedSigners.get());
        }
        PGPPublicKeyRingCollection keyring = null;
        if (gpgKeys.isPresent()) {
            keyring = readKeyring(gpgKeys.get());
        }
        return Optional.of(new CommitSigners(allowedSigners, keyring));
    }

    /** Each line: principals, optional options, key type, base64 key (ssh-keygen(1) ALLOWED SIGNERS). */
    static void checkAllowedSigners(Path file) throws PolicyException {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw PolicyException.of(file.toString(), "cannot read the allowed signers file: " + e.getMessage());
        }
        List<Problem> problems = new ArrayList<>();
        int keys = 0;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String rest = afterPrincipals(line);
            try {
                if (rest.isBlank()) {
                    throw new IllegalArgumentException("a principal but no key");
                }
                AuthorizedKeyEntry entry = AuthorizedKeyEntry.parseAuthorizedKeyEntry(rest);
                if (entry == null || entry.resolvePublicKey(null, PublicKeyEntryResolver.FAILING) == null) {
                    throw new IllegalArgumentException("no public key");
                }
                keys++;
            } catch (Exception e) {
                problems.add(new Problem(new SourcePos(file.toString(), i + 1, 0),
                        "not an allowed_signers line (expected: principals [options] key-type base64-key): " + e.getMessage()));
            }
        }
        if (problems.isEmpty() && keys == 0) {
            problems.add(new Problem(new SourcePos(file.toString(), 0, 0), "the allowed signers file lists no key"));
        }
        if (!problems.isEmpty()) {
            throw new PolicyException(problems);
        }
    }

    /** Skips the principals field, which may be quoted. */
    private static String afterPrincipals(String line) {
        int i = 0;
        if (line.charAt(0) == '"') {
            int close = line.indexOf('"', 1);
            i = close < 0 ? line.length() : close + 1;
        } else {
            while (i < line.length() && !Character.isWhitespace(line.charAt(i))) {
                i++;
            }
        }
        return line.substring(i).strip();
    }

    private static PGPPublicKeyRingCollection readKeyring(Path file) throws PolicyException {
        try (InputStream in = PGPUtil.getDecoderStream(Files.newInputStream(file))) {
            PGPPublicKeyRingCollection keyring = new PGPPublicKeyRingCollection(in, new JcaKeyFingerprintCalculator());
            if (keyring.size() == 0) {
                throw PolicyException.of(file.toString(), "the OpenPGP keyring holds no public key (export it with gpg --armor --export)");
            }
            return keyring;
        } catch (IOException | PGPException | RuntimeException e) {
            throw PolicyException.of(file.toString(), "not an OpenPGP public keyring (export it with gpg --armor --export): " + e.getMessage());
        }
    }

    /** Whether {@code commit} carries a good signature by an allowed key. */
    public Verdict check(Repository repo, RevCommit commit) {
        byte[] signature = commit.getRawGpgSignature();
        if (signature == null) {
            return new Verdict.Refused("commit " + commit.name() + " is not signed; signed commits only (tollgate.git.signers / tollgate.git.gpg.keys)",
                    Optional.empty());
        }
        String claimed = Signatures.describe(signature);
        byte[] data = signedData(commit.getRawBuffer());
        try {
            return switch (SignatureVerifiers.getFormat(signature)) {
                case SSH -> allowedSigners.isEmpty()
                        ? refused(commit, claimed, "is signed with an SSH key but no allowed signers file is set (tollgate.git.signers)")
                        : ssh(repo, commit, claimed, data, signature);
                case OPENPGP -> keyring == null
                        ? refused(commit, claimed, "is signed with OpenPGP but no keyring is set (tollgate.git.gpg.keys)")
                        : openpgp(commit, claimed, data, signature);
                default -> refused(commit, claimed, "carries a signature of a kind the gateway does not check (x509)");
            };
        } catch (IOException | PGPException | RuntimeException e) {
            return refused(commit, claimed, "carries a signature that cannot be checked: " + e.getMessage());
        }
    }

    private Verdict ssh(Repository repo, RevCommit commit, String claimed, byte[] data, byte[] signature) throws IOException {
        SignatureVerifier verifier = SignatureVerifiers.get(GpgConfig.GpgFormat.SSH);
        if (verifier == null) {
            return refused(commit, claimed, "is signed with SSH but no SSH verifier is on the class path");
        }
        SignatureVerifier.SignatureVerification v = verifier.verify(repo, sshConfig, data, signature);
        if (v != null && v.message() != null && v.message().startsWith("No principal matched")) {
            return refused(commit, claimed, "is signed by a key not in the allowed signers file");
        }
        if (v == null || !v.verified()) {
            String detail = v == null || v.message() == null ? "" : ": " + v.message();
            return refused(commit, claimed, "has a bad SSH signature (the commit was changed after it was signed)" + detail);
        }
        // JGit reports a good signature by a key missing from the file as verified, without a principal.
        if (v.keyUser() == null || v.keyUser().isBlank() || v.trustLevel() != SignatureVerifier.TrustLevel.FULL) {
            return refused(commit, claimed, "is signed by a key not in the allowed signers file");
        }
        return new Verdict.Verified("ssh " + v.keyUser() + " " + fingerprint(claimed));
    }

    private Verdict openpgp(RevCommit commit, String claimed, byte[] data, byte[] signature) throws IOException, PGPException {
        PGPSignature sig = pgpSignature(signature);
        PGPPublicKey key = keyring.getPublicKey(sig.getKeyID());
        if (key == null) {
            return refused(commit, claimed, "is signed by an OpenPGP key not in the keyring");
        }
        sig.init(new JcaPGPContentVerifierBuilderProvider().setProvider(new org.bouncycastle.jce.provider.BouncyCastleProvider()), key);
        sig.update(data);
        if (!sig.verify()) {
            return refused(commit, claimed, "has a bad OpenPGP signature (the commit was changed after it was signed)");
        }
        PGPPublicKeyRing ring = keyring.getPublicKeyRing(sig.getKeyID());
        Iterator<String> ids = ring.getPublicKey().getUserIDs();
        String who = ids.hasNext() ? ids.next() : "(no user id)";
        return new Verdict.Verified("openpgp " + who + " fingerprint "
                + HexFormat.of().withUpperCase().formatHex(ring.getPublicKey().getFingerprint()));
    }

    private static PGPSignature pgpSignature(byte[] armored) throws IOException {
        try (InputStream in = PGPUtil.getDecoderStream(new ByteArrayInputStream(armored))) {
            Object o = new JcaPGPObjectFactory(in).nextObject();
            if (o instanceof PGPSignatureList list && !list.isEmpty()) {
                return list.get(0);
            }
            throw new IOException("no OpenPGP signature packet");
        }
    }

    private static Verdict refused(RevCommit commit, String claimed, String why) {
        return new Verdict.Refused("commit " + commit.name() + " " + why + " (claimed signer: " + claimed + ")", Optional.of(claimed));
    }

    private static String fingerprint(String described) {
        return described.startsWith("ssh ") ? described.substring(4) : described;
    }

    /** The commit as it was signed: the raw object without its signature header and continuation lines. */
    static byte[] signedData(byte[] raw) {
        int start = headerStart(raw, "gpgsig ");
        if (start < 0) {
            start = headerStart(raw, "gpgsig-sha256 ");
        }
        if (start < 0) {
            return raw;
        }
        int end = start;
        do {
            while (end < raw.length && raw[end] != '\n') {
                end++;
            }
            end++;
        } while (end < raw.length && raw[end] == ' ');
        ByteArrayOutputStream out = new ByteArrayOutputStream(raw.length);
        out.write(raw, 0, start);
        out.write(raw, end, raw.length - end);
        return out.toByteArray();
    }

    /** Where a header line begins, looking only in the header block (before the first empty line). */
    private static int headerStart(byte[] raw, String name) {
        byte[] n = name.getBytes(StandardCharsets.US_ASCII);
        int line = 0;
        while (line < raw.length && raw[line] != '\n') {
            if (startsWith(raw, line, n)) {
                return line;
            }
            while (line < raw.length && raw[line] != '\n') {
                line++;
            }
            line++;
        }
        return -1;
    }

    private static boolean startsWith(byte[] raw, int at, byte[] prefix) {
        if (at + prefix.length > raw.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (raw[at + i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }
}
