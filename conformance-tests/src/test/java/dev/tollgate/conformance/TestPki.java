package dev.tollgate.conformance;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** A test CA and the certificates it signs, written as PEM files, made fresh for each run. */
final class TestPki {

    private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());

    /** A certificate and its key on disk. */
    record Issued(X509Certificate cert, KeyPair keys, Path certFile, Path keyFile) {
    }

    private TestPki() {
    }

    /** A self-signed CA. */
    static Issued ca(Path dir, String name) throws Exception {
        KeyPair keys = rsa();
        X500Name subject = new X500Name("CN=" + name);
        Instant now = Instant.now();
        JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(subject, BigInteger.valueOf(SERIAL.incrementAndGet()),
                Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(Duration.ofDays(2))), subject, keys.getPublic());
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        return write(dir, name, sign(b, keys), keys);
    }

    /** A leaf certificate for 127.0.0.1 and localhost, signed by {@code ca}, valid from {@code from} to {@code until}. */
    static Issued leaf(Path dir, String name, Issued ca, Instant from, Instant until) throws Exception {
        return leaf(dir, name, ca, from, until, new GeneralName(GeneralName.iPAddress, "127.0.0.1"), new GeneralName(GeneralName.dNSName, "localhost"));
    }

    /** A leaf certificate naming only {@code dnsName}, valid now for a day: for the wrong host when reached at 127.0.0.1. */
    static Issued leafNaming(Path dir, String name, Issued ca, String dnsName) throws Exception {
        Instant now = Instant.now();
        return leaf(dir, name, ca, now.minus(Duration.ofHours(1)), now.plus(Duration.ofDays(1)), new GeneralName(GeneralName.dNSName, dnsName));
    }

    private static Issued leaf(Path dir, String name, Issued ca, Instant from, Instant until, GeneralName... names) throws Exception {
        KeyPair keys = rsa();
        JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(ca.cert(), BigInteger.valueOf(SERIAL.incrementAndGet()),
                Date.from(from), Date.from(until), new X500Name("CN=" + name), keys.getPublic());
        b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names));
        return write(dir, name, sign(b, ca.keys()), keys);
    }

    /** Valid now for a day. */
    static Issued leaf(Path dir, String name, Issued ca) throws Exception {
        Instant now = Instant.now();
        return leaf(dir, name, ca, now.minus(Duration.ofHours(1)), now.plus(Duration.ofDays(1)));
    }

    private static KeyPair rsa() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        return g.generateKeyPair();
    }

    private static X509Certificate sign(JcaX509v3CertificateBuilder b, KeyPair signer) throws Exception {
        return new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder("SHA256withRSA").build(signer.getPrivate())));
    }

    private static Issued write(Path dir, String name, X509Certificate cert, KeyPair keys) throws IOException {
        Path certFile = dir.resolve(name + ".crt.pem");
        Path keyFile = dir.resolve(name + ".key.pem");
        Files.writeString(certFile, pem(cert));
        // PKCS#8 ("BEGIN PRIVATE KEY"), what openssl writes today
        Files.writeString(keyFile, pem(new org.bouncycastle.openssl.jcajce.JcaPKCS8Generator(keys.getPrivate(), null)));
        return new Issued(cert, keys, certFile, keyFile);
    }

    static String pem(Object o) throws IOException {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(out)) {
            w.writeObject(o);
        }
        return out.toString();
    }
}
