package dev.tollgate.providers.upstream;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * PEM files as operators have them: CA bundles (many certificates), certificate chains, and private
 * keys in PKCS#8 ({@code BEGIN PRIVATE KEY}) or PKCS#1 ({@code BEGIN RSA PRIVATE KEY}). Every failure
 * is an {@link IllegalArgumentException} naming the file and what to do; a key's content never appears.
 */
public final class Pem {

    // The body may carry RFC 1421 headers (OpenSSL's legacy "Proc-Type: 4,ENCRYPTED"), which hold dashes.
    private static final Pattern BLOCK = Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \\1-----", Pattern.DOTALL);
    /** rsaEncryption's AlgorithmIdentifier, to wrap a PKCS#1 key as PKCS#8. */
    private static final byte[] RSA_ALGORITHM = {0x30, 0x0d, 0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00};

    private Pem() {
    }

    /** Every certificate in a PEM file; at least one. */
    public static List<X509Certificate> certificates(Path file) {
        String text = read(file, "certificate file");
        List<X509Certificate> out = new ArrayList<>();
        try {
            CertificateFactory factory = CertificateFactory.getInstance("X.509");
            Matcher m = BLOCK.matcher(text);
            while (m.find()) {
                if (m.group(1).equals("CERTIFICATE")) {
                    out.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(decode(m.group(2), file))));
                }
            }
        } catch (CertificateException e) {
            throw new IllegalArgumentException(file + " holds a certificate that does not parse (" + e.getMessage() + ")");
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException(file + " holds no PEM certificate (expected -----BEGIN CERTIFICATE----- blocks)");
        }
        return List.copyOf(out);
    }

    /**
     * The private key in PEM text.
     *
     * @param where names the key's source in errors (a file path or a reference), never its content
     */
    public static PrivateKey privateKey(String text, String where) {
        Matcher m = BLOCK.matcher(text);
        while (m.find()) {
            String type = m.group(1);
            switch (type) {
                case "PRIVATE KEY" -> {
                    return pkcs8(decode(m.group(2), where), where);
                }
                case "RSA PRIVATE KEY" -> {
                    if (m.group(2).contains("ENCRYPTED")) {
                        throw encrypted(where);
                    }
                    return pkcs8(wrapRsa(decode(m.group(2), where)), where);
                }
                case "ENCRYPTED PRIVATE KEY" -> throw encrypted(where);
                case "EC PRIVATE KEY" -> throw new IllegalArgumentException(where + " holds an " + type
                        + ", which the gateway does not read; convert it with: openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY.pk8.pem");
                default -> {
                    // a certificate in the same file: skip it
                }
            }
        }
        throw new IllegalArgumentException(where + " holds no PEM private key (expected -----BEGIN PRIVATE KEY-----)");
    }

    /** No passphrase setting: a key at rest is protected by its file's permissions or the secret store instead. */
    private static IllegalArgumentException encrypted(String where) {
        return new IllegalArgumentException(where + " holds an encrypted private key, which the gateway does not read (it takes no"
                + " passphrase); decrypt it with: openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY.pk8.pem, and protect the file instead");
    }

    private static PrivateKey pkcs8(byte[] der, String where) {
        PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(der);
        for (String algorithm : List.of("RSA", "EC", "Ed25519", "Ed448")) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(spec);
            } catch (GeneralSecurityException e) {
                // try the next algorithm
            }
        }
        throw new IllegalArgumentException(where + " holds a private key that does not parse as RSA, EC or EdDSA");
    }

    /** PKCS#8 = SEQUENCE { INTEGER 0, AlgorithmIdentifier, OCTET STRING pkcs1 }. */
    private static byte[] wrapRsa(byte[] pkcs1) {
        byte[] octets = der(0x04, pkcs1);
        byte[] body = new byte[3 + RSA_ALGORITHM.length + octets.length];
        body[0] = 0x02;
        body[1] = 0x01;
        body[2] = 0x00;
        System.arraycopy(RSA_ALGORITHM, 0, body, 3, RSA_ALGORITHM.length);
        System.arraycopy(octets, 0, body, 3 + RSA_ALGORITHM.length, octets.length);
        return der(0x30, body);
    }

    private static byte[] der(int tag, byte[] content) {
        int n = content.length;
        byte[] length = n < 0x80 ? new byte[] {(byte) n}
                : n < 0x100 ? new byte[] {(byte) 0x81, (byte) n}
                : n < 0x10000 ? new byte[] {(byte) 0x82, (byte) (n >> 8), (byte) n}
                : new byte[] {(byte) 0x83, (byte) (n >> 16), (byte) (n >> 8), (byte) n};
        byte[] out = new byte[1 + length.length + n];
        out[0] = (byte) tag;
        System.arraycopy(length, 0, out, 1, length.length);
        System.arraycopy(content, 0, out, 1 + length.length, n);
        return out;
    }

    private static byte[] decode(String base64, Object where) {
        try {
            return Base64.getMimeDecoder().decode(base64.getBytes(StandardCharsets.US_ASCII));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + " holds a PEM block that is not valid base64");
        }
    }

    static String read(Path file, String what) {
        try {
            return Files.readString(file, StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read the " + what + " " + file + " (" + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")");
        }
    }
}
