package dev.tollgate.sim;

import io.helidon.common.configurable.Resource;
import io.helidon.common.pki.Keys;
import io.helidon.common.tls.Tls;
import io.helidon.common.tls.TlsClientAuth;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * HTTPS for the simulator, as an internal model server behind a private CA would have it: a PEM
 * certificate chain and key, and optionally a CA whose client certificates it requires (mutual TLS).
 *
 * @param cert     PEM certificate chain
 * @param key      PEM private key
 * @param clientCa when present, a client certificate signed by this CA is required
 */
public record SimTls(Path cert, Path key, Optional<Path> clientCa) {

    static final String USAGE = """
              --tls-cert PEM    serve HTTPS with this certificate chain (env SIM_TLS_CERT; needs --tls-key)
              --tls-key PEM     the certificate's private key (env SIM_TLS_KEY)
              --tls-client-ca PEM  require client certificates signed by this CA: mutual TLS (env SIM_TLS_CLIENT_CA)
            """;

    Tls tls() {
        Keys keys = Keys.builder().pem(p -> p.key(Resource.create(key)).certChain(Resource.create(cert))).build();
        io.helidon.common.tls.TlsConfig.Builder b = Tls.builder().privateKey(keys).privateKeyCertChain(keys);
        clientCa.ifPresent(ca -> b.trust(t -> t.pem(p -> p.certificates(Resource.create(ca)))).clientAuth(TlsClientAuth.REQUIRED));
        return b.build();
    }

    /**
     * Takes the TLS flags out of the arguments (the rest go to {@link SimOptions#parse}).
     *
     * @param rest receives the other arguments
     */
    static Optional<SimTls> parse(String[] args, Map<String, String> env, List<String> rest) {
        String cert = env.get("SIM_TLS_CERT");
        String key = env.get("SIM_TLS_KEY");
        String ca = env.get("SIM_TLS_CLIENT_CA");
        List<String> in = new ArrayList<>(List.of(args));
        for (int i = 0; i < in.size(); i++) {
            String a = in.get(i);
            String name = a.contains("=") ? a.substring(0, a.indexOf('=')) : a;
            if (!name.equals("--tls-cert") && !name.equals("--tls-key") && !name.equals("--tls-client-ca")) {
                rest.add(a);
                continue;
            }
            String value;
            if (a.contains("=")) {
                value = a.substring(a.indexOf('=') + 1);
            } else if (i + 1 < in.size()) {
                value = in.get(++i);
            } else {
                throw new IllegalArgumentException("missing value for " + name);
            }
            switch (name) {
                case "--tls-cert" -> cert = value;
                case "--tls-key" -> key = value;
                default -> ca = value;
            }
        }
        boolean none = (cert == null || cert.isBlank()) && (key == null || key.isBlank());
        if (none) {
            if (ca != null && !ca.isBlank()) {
                throw new IllegalArgumentException("--tls-client-ca needs --tls-cert and --tls-key");
            }
            return Optional.empty();
        }
        if (cert == null || cert.isBlank() || key == null || key.isBlank()) {
            throw new IllegalArgumentException("HTTPS needs both --tls-cert and --tls-key");
        }
        return Optional.of(new SimTls(Path.of(cert), Path.of(key), Optional.ofNullable(ca).filter(s -> !s.isBlank()).map(Path::of)));
    }
}
