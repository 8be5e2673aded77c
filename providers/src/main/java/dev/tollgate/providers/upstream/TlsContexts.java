package dev.tollgate.providers.upstream;

import dev.tollgate.policy.Provider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * The TLS set-up per provider: the JDK's trusted CAs, plus the gateway-wide bundle, plus the
 * provider's own; its client certificate for mutual TLS. Built on first use and again when one of
 * its files changed (certificates rotate), checked at most every few seconds. Never a trust-all
 * manager: a set-up that cannot be built fails the connection.
 */
final class TlsContexts {

    private static final long RECHECK_NANOS = 5_000_000_000L;

    private final List<Path> globalBundles;
    private final List<X509Certificate> globalCas;
    private final SSLSocketFactory defaults;
    private final Map<Provider.Tls, Entry> built = new ConcurrentHashMap<>();

    private record Entry(SSLSocketFactory factory, List<Object> stamps, long checkedAt) {
    }

    /** @param globalBundles PEM files trusted for every provider; each must parse (checked here, at start) */
    TlsContexts(List<Path> globalBundles) {
        this.globalBundles = List.copyOf(globalBundles);
        List<X509Certificate> cas = new ArrayList<>();
        globalBundles.forEach(p -> cas.addAll(Pem.certificates(p)));
        this.globalCas = List.copyOf(cas);
        // Built, not the JDK's default factory, so that a server asking for a client certificate is noticed here too.
        this.defaults = build(Provider.Tls.NONE).factory();
    }

    /** @throws IllegalArgumentException naming the file that cannot be used */
    SSLSocketFactory factory(Provider.Tls tls) {
        if (tls.equals(Provider.Tls.NONE)) {
            return defaults;
        }
        Entry e = built.get(tls);
        long now = System.nanoTime();
        if (e != null && (now - e.checkedAt < RECHECK_NANOS || stamps(tls).equals(e.stamps))) {
            if (now - e.checkedAt >= RECHECK_NANOS) {
                built.put(tls, new Entry(e.factory, e.stamps, now));
            }
            return e.factory;
        }
        Entry fresh = build(tls);
        built.put(tls, fresh);
        return fresh.factory;
    }

