package dev.tollgate.providers.upstream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.util.Base64;
import org.bouncycastle.openssl.PKCS8Generator;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8EncryptorBuilder;
import org.bouncycastle.openssl.jcajce.JcePEMEncryptorBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Keys and bundles in the PEM forms openssl, cert-manager and Vault write. */
class PemTest {

    private static final java.security.Provider BC = new org.bouncycastle.jce.provider.BouncyCastleProvider();

    @TempDir
    Path dir;

    @Test
    void readsPkcs8KeysOfEachAlgorithm() throws Exception {
        for (String algorithm : new String[] {"RSA", "EC"}) {
            KeyPair keys = TestCerts.keys(algorithm);
            String pem = TestCerts.pem(new JcaPKCS8Generator(keys.getPrivate(), null));
            assertTrue(pem.startsWith("-----BEGIN PRIVATE KEY-----"), pem);
            PrivateKey read = Pem.privateKey(pem, "test key");
            assertEquals(algorithm, read.getAlgorithm());
            assertArrayEquals(keys.getPrivate().getEncoded(), read.getEncoded());
        }
    }

    @Test
    void readsAPkcs1RsaKeyAsOlderOpensslWritesIt() throws Exception {
        KeyPair keys = TestCerts.keys("RSA");
        String pem = TestCerts.pem(keys.getPrivate()); // the traditional form
        assertTrue(pem.startsWith("-----BEGIN RSA PRIVATE KEY-----"), pem);
        PrivateKey read = Pem.privateKey(pem, "test key");
        assertArrayEquals(keys.getPrivate().getEncoded(), read.getEncoded());
    }

    @Test
    void findsTheKeyAfterTheCertificateInOneFile() throws Exception {
        TestCerts.Issued ca = TestCerts.ca("ca");
        KeyPair keys = TestCerts.keys("EC");
        TestCerts.Issued leaf = TestCerts.leaf(ca, keys, "internal.example");
        String combined = TestCerts.pem(leaf.cert()) + TestCerts.pem(new JcaPKCS8Generator(keys.getPrivate(), null));
        assertArrayEquals(keys.getPrivate().getEncoded(), Pem.privateKey(combined, "combined").getEncoded());
        Path file = Files.writeString(dir.resolve("chain.pem"), combined + TestCerts.pem(ca.cert()));
        assertEquals(2, Pem.certificates(file).size(), "the key block between them is skipped");
    }

    @Test
    void refusesAnEncryptedPkcs8KeySayingHowToDecryptIt() throws Exception {
        KeyPair keys = TestCerts.keys("RSA");
        String pem = TestCerts.pem(new JcaPKCS8Generator(keys.getPrivate(),
                new JceOpenSSLPKCS8EncryptorBuilder(PKCS8Generator.AES_256_CBC).setProvider(BC).setPassword("pw".toCharArray()).build()));
        assertTrue(pem.startsWith("-----BEGIN ENCRYPTED PRIVATE KEY-----"), pem);
        assertRefusedAsEncrypted(pem);
    }

    /** OpenSSL's legacy encryption keeps the RSA label and adds Proc-Type and DEK-Info headers. */
    @Test
    void refusesALegacyEncryptedRsaKeyAsEncryptedNotAsMissing() throws Exception {
        KeyPair keys = TestCerts.keys("RSA");
        StringBuilder pem = new StringBuilder();
        try (org.bouncycastle.openssl.jcajce.JcaPEMWriter w = new org.bouncycastle.openssl.jcajce.JcaPEMWriter(new java.io.Writer() {
            @Override
            public void write(char[] c, int off, int len) {
                pem.append(c, off, len);
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        })) {
            w.writeObject(keys.getPrivate(), new JcePEMEncryptorBuilder("AES-256-CBC").setProvider(BC).build("pw".toCharArray()));
        }
        assertTrue(pem.toString().contains("Proc-Type: 4,ENCRYPTED"), pem.toString());
        assertRefusedAsEncrypted(pem.toString());
    }

    @Test
    void refusesAnSec1EcKeyWithTheConversionToUse() throws Exception {
        String pem = TestCerts.pem(TestCerts.keys("EC").getPrivate());
        assertTrue(pem.startsWith("-----BEGIN EC PRIVATE KEY-----"), pem);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Pem.privateKey(pem, "the client key file:/k.pem"));
        assertTrue(e.getMessage().contains("the client key file:/k.pem") && e.getMessage().contains("openssl pkcs8 -topk8"), e.getMessage());
    }

    @Test
    void aBundleWithoutCertificatesOrWithABrokenOneNamesTheFile() throws Exception {
        Path empty = Files.writeString(dir.resolve("empty.pem"), "# nothing here\n");
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class, () -> Pem.certificates(empty));
        assertTrue(none.getMessage().contains(empty.toString()) && none.getMessage().contains("no PEM certificate"), none.getMessage());
        Path broken = Files.writeString(dir.resolve("broken.pem"), "-----BEGIN CERTIFICATE-----\n"
                + Base64.getEncoder().encodeToString("not a certificate".getBytes()) + "\n-----END CERTIFICATE-----\n");
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> Pem.certificates(broken));
        assertTrue(bad.getMessage().contains(broken.toString()) && bad.getMessage().contains("does not parse"), bad.getMessage());
        Path missing = dir.resolve("missing.pem");
        IllegalArgumentException gone = assertThrows(IllegalArgumentException.class, () -> Pem.certificates(missing));
        assertTrue(gone.getMessage().contains("cannot read") && gone.getMessage().contains(missing.toString()), gone.getMessage());
    }

    private static void assertRefusedAsEncrypted(String pem) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Pem.privateKey(pem, "the client key file:/k.pem"));
        String m = e.getMessage();
        assertTrue(m.contains("the client key file:/k.pem") && m.contains("encrypted") && m.contains("openssl"), m);
        String body = pem.lines().filter(l -> !l.startsWith("-----") && !l.contains(":") && !l.isBlank()).findFirst().orElseThrow();
        assertFalse(m.contains(body), "no key material in the message: " + m);
    }
}
