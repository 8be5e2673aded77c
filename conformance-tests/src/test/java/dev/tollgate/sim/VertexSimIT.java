package dev.tollgate.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The simulator's Vertex mode: what its token endpoint accepts, and what its model endpoints require. */
class VertexSimIT {
    static final String SCOPE = "https://www.googleapis.com/auth/cloud-platform";
    static final String CLAUDE = "/v1/projects/p/locations/us-east5/publishers/anthropic/models/claude-sonnet-4-5@20250929:";
    static final String GEMINI = "/v1/projects/p/locations/us-east5/publishers/google/models/gemini-2.5-pro:";
    static ProviderSim sim;
    static SimHttp http;
    static KeyPair key;
    static KeyPair stranger;

    @BeforeAll
    static void start() throws Exception {
        sim = ProviderSim.start(SimOptions.defaults());
        http = new SimHttp(sim);
        KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
        rsa.initialize(2048);
        key = rsa.generateKeyPair();
        stranger = rsa.generateKeyPair();
        String pem = "-----" + "BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder().encodeToString(key.getPublic().getEncoded()) + "\n-----END PUBLIC KEY-----\n";
        SimHttp.Resp configured = SimHttp.send(HttpRequest.newBuilder(URI.create(sim.baseUrl() + "/_sim/vertex"))
                .PUT(HttpRequest.BodyPublishers.ofString(SimHttp.MAPPER.writeValueAsString(Map.of("public_key", pem, "token_ttl_seconds", 60))))
                .build());
        assertEquals(200, configured.status(), configured.body());
    }

    @AfterAll
    static void stop() {
        sim.close();
    }

    private static String jwt(KeyPair signer, Map<String, Object> overrides) throws Exception {
        long now = System.currentTimeMillis() / 1000;
        Map<String, Object> claims = new LinkedHashMap<>(Map.of("iss", "gw@p.iam.gserviceaccount.com", "aud", "https://oauth2.googleapis.com/token",
                "scope", SCOPE, "iat", now, "exp", now + 3600));
        claims.putAll(overrides);
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        String signed = b64.encodeToString("{\"alg\":\"RS256\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8)) + "."
                + b64.encodeToString(SimHttp.MAPPER.writeValueAsBytes(claims));
        Signature rs256 = Signature.getInstance("SHA256withRSA");
        rs256.initSign(signer.getPrivate());
        rs256.update(signed.getBytes(StandardCharsets.US_ASCII));
        return signed + "." + b64.encodeToString(rs256.sign());
    }

    private static SimHttp.Resp grant(String grantType, String assertion) throws Exception {
        String form = "grant_type=" + URLEncoder.encode(grantType, StandardCharsets.UTF_8) + "&assertion=" + URLEncoder.encode(assertion, StandardCharsets.UTF_8);
        return SimHttp.send(HttpRequest.newBuilder(URI.create(sim.baseUrl() + "/token"))
                .header("content-type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form)).build());
    }

    private static String token() throws Exception {
        SimHttp.Resp r = grant("urn:ietf:params:oauth:grant-type:jwt-bearer", jwt(key, Map.of()));
        assertEquals(200, r.status(), r.body());
        assertEquals(60, r.json().path("expires_in").asInt());
        return r.json().path("access_token").asText();
    }

    private static void assertRefused(SimHttp.Resp r, String why) {
        assertEquals(400, r.status(), r.body());
        assertEquals("invalid_grant", r.json().path("error").asText(), r.body());
        assertTrue(r.json().path("error_description").asText().contains(why), r.body());
    }

    @Test
    void theTokenEndpointChecksSignatureAudienceScopeAndExpiry() throws Exception {
        long now = System.currentTimeMillis() / 1000;
        String grant = "urn:ietf:params:oauth:grant-type:jwt-bearer";
        assertRefused(grant("client_credentials", jwt(key, Map.of())), "grant_type");
        assertRefused(grant(grant, jwt(stranger, Map.of())), "Invalid JWT Signature");
        assertRefused(grant(grant, jwt(key, Map.of("aud", "https://example.com/token"))), "aud must be");
        assertRefused(grant(grant, jwt(key, Map.of("scope", "https://www.googleapis.com/auth/userinfo.email"))), "scope");
        assertRefused(grant(grant, jwt(key, Map.of("exp", now - 10))), "exp is past");
        assertTrue(token().startsWith("sim-vertex-"));
    }

    @Test
    void modelEndpointsWantALiveTokenAndVertexShapedClaudeBodies() throws Exception {
        String body = "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"hi\"}]}]}";
        assertEquals(401, http.post(GEMINI + "generateContent", body).status());
        assertEquals(401, http.post(GEMINI + "generateContent", body, "authorization", "Bearer sim-vertex-made-up").status());
        String bearer = "Bearer " + token();
        SimHttp.Resp gemini = http.post(GEMINI + "streamGenerateContent?alt=sse", body, "authorization", bearer);
        assertEquals(200, gemini.status(), gemini.body());
        assertTrue(gemini.events().getLast().json().has("usageMetadata"), gemini.body());

        String messages = "{\"max_tokens\":20,\"stream\":true,\"anthropic_version\":\"vertex-2023-10-16\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        SimHttp.Resp claude = http.post(CLAUDE + "streamRawPredict", messages, "authorization", bearer);
        assertEquals(200, claude.status(), claude.body());
        assertEquals("message_stop", claude.events().getLast().event());
        assertEquals(400, http.post(CLAUDE + "rawPredict", messages.replace("{\"max_tokens\"", "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\""),
                "authorization", bearer).status(), "Vertex refuses a model in the body");
        assertEquals(400, http.post(CLAUDE + "rawPredict", messages.replace("vertex-2023-10-16", "2023-06-01"), "authorization", bearer).status());
    }
}
