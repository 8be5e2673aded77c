package dev.tollgate.providers.upstream;

import java.security.cert.CertPathBuilderException;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.util.Locale;

/** A failed TLS handshake in words an operator can act on; the JDK's own reason kept at the end. */
final class TlsFailure {

    private TlsFailure() {
    }

    static String explain(Throwable e) {
        // The JDK's reason, without the class names it embeds ("sun.security...SunCertPathBuilderException: ").
        String jdk = e.getMessage() == null ? "handshake failed" : e.getMessage().replaceAll("[A-Za-z0-9_$.]+(Exception|Error): ", "");
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof CertificateExpiredException) {
                return "the upstream's certificate has expired (" + jdk + ")";
            }
            if (t instanceof CertificateNotYetValidException) {
                return "the upstream's certificate is not valid yet (" + jdk + ")";
            }
            if (t instanceof CertPathValidatorException v && v.getReason() == CertPathValidatorException.BasicReason.EXPIRED) {
                return "the upstream's certificate has expired (" + jdk + ")";
            }
            if (t instanceof CertPathBuilderException) {
                return "the upstream's certificate is not signed by a trusted CA; add the CA's PEM to the provider's tls.ca_bundle"
                        + " or TOLLGATE_UPSTREAM_CA_BUNDLE (" + jdk + ")";
            }
            String m = t.getMessage() == null ? "" : t.getMessage().toLowerCase(Locale.ROOT);
            if (m.contains("no subject alternative") || m.contains("no name matching")) {
                return "the upstream's certificate does not name the host of the provider's base_url (" + jdk + ")";
            }
            if (m.contains("certificate_required") || m.contains("bad_certificate") || m.contains("unknown_ca")
                    || m.contains("access_denied")) {
                return "the upstream refused the gateway's client certificate, or wants one; check the provider's tls.client_cert"
                        + " and tls.client_key (" + jdk + ")";
            }
        }
        return jdk;
    }
}
