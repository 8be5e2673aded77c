package dev.tollgate.server.settings;

import dev.tollgate.policy.SecretRef;
import dev.tollgate.providers.upstream.EgressProxy;
import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * HTTPS on the gateway's listener and the way out to providers, read from the same sources as
 * {@link ServerSettings} (flag over environment over file):
 *
 * <pre>
 * key                         env                            flag
 * tollgate.tls.cert           TOLLGATE_TLS_CERT              --tls-cert  (PEM chain for the listener; with tls.key turns HTTPS on)
 * tollgate.tls.key            TOLLGATE_TLS_KEY               --tls-key   (PEM private key, PKCS#8 or PKCS#1)
 * tollgate.upstream.ca.bundle TOLLGATE_UPSTREAM_CA_BUNDLE    (PEM files of private CAs for every provider, comma-separated)
 * tollgate.proxy.url          TOLLGATE_PROXY_URL             (else HTTPS_PROXY for https upstreams, HTTP_PROXY for http ones)
 * tollgate.no.proxy           TOLLGATE_NO_PROXY              (else NO_PROXY: hosts reached directly, comma-separated)
 * tollgate.proxy.user         TOLLGATE_PROXY_USER            (Basic proxy authentication; or the user in the URL)
 * tollgate.proxy.password     TOLLGATE_PROXY_PASSWORD        (env:NAME or file:PATH, never the password itself)
 * tollgate.proxy.loopback     TOLLGATE_PROXY_LOOPBACK        (true: loopback upstreams go through the proxy too; default false)
 * </pre>
 */
public record TlsSettings(Optional<Path> cert, Optional<Path> key, List<Path> caBundles, EgressProxy proxy) {

    public static final Map<String, String> FLAGS = Map.of(
            "--tls-cert", "tollgate.tls.cert",
            "--tls-key", "tollgate.tls.key");

    public TlsSettings {
        caBundles = List.copyOf(caBundles);
        if (cert.isPresent() != key.isPresent()) {
            throw new IllegalArgumentException("HTTPS on the listener needs both tollgate.tls.cert (TOLLGATE_TLS_CERT) and tollgate.tls.key (TOLLGATE_TLS_KEY)");
        }
    }

    /** Plain HTTP, direct connections, the JDK's CAs. */
    public static TlsSettings none() {
        return new TlsSettings(Optional.empty(), Optional.empty(), List.of(), EgressProxy.NONE);
    }

    public boolean https() {
        return cert.isPresent();
    }

    /**
     * @param env the process environment, for HTTPS_PROXY, HTTP_PROXY and NO_PROXY (either case)
     * @throws IllegalArgumentException saying which setting is wrong
     */
    public static TlsSettings load(Map<String, String> flags, Path configFile, Map<String, String> env) {
        List<Supplier<? extends io.helidon.config.spi.ConfigSource>> sources = new ArrayList<>();
        sources.add(ConfigSources.create(flags));
        sources.add(ConfigSources.create(translate(env)));
        if (configFile != null) {
            sources.add(ConfigSources.file(configFile));
        }
        Config config = Config.builder().sources(sources).disableSystemPropertiesSource().disableEnvironmentVariablesSource()
                .build().get("tollgate");
        Optional<Path> cert = path(config.get("tls.cert"));
        Optional<Path> key = path(config.get("tls.key"));
        List<Path> bundles = config.get("upstream.ca.bundle").asString().asOptional().stream()
                .flatMap(v -> Arrays.stream(v.split(","))).map(String::trim).filter(s -> !s.isEmpty()).map(Path::of).toList();
        Optional<String> url = text(config.get("proxy.url"));
        Optional<EgressProxy.Parsed> https = url.or(() -> either(env, "HTTPS_PROXY")).map(u -> EgressProxy.parse(u,
                url.isPresent() ? "tollgate.proxy.url" : "HTTPS_PROXY"));
        Optional<EgressProxy.Parsed> http = url.or(() -> either(env, "HTTP_PROXY")).map(u -> EgressProxy.parse(u,
                url.isPresent() ? "tollgate.proxy.url" : "HTTP_PROXY"));
        List<String> noProxy = text(config.get("no.proxy")).or(() -> either(env, "NO_PROXY")).stream()
                .flatMap(v -> Arrays.stream(v.split(","))).toList();
        Optional<String> user = text(config.get("proxy.user")).or(() -> https.flatMap(EgressProxy.Parsed::user))
                .or(() -> http.flatMap(EgressProxy.Parsed::user));
        Optional<SecretRef> password = text(config.get("proxy.password")).map(v -> {
            try {
                return SecretRef.parse(v);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("tollgate.proxy.password (TOLLGATE_PROXY_PASSWORD) must be env:NAME or file:PATH, "
                        + "never the password itself");
            }
        });
        if (user.isPresent() && password.isEmpty()) {
            throw new IllegalArgumentException("the proxy user '" + user.get() + "' has no password: set TOLLGATE_PROXY_PASSWORD=file:/path or env:NAME");
        }
        if (password.isPresent() && user.isEmpty()) {
            throw new IllegalArgumentException("tollgate.proxy.password is set but no proxy user: set TOLLGATE_PROXY_USER or put the user in the proxy URL");
        }
        boolean loopback = config.get("proxy.loopback").asBoolean().orElse(false);
        EgressProxy proxy = new EgressProxy(https.map(EgressProxy.Parsed::endpoint), http.map(EgressProxy.Parsed::endpoint), noProxy,
                user, password, loopback);
        return new TlsSettings(cert, key, bundles, proxy);
    }

    /** TOLLGATE_TLS_CERT -> tollgate.tls.cert: the keys here have no underscores, so the mapping is plain. */
    private static Map<String, String> translate(Map<String, String> env) {
        Map<String, String> out = new java.util.HashMap<>();
        env.forEach((k, v) -> {
            if (k.startsWith("TOLLGATE_")) {
                out.put(k.toLowerCase(java.util.Locale.ROOT).replace('_', '.'), v);
            }
        });
        return out;
    }

    private static Optional<String> either(Map<String, String> env, String name) {
        return Optional.ofNullable(env.get(name)).or(() -> Optional.ofNullable(env.get(name.toLowerCase(java.util.Locale.ROOT))))
                .filter(v -> !v.isBlank());
    }

    private static Optional<String> text(Config c) {
        return c.asString().asOptional().map(String::trim).filter(v -> !v.isEmpty());
    }

    private static Optional<Path> path(Config c) {
        return text(c).map(Path::of);
    }
}
