package dev.tollgate.server.audit;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HexFormat;

/**
 * Names the key that signed a commit from its raw signature (SSH or OpenPGP), for the audit trail.
 * It does not verify the signature: that needs the signers' keys, which the gateway does not hold;
 * the key named here is what an auditor checks against the allowed signers.
 */
public final class Signatures {

    private Signatures() {
    }

    public static String describe(byte[] raw) {
        String text = new String(raw, StandardCharsets.US_ASCII);
        try {
            if (text.contains("BEGIN SSH SIGNATURE")) {
                return "ssh " + sshFingerprint(armored(text));
            }
            if (text.contains("BEGIN PGP SIGNATURE")) {
                return "openpgp " + pgpIssuer(armored(text));
            }
            if (text.contains("BEGIN SIGNED MESSAGE")) {
                return "x509 (gpgsm)";
            }
        } catch (RuntimeException e) {
            return "signed (unreadable signature)";
        }
        return "signed (unknown format)";
    }

    private static byte[] armored(String text) {
        StringBuilder b64 = new StringBuilder();
        boolean in = false;
        for (String line : text.split("\n")) {
            String l = line.strip();
            if (l.startsWith("-----BEGIN")) {
                in = true;
            } else if (l.startsWith("-----END")) {
                break;
            } else if (in && !l.isEmpty() && !l.contains(":") && !l.startsWith("=")) {
                b64.append(l);
            }
        }
        return Base64.getDecoder().decode(b64.toString());
    }

    /** SSHSIG blob: magic, version, then the public key; its fingerprint as ssh-keygen prints it. */
    private static String sshFingerprint(byte[] blob) {
        ByteBuffer in = ByteBuffer.wrap(blob);
        in.position(6); // "SSHSIG"
        in.getInt(); // version
        byte[] key = new byte[in.getInt()];
        in.get(key);
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(key);
            return "SHA256:" + Base64.getEncoder().withoutPadding().encodeToString(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The issuer fingerprint (subpacket 33) or key id (16) of a v4 signature packet. */
    private static String pgpIssuer(byte[] packet) {
        int pos = 0;
        int tag = packet[pos++] & 0xff;
        if ((tag & 0x40) != 0) { // new format length
            int first = packet[pos++] & 0xff;
            pos += first < 192 ? 0 : first < 224 ? 1 : 4;
        } else {
            int lenType = tag & 0x03;
            pos += lenType == 0 ? 1 : lenType == 1 ? 2 : lenType == 2 ? 4 : 0;
        }
        int version = packet[pos++];
        if (version != 4 && version != 5) {
            return "(signature v" + version + ")";
        }
        pos += 3; // type, public-key algorithm, hash algorithm
        for (int area = 0; area < 2; area++) {
            int len = ((packet[pos] & 0xff) << 8) | (packet[pos + 1] & 0xff);
            pos += 2;
            int end = pos + len;
            while (pos < end) {
                int sublen = packet[pos++] & 0xff;
                if (sublen >= 192 && sublen < 255) {
                    sublen = ((sublen - 192) << 8) + (packet[pos++] & 0xff) + 192;
                } else if (sublen == 255) {
                    sublen = ByteBuffer.wrap(packet, pos, 4).getInt();
                    pos += 4;
                }
                int type = packet[pos] & 0x7f;
                if (type == 33) {
                    return "fingerprint " + HexFormat.of().withUpperCase().formatHex(packet, pos + 2, pos + sublen);
                }
                if (type == 16) {
                    return "key " + HexFormat.of().withUpperCase().formatHex(packet, pos + 1, pos + sublen);
                }
                pos += sublen;
            }
        }
        return "(no issuer)";
    }
}
