package dev.tollgate.server.listener;

import dev.tollgate.providers.upstream.Pem;
import io.helidon.common.tls.Tls;
import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Date;
import java.util.List;
import java.util.logging.Logger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * HTTPS on the gateway's own listener, from a PEM certificate chain and key, reloaded when either
 * file changes (cert-manager or an ACME client rotating them): the next handshake presents the new
 * certificate, connections already open keep theirs and are not dropped. Checked at most once a
 * second, on a handshake. A half-written or mismatched pair is not taken: the old one stays and
 * the log says why, until the files are whole again.
 */
public final class ListenerTls extends X509ExtendedKeyManager {

    private static final Logger LOG = Logger.getLogger(ListenerTls.class.getName());
    private static final String ALIAS = "tollgate";
    private static final long RECHECK_NANOS = 1_000_000_000L;

    /** One loaded certificate and key; its alias names it, so one handshake never mixes two generations. */
    private record Pair(String alias, X509Certificate[] chain, PrivateKey key, List<Object> stamp) {
    }

    private final Path certFile;
    private final Path keyFile;
    private volatile Pair current;
    /** The one before, for a handshake that chose it just before a reload. */
    private volatile Pair previous;
    private int generation;
    private volatile long checkedAt;

    /** @throws IllegalArgumentException naming the file that cannot be used (at start: the gateway does not start) */
    public ListenerTls(Path certFile, Path keyFile) {
        this.certFile = certFile;
        this.keyFile = keyFile;
        this.current = load();
        this.checkedAt = System.nanoTime();
    }

    /** Helidon's TLS set-up for the listener. */
    public Tls tls() {
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(new javax.net.ssl.KeyManager[] {this}, null, null);
            return Tls.builder().sslContext(context).build();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot set up TLS for the listener: " + e.getMessage(), e);
        }
    }

    /** The certificate new connections get now. */
    public X509Certificate certificate() {
        return fresh().chain[0];
    }

    private Pair load() {
        List<Object> stamp = stamp();
        List<X509Certificate> chain = Pem.certificates(certFile);
        PrivateKey key = Pem.privateKey(readKey(), "the listener key " + keyFile);
        if (!matches(chain.getFirst(), key)) {
            throw new IllegalArgumentException("the listener key " + keyFile + " is not the key of the certificate in " + certFile);
        }
        return new Pair(ALIAS + "-" + (++generation), chain.toArray(X509Certificate[]::new), key, stamp);
    }

    private String readKey() {
        try {
            return Files.readString(keyFile, java.nio.charset.StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read the listener key " + keyFile + " (" + e.getClass().getSimpleName() + ")");
        }
    }

    private List<Object> stamp() {
        try {
            return List.of(Files.getLastModifiedTime(certFile).toMillis(), Files.size(certFile),
                    Files.getLastModifiedTime(keyFile).toMillis(), Files.size(keyFile));
        } catch (IOException e) {
            return List.of("missing");
        }
    }

    private Pair fresh() {
        long now = System.nanoTime();
        if (now - checkedAt < RECHECK_NANOS) {
            return current;
        }
        synchronized (this) {
            if (now - checkedAt >= RECHECK_NANOS) {
                checkedAt = now;
                Pair pair = current;
                if (!stamp().equals(pair.stamp)) {
                    try {
                        Pair loaded = load();
                        previous = pair;
                        current = loaded;
                        LOG.info("listener certificate reloaded from " + certFile + ": now " + current.chain[0].getSubjectX500Principal()
                                + ", valid until " + current.chain[0].getNotAfter().toInstant());
                    } catch (IllegalArgumentException e) {
                        LOG.warning("listener certificate not reloaded, keeping the current one: " + e.getMessage());
                    }
                }
            }
        }
        return current;
    }

    private static boolean matches(X509Certificate cert, PrivateKey key) {
        String algorithm = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            default -> key.getAlgorithm();
        };
        try {
            byte[] nonce = "tollgate".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            java.security.Signature s = java.security.Signature.getInstance(algorithm);
            s.initSign(key);
            s.update(nonce);
            byte[] signature = s.sign();
            s.initVerify(cert.getPublicKey());
            s.update(nonce);
            return s.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
        return choose(keyType);
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
        return choose(keyType);
    }

    /** The current pair's alias when its key fits the key type the handshake asks for. */
    private String choose(String keyType) {
        Pair pair = fresh();
        String algorithm = pair.key.getAlgorithm();
        boolean fits = keyType.equals(algorithm) || (algorithm.equals("RSA") && keyType.equals("RSASSA-PSS"))
                || (algorithm.startsWith("Ed") && keyType.startsWith("Ed"));
        return fits ? pair.alias : null;
    }

    private Pair named(String alias) {
        Pair pair = current;
        if (pair.alias.equals(alias)) {
            return pair;
        }
        Pair before = previous;
        return before != null && before.alias.equals(alias) ? before : null;
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
        Pair pair = named(alias);
        return pair == null ? null : pair.chain.clone();
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
        Pair pair = named(alias);
        return pair == null ? null : pair.key;
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
        String alias = choose(keyType);
        return alias == null ? null : new String[] {alias};
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
        return new String[0];
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
        return null;
    }

    /** The time the certificate stops being valid, for the start-up line. */
    public Date notAfter() {
        return current.chain[0].getNotAfter();
    }
}
