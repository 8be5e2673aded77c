package dev.tollgate.sim;

import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import com.fasterxml.jackson.databind.JsonNode;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/**
 * Google's OAuth token endpoint as Vertex AI clients use it: {@code POST /token} with the
 * JWT-bearer grant. The assertion must carry an RS256 signature by the private key whose public
 * half a test gave to {@code PUT /_sim/vertex}, {@code aud} = Google's token URL (or this endpoint's), the
 * cloud-platform scope, and an {@code exp} in the future. Tokens live {@code token_ttl_seconds}.
 */
final class VertexAuth {
    static final String JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer";
    static final String CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform";
    /** The audience Google's token endpoint expects, whatever URL it was reached at. */
    static final String GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final RequestLog log;
    private final Map<String, Long> expiryByToken = new ConcurrentHashMap<>();
    private final AtomicLong tokenRequests = new AtomicLong();
    private final AtomicLong rejectedCalls = new AtomicLong();
    private volatile PublicKey publicKey;
    private volatile long ttlSeconds = 3600;

    VertexAuth(RequestLog log) {
        this.log = log;
    }

    void register(HttpRouting.Builder r) {
        r.post("/token", this::token);
        r.put("/_sim/vertex", this::configure);
        r.get("/_sim/vertex", (req, res) -> ModelCalls.sendJson(res, g -> {
            g.writeStartObject();
            g.writeNumberField("token_requests", tokenRequests.get());
            g.writeNumberField("tokens_issued", expiryByToken.size());
            g.writeNumberField("rejected_calls", rejectedCalls.get());
            g.writeNumberField("token_ttl_seconds", ttlSeconds);
            g.writeEndObject();
        }));
    }

    /** True when the call carries a token this endpoint issued and that has not expired; else answers 401. */
    boolean admit(ServerRequest req, ServerResponse res) throws IOException {
        String auth = req.headers().first(HeaderNames.AUTHORIZATION).orElse("");
        Long expiry = auth.startsWith("Bearer ") ? expiryByToken.get(auth.substring(7)) : null;
        if (expiry != null && System.currentTimeMillis() < expiry) {
            return true;
        }
        rejectedCalls.incrementAndGet();
        ModelCalls.sendError(res, GeminiFormat.INSTANCE, 401, expiry == null
                ? "Request had invalid authentication credentials. Expected an OAuth 2 access token issued by POST /token."
                : "Request had invalid authentication credentials: the access token expired.");
        return false;
    }

    /** {@code {"public_key": PEM or base64 X.509, "token_ttl_seconds": N}} */
    private void configure(ServerRequest req, ServerResponse res) throws IOException {
        try {
            JsonNode body = Json.parse(req.content().inputStream().readAllBytes());
            if (body == null || !body.has("public_key")) {
                throw new IllegalArgumentException("expected {\"public_key\": \"-----BEGIN PUBLIC KEY-----...\", \"token_ttl_seconds\": N}");
            }
            String pem = body.get("public_key").asText().replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
            publicKey = KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(pem)));
            long ttl = body.path("token_ttl_seconds").asLong(3600);
            if (ttl < 1) {
                throw new IllegalArgumentException("token_ttl_seconds must be at least 1");
            }
            ttlSeconds = ttl;
        } catch (IOException | IllegalArgumentException | GeneralSecurityException e) {
            res.status(Status.BAD_REQUEST_400);
            ModelCalls.sendJson(res, g -> {
                g.writeStartObject();
                g.writeStringField("error", String.valueOf(e.getMessage()));
                g.writeEndObject();
            });
            return;
        }
        ModelCalls.sendJson(res, g -> {
            g.writeStartObject();
            g.writeNumberField("token_ttl_seconds", ttlSeconds);
            g.writeEndObject();
        });
    }

    private void token(ServerRequest req, ServerResponse res) throws IOException {
        byte[] body = req.content().hasEntity() ? req.content().inputStream().readAllBytes() : new byte[0];
        log.record(req, body);
        tokenRequests.incrementAndGet();
        Map<String, String> form = form(new String(body, StandardCharsets.UTF_8));
        String refusal = refusal(form, "http://" + req.authority() + "/token");
        if (refusal != null) {
            res.status(Status.BAD_REQUEST_400);
            ModelCalls.sendJson(res, g -> {
                g.writeStartObject();
                g.writeStringField("error", "invalid_grant");
                g.writeStringField("error_description", refusal);
                g.writeEndObject();
            });
            return;
        }
        byte[] random = new byte[16];
        RANDOM.nextBytes(random);
        String token = "sim-vertex-" + HexFormat.of().formatHex(random);
        long ttl = ttlSeconds;
        expiryByToken.put(token, System.currentTimeMillis() + ttl * 1000);
        ModelCalls.sendJson(res, g -> {
            g.writeStartObject();
            g.writeStringField("access_token", token);
            g.writeNumberField("expires_in", ttl);
            g.writeStringField("token_type", "Bearer");
            g.writeEndObject();
        });
    }

    /** Why the grant is refused, or null when it is good. */
    private String refusal(Map<String, String> form, String audience) {
        if (!JWT_BEARER.equals(form.get("grant_type"))) {
            return "grant_type must be " + JWT_BEARER;
        }
        String assertion = form.get("assertion");
        String[] parts = assertion == null ? new String[0] : assertion.split("\\.");
        if (parts.length != 3) {
            return "assertion is not a signed JWT";
        }
        PublicKey key = publicKey;
        if (key == null) {
            return "provider-sim has no service-account public key: PUT /_sim/vertex first";
        }
        try {
            Base64.Decoder b64 = Base64.getUrlDecoder();
            JsonNode header = Json.parse(b64.decode(parts[0]));
            JsonNode claims = Json.parse(b64.decode(parts[1]));
            if (!"RS256".equals(header.path("alg").asText())) {
                return "alg must be RS256";
            }
            Signature rs256 = Signature.getInstance("SHA256withRSA");
            rs256.initVerify(key);
            rs256.update((parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII));
            if (!rs256.verify(b64.decode(parts[2]))) {
                return "Invalid JWT Signature.";
            }
            long now = System.currentTimeMillis() / 1000;
            String aud = claims.path("aud").asText();
            if (!aud.equals(GOOGLE_TOKEN_URI) && !aud.equals(audience)) {
                return "aud must be " + GOOGLE_TOKEN_URI + " (or " + audience + "), found " + aud;
            }
            if (!(" " + claims.path("scope").asText() + " ").contains(" " + CLOUD_PLATFORM + " ")) {
                return "scope must include " + CLOUD_PLATFORM;
            }
            if (claims.path("exp").asLong(0) <= now) {
                return "Invalid JWT: Token must be a short-lived token and in a reasonable timeframe (exp is past)";
            }
            if (claims.path("iat").asLong(Long.MAX_VALUE) > now + 60 || claims.path("iss").asText().isEmpty()) {
                return "Invalid JWT: iat in the future or no iss";
            }
            return null;
        } catch (IOException | IllegalArgumentException | GeneralSecurityException e) {
            return "assertion does not parse: " + e.getMessage();
        }
    }

    private static Map<String, String> form(String body) {
        Map<String, String> out = new HashMap<>();
        for (String pair : body.split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                out.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                        URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return out;
    }
}
