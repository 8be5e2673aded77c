package dev.tollgate.policy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Checks that a file the policy names holds PEM certificates, when the policy loads. */
final class PemCertificates {

    private static final Pattern BLOCK = Pattern.compile("-----BEGIN CERTIFICATE-----([^-]*)-----END CERTIFICATE-----");

    private PemCertificates() {
    }

    /** What is wrong with the file, or null when it holds at least one certificate and all parse. */
    static String problem(Path file, String what) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            return "cannot read the " + what + " " + file + " (" + e.getClass().getSimpleName() + ")";
        }
        Matcher m = BLOCK.matcher(text);
        int found = 0;
        try {
            CertificateFactory factory = CertificateFactory.getInstance("X.509");
            while (m.find()) {
                factory.generateCertificate(new ByteArrayInputStream(java.util.Base64.getMimeDecoder().decode(m.group(1))));
                found++;
            }
        } catch (CertificateException | IllegalArgumentException e) {
            return "the " + what + " " + file + " holds a certificate that does not parse (" + e.getMessage() + ")";
        }
        return found == 0 ? "the " + what + " " + file + " holds no PEM certificate (expected -----BEGIN CERTIFICATE----- blocks)" : null;
    }
}