    private Entry build(Provider.Tls tls) {
        List<Object> stamps = stamps(tls);
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            KeyManager[] keys = keyManagers(tls);
            context.init(new KeyManager[] {new NoticingKeyManager(keys == null ? null : (javax.net.ssl.X509KeyManager) keys[0])},
                    trustManagers(tls), null);
            return new Entry(context.getSocketFactory(), stamps, System.nanoTime());
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot set up TLS (" + e.getMessage() + ")");
        }
    }

    private TrustManager[] trustManagers(Provider.Tls tls) throws GeneralSecurityException {
        List<X509Certificate> extra = new ArrayList<>(globalCas);
        tls.caBundle().ifPresent(p -> extra.addAll(Pem.certificates(p)));
        if (extra.isEmpty()) {
            return null; // the JDK's own
        }
        // The JDK's defaults, then the private CAs, in one store: a server is trusted if any of them signed it.
        TrustManagerFactory jdk = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        jdk.init((KeyStore) null);
        KeyStore store = KeyStore.getInstance("PKCS12");
        try {
            store.load(null, null);
        } catch (java.io.IOException e) {
            throw new GeneralSecurityException(e);
        }
        int i = 0;
        for (TrustManager m : jdk.getTrustManagers()) {
            if (m instanceof X509TrustManager x) {
                for (X509Certificate c : x.getAcceptedIssuers()) {
                    store.setCertificateEntry("jdk-" + i++, c);
                }
            }
        }
        for (X509Certificate c : extra) {
            store.setCertificateEntry("private-" + i++, c);
        }
        TrustManagerFactory all = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        all.init(store);
        return all.getTrustManagers();
    }

    private static KeyManager[] keyManagers(Provider.Tls tls) throws GeneralSecurityException {
        if (tls.clientCert().isEmpty() || tls.clientKey().isEmpty()) {
            return null;
        }
        List<X509Certificate> chain = Pem.certificates(tls.clientCert().get());
        String ref = tls.clientKey().get().toString();
        String pem = Secrets.resolve(tls.clientKey().get())
                .orElseThrow(() -> new IllegalArgumentException("the client key " + ref + " is empty or cannot be read"));
        PrivateKey key = Pem.privateKey(pem, "the client key " + ref);
        return keyManagers(chain, key, tls.clientCert().get() + " and " + ref);
    }

    /** Key managers presenting one certificate chain; the key must belong to its first certificate. */
    static KeyManager[] keyManagers(List<X509Certificate> chain, PrivateKey key, String where) throws GeneralSecurityException {
        if (!matches(chain.getFirst(), key)) {
            throw new IllegalArgumentException(where + " do not match: the key is not the certificate's");
        }
        KeyStore store = KeyStore.getInstance("PKCS12");
        char[] none = new char[0];
        try {
            store.load(null, null);
        } catch (java.io.IOException e) {
            throw new GeneralSecurityException(e);
        }
        store.setKeyEntry("client", key, none, chain.toArray(X509Certificate[]::new));
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(store, none);
        return kmf.getKeyManagers();
    }

    /** Signs a nonce with the key and verifies it with the certificate's public key. */
    static boolean matches(X509Certificate cert, PrivateKey key) {
        String algorithm = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            default -> key.getAlgorithm(); // Ed25519, Ed448
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

    private static final String CERTIFICATE_WANTED = "tollgate.client-certificate-wanted";

    /**
     * Whether the server of this connection asked for a client certificate and got none. In TLS 1.3 the
     * server judges the client's certificate after the client's handshake is over, so its refusal may
     * arrive as a broken pipe on the first write instead of an alert; this says what it was.
     */
    static boolean certificateWantedAndMissing(java.net.Socket socket) {
        return socket instanceof javax.net.ssl.SSLSocket tls && Boolean.TRUE.equals(tls.getSession().getValue(CERTIFICATE_WANTED));
    }

    /** Presents the provider's client certificate, if any, and notes on the handshake when a server wanted one it did not get. */
    private static final class NoticingKeyManager extends javax.net.ssl.X509ExtendedKeyManager {
        private final javax.net.ssl.X509KeyManager delegate;

        NoticingKeyManager(javax.net.ssl.X509KeyManager delegate) {
            this.delegate = delegate;
        }

        @Override
        public String chooseClientAlias(String[] keyType, java.security.Principal[] issuers, java.net.Socket socket) {
            String alias = delegate == null ? null : delegate.chooseClientAlias(keyType, issuers, socket);
            if (alias == null && socket instanceof javax.net.ssl.SSLSocket tls && tls.getHandshakeSession() != null) {
                tls.getHandshakeSession().putValue(CERTIFICATE_WANTED, Boolean.TRUE);
            }
            return alias;
        }

        @Override
        public String[] getClientAliases(String keyType, java.security.Principal[] issuers) {
            return delegate == null ? null : delegate.getClientAliases(keyType, issuers);
        }

        @Override
        public X509Certificate[] getCertificateChain(String alias) {
            return delegate == null ? null : delegate.getCertificateChain(alias);
        }

        @Override
        public PrivateKey getPrivateKey(String alias) {
            return delegate == null ? null : delegate.getPrivateKey(alias);
        }

        @Override
        public String[] getServerAliases(String keyType, java.security.Principal[] issuers) {
            return null;
        }

        @Override
        public String chooseServerAlias(String keyType, java.security.Principal[] issuers, java.net.Socket socket) {
            return null;
        }
    }

    /** What the set-up was built from: each file's time and size, so a rotated file is noticed. */
    private List<Object> stamps(Provider.Tls tls) {
        List<Object> out = new ArrayList<>();
        for (Optional<Path> p : List.of(tls.caBundle(), tls.clientCert())) {
            p.ifPresent(f -> out.add(stamp(f)));
        }
        tls.clientKey().filter(k -> k.scheme() == dev.tollgate.policy.SecretRef.Scheme.FILE)
                .ifPresent(k -> out.add(stamp(Path.of(k.location()))));
        return out;
    }

    private static Object stamp(Path file) {
        try {
            return List.of(Files.getLastModifiedTime(file).toMillis(), Files.size(file));
        } catch (java.io.IOException e) {
            return "missing";
        }
    }

    List<Path> globalBundles() {
        return globalBundles;
    }
}
