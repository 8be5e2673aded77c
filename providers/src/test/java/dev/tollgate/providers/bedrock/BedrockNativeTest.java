package dev.tollgate.providers.bedrock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tollgate.providers.upstream.UpstreamRequest;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

/**
 * The SDK's signer as we use it: service bedrock, the provider's region, the model id's ':' sent as
 * %3A and signed double-encoded. The expected signature is computed here from AWS's published
 * algorithm, independently of the SDK.
 */
class BedrockNativeTest {

    private static final Clock AT = Clock.fixed(Instant.parse("2026-11-25T01:02:03Z"), ZoneOffset.UTC);
    private static final Pattern AUTH = Pattern.compile(
            "AWS4-HMAC-SHA256 Credential=([^/]+)/(\\d{8})/([^/]+)/bedrock/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})");

    /** Made at run time: never a secret-shaped literal in the repository. */
    private static BedrockNative.AwsKey key(String token) {
        return new BedrockNative.AwsKey("TGTEST" + "KEYID0000000", "test-secret-" + Long.toHexString(System.nanoTime()), token);
    }

    @Test
    void modelIdsAreOnePercentEncodedSegment() {
        assertEquals("us.anthropic.claude-sonnet-4-5-20250929-v1%3A0", BedrockNative.pathSegment("us.anthropic.claude-sonnet-4-5-20250929-v1:0"));
        assertEquals("arn%3Aaws%3Abedrock%3Aus-east-1%3A123%3Aprovisioned-model%2Fabc",
                BedrockNative.pathSegment("arn:aws:bedrock:us-east-1:123:provisioned-model/abc"));
    }

    @Test
    void theSignatureMatchesAnIndependentComputation() throws Exception {
        BedrockNative.AwsKey key = key("session-token-value");
        byte[] body = "{\"messages\":[]}".getBytes(StandardCharsets.UTF_8);
        URI uri = URI.create("http://127.0.0.1:8089/model/" + BedrockNative.pathSegment("anthropic.claude-v2:1") + "/converse-stream");
        UpstreamRequest r = BedrockNative.sign(uri, Map.of(), body, "eu-west-3", key, AT);

        assertEquals("/model/anthropic.claude-v2%3A1/converse-stream", r.uri().getRawPath());
        Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        headers.putAll(r.headers());
        headers.put("host", "127.0.0.1:8089"); // what our client writes
        assertEquals("20261125T010203Z", headers.get("x-amz-date"));
        assertEquals("session-token-value", headers.get("x-amz-security-token"));
        assertEquals("application/json", headers.get("content-type"));

        Matcher m = AUTH.matcher(headers.get("authorization"));
        assertTrue(m.matches(), headers.get("authorization"));
        assertEquals(key.accessKeyId(), m.group(1));
        assertEquals("20261125", m.group(2));
        assertEquals("eu-west-3", m.group(3));
        String signed = m.group(4);
        assertTrue(signed.contains("host") && signed.contains("x-amz-date") && signed.contains("x-amz-security-token"), signed);

        StringBuilder canonicalHeaders = new StringBuilder();
        for (String name : signed.split(";")) {
            canonicalHeaders.append(name).append(':').append(headers.get(name).strip()).append('\n');
        }
        String canonical = "POST\n/model/anthropic.claude-v2%253A1/converse-stream\n\n" + canonicalHeaders + "\n" + signed + "\n"
                + hex(MessageDigest.getInstance("SHA-256").digest(body));
        String toSign = "AWS4-HMAC-SHA256\n20261125T010203Z\n20261125/eu-west-3/bedrock/aws4_request\n"
                + hex(MessageDigest.getInstance("SHA-256").digest(canonical.getBytes(StandardCharsets.UTF_8)));
        byte[] k = hmac(("AWS4" + key.secretAccessKey()).getBytes(StandardCharsets.UTF_8), "20261125");
        k = hmac(k, "eu-west-3");
        k = hmac(k, "bedrock");
        k = hmac(k, "aws4_request");
        assertEquals(hex(hmac(k, toSign)), m.group(5));
    }

    @Test
    void withoutASessionTokenNoneIsSent() {
        UpstreamRequest r = BedrockNative.sign(URI.create("https://bedrock-runtime.us-east-1.amazonaws.com/model/m/converse-stream"),
                Map.of("x-team", "a"), new byte[0], "us-east-1", key(null), AT);
        assertTrue(r.headers().keySet().stream().noneMatch(h -> h.equalsIgnoreCase("x-amz-security-token")), r.headers().toString());
        assertTrue(r.headers().keySet().stream().noneMatch(h -> h.equalsIgnoreCase("host")), "our client writes Host itself");
        assertEquals("a", r.headers().get("x-team"));
    }

    private static byte[] hmac(byte[] key, String data) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(key, "HmacSHA256"));
        return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
    }

    private static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }
}
