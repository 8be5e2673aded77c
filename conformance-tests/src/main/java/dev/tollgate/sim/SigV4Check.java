package dev.tollgate.sim;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerRequest;

/**
 * Checks an AWS SigV4 {@code Authorization} header the way Bedrock does, against the one test key
 * the simulator was given ({@code SIM_AWS_ACCESS_KEY_ID}, {@code SIM_AWS_SECRET_ACCESS_KEY}): the
 * canonical request is rebuilt from what arrived on the wire, the path segments encoded once more
 * (every AWS service but S3 signs the double-encoded path).
 */
final class SigV4Check {
    private static final Pattern AUTH = Pattern.compile(
            "AWS4-HMAC-SHA256 Credential=([^/]+)/(\\d{8})/([^/]+)/([^/]+)/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})");

    private final String accessKeyId;
    private final String secretAccessKey;

    private SigV4Check(String accessKeyId, String secretAccessKey) {
        this.accessKeyId = accessKeyId;
        this.secretAccessKey = secretAccessKey;
    }

    /** The key from the environment; null when none is set (Bedrock calls are then refused). */
    static SigV4Check fromEnv(Map<String, String> env) {
        String id = env.get("SIM_AWS_ACCESS_KEY_ID");
        String secret = env.get("SIM_AWS_SECRET_ACCESS_KEY");
        return id == null || id.isBlank() || secret == null || secret.isBlank() ? null : new SigV4Check(id, secret);
    }

    /** Why the request is refused, as {errorType, message}; null when the signature is good. */
    String[] refusal(ServerRequest req, byte[] body) {
        String auth = req.headers().first(HeaderNames.AUTHORIZATION).orElse("");
        Matcher m = AUTH.matcher(auth);
        if (!m.matches()) {
            return new String[] {"MissingAuthenticationTokenException", "Missing or malformed SigV4 Authorization header."};
        }
        if (!m.group(1).equals(accessKeyId)) {
            return new String[] {"UnrecognizedClientException", "The security token included in the request is invalid."};
        }
        if (!m.group(4).equals("bedrock")) {
            return new String[] {"InvalidSignatureException", "Credential should be scoped to correct service: 'bedrock'."};
        }
        String amzDate = req.headers().first(HeaderNames.create("x-amz-date")).orElse("");
        if (!amzDate.startsWith(m.group(2))) {
            return new String[] {"InvalidSignatureException", "Date in Credential scope does not match x-amz-date."};
        }
        String signedHeaders = m.group(5);
        StringBuilder canonicalHeaders = new StringBuilder();
        for (String name : signedHeaders.split(";")) {
            String value = String.join(",", req.headers().all(HeaderNames.create(name), java.util.List::of));
            canonicalHeaders.append(name).append(':').append(value.strip().replaceAll("\\s+", " ")).append('\n');
        }
        String canonical = req.prologue().method().text() + "\n"
                + canonicalUri(req.path().rawPath()) + "\n"
                + req.query().rawValue() + "\n"
                + canonicalHeaders + "\n"
                + signedHeaders + "\n"
                + hex(sha256(body));
        String scope = m.group(2) + "/" + m.group(3) + "/" + m.group(4) + "/aws4_request";
        String toSign = "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n" + hex(sha256(canonical.getBytes(StandardCharsets.UTF_8)));
        byte[] key = hmac(("AWS4" + secretAccessKey).getBytes(StandardCharsets.UTF_8), m.group(2));
        key = hmac(key, m.group(3));
        key = hmac(key, m.group(4));
        key = hmac(key, "aws4_request");
        byte[] expected = hmac(key, toSign);
        if (!MessageDigest.isEqual(expected, HexFormat.of().parseHex(m.group(6)))) {
            return new String[] {"InvalidSignatureException", "The request signature we calculated does not match the signature you provided. "
                    + "Check your AWS Secret Access Key and signing method."};
        }
        return null;
    }

    /** Each segment of the path as it arrived, URI-encoded again. */
    static String canonicalUri(String rawPath) {
        return String.join("/", java.util.Arrays.stream(rawPath.split("/", -1)).map(SigV4Check::encode).toList());
    }

    private static String encode(String s) {
        StringBuilder out = new StringBuilder();
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xff);
            if (Character.isLetterOrDigit(c) && c < 128 || c == '-' || c == '.' || c == '_' || c == '~') {
                out.append(c);
            } else {
                out.append('%').append(String.format("%02X", b & 0xff));
            }
        }
        return out.toString();
    }

    private static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] hmac(byte[] key, String data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }
}
