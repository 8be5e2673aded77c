package dev.tollgate.server.signin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.util.DefaultResourceRetriever;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The company's OIDC provider as the gateway uses it: discovery, the authorization URL (code flow with
 * PKCE), the code exchange, and ID token verification (signature against the provider's JWKS, issuer,
 * audience, expiry, nonce) with Nimbus JOSE.
 */
public final class IdentityProvider {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    private static final Set<JWSAlgorithm> ALGORITHMS = Set.of(JWSAlgorithm.RS256, JWSAlgorithm.RS384, JWSAlgorithm.RS512,
            JWSAlgorithm.PS256, JWSAlgorithm.PS384, JWSAlgorithm.PS512, JWSAlgorithm.ES256, JWSAlgorithm.ES384, JWSAlgorithm.ES512);

    /** What the gateway learnt of the person from a verified ID token. */
    public record Verified(String subject, String email, List<String> groups) {
    }

    private record Endpoints(URI authorization, URI token, DefaultJWTProcessor<SecurityContext> verifier) {
    }

    private final SignInSettings settings;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(TIMEOUT).version(HttpClient.Version.HTTP_1_1).build();
    private volatile Endpoints endpoints;

    public IdentityProvider(SignInSettings settings) {
        this.settings = settings;
    }

    public SignInSettings settings() {
        return settings;
    }

    /** Discovery, once it has worked; retried at the next sign-in while the provider is down. */
    private Endpoints endpoints() {
        Endpoints e = endpoints;
        if (e != null) {
            return e;
        }
        String base = settings.issuer().toString().replaceAll("/+$", "");
        URI discovery = URI.create(base + "/.well-known/openid-configuration");
        JsonNode doc = getJson(discovery);
        String issuer = doc.path("issuer").asText();
        if (!issuer.replaceAll("/+$", "").equals(base)) {
            throw new SignInRefused(502, "idp_misconfigured", "The identity provider at " + discovery + " names its issuer '" + issuer
                    + "', not '" + settings.issuer() + "'. Set tollgate.sso.issuer to the provider's issuer exactly.");
        }
        try {
            JWKSource<SecurityContext> keys = JWKSourceBuilder.<SecurityContext>create(URI.create(doc.path("jwks_uri").asText()).toURL(),
                            new DefaultResourceRetriever((int) TIMEOUT.toMillis(), (int) TIMEOUT.toMillis(), 1 << 20))
                    .retrying(false).build();
            DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();
            processor.setJWSKeySelector(new JWSVerificationKeySelector<>(ALGORITHMS, keys));
            processor.setJWTClaimsSetVerifier(new DefaultJWTClaimsVerifier<>(Set.of(settings.clientId()),
                    new JWTClaimsSet.Builder().issuer(issuer).build(), Set.of("sub", "exp", "iat"), null));
            e = new Endpoints(URI.create(doc.path("authorization_endpoint").asText()), URI.create(doc.path("token_endpoint").asText()), processor);
        } catch (IOException | IllegalArgumentException ex) {
            throw new SignInRefused(502, "idp_misconfigured", "The identity provider's discovery document at " + discovery
                    + " lacks a usable jwks_uri, authorization_endpoint or token_endpoint.");
        }
        endpoints = e;
        return e;
    }

    /** Where the person's browser goes to sign in. */
    public URI authorizationUrl(URI redirect, String state, String nonce, String challenge) {
        Map<String, String> q = new LinkedHashMap<>();
        q.put("response_type", "code");
        q.put("client_id", settings.clientId());
        q.put("redirect_uri", redirect.toString());
        q.put("scope", "openid email profile");
        q.put("state", state);
        q.put("nonce", nonce);
        q.put("code_challenge", challenge);
        q.put("code_challenge_method", "S256");
        URI auth = endpoints().authorization();
        return URI.create(auth + (auth.getQuery() == null ? "?" : "&") + form(q));
    }

    /** Exchanges the code for tokens and verifies the ID token; what the token says of the person. */
    public Verified exchange(String code, URI redirect, String verifier, String nonce) {
        Endpoints e = endpoints();
        Map<String, String> f = new LinkedHashMap<>();
        f.put("grant_type", "authorization_code");
        f.put("code", code);
        f.put("redirect_uri", redirect.toString());
        f.put("code_verifier", verifier);
        f.put("client_id", settings.clientId());
        HttpRequest.Builder req = HttpRequest.newBuilder(e.token()).timeout(TIMEOUT)
                .header("Content-Type", "application/x-www-form-urlencoded").header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(form(f)));
        settings.resolveSecret().ifPresent(secret -> req.header("Authorization", "Basic " + Base64.getEncoder().encodeToString(
                (enc(settings.clientId()) + ":" + enc(secret)).getBytes(StandardCharsets.UTF_8))));
        HttpResponse<String> res = send(req.build(), e.token());
        JsonNode body;
        try {
            body = JSON.readTree(res.body());
        } catch (IOException ex) {
            throw new SignInRefused(502, "idp_error", "The identity provider's token endpoint answered HTTP " + res.statusCode()
                    + " without JSON.");
        }
        if (res.statusCode() != 200 || !body.path("id_token").isTextual()) {
            // invalid_grant: the code was used already, expired, or the verifier does not match.
            throw new SignInRefused(400, "code_refused", "The identity provider refused the sign-in code (HTTP " + res.statusCode()
                    + (body.path("error").isTextual() ? ", " + body.path("error").asText() : "") + "). Run `tollgate login` again.");
        }
        return verify(body.path("id_token").asText(), nonce);
    }

    /** Checks an ID token's signature, issuer, audience, expiry and nonce; the person it names. */
    public Verified verify(String idToken, String nonce) {
        JWTClaimsSet claims;
        try {
            claims = endpoints().verifier().process(idToken, null);
        } catch (ParseException ex) {
            throw new SignInRefused(401, "id_token_invalid", "The ID token is not a signed JWT.");
        } catch (BadJOSEException ex) {
            // Nimbus names what failed: expired, audience rejected, iss mismatch, invalid signature, no matching key.
            throw new SignInRefused(401, "id_token_invalid", "The ID token was refused: " + ex.getMessage()
                    + ". Sign in again; if it persists, check tollgate.sso.issuer and tollgate.sso.client.id.");
        } catch (JOSEException ex) {
            throw new SignInRefused(503, "idp_unreachable", "The identity provider's signing keys cannot be fetched now ("
                    + ex.getClass().getSimpleName() + "). Nothing was issued; try again shortly.");
        }
        if (nonce != null && !nonce.equals(claims.getClaim("nonce"))) {
            throw new SignInRefused(401, "id_token_invalid", "The ID token's nonce does not match this sign-in (a replayed token?). "
                    + "Run `tollgate login` again.");
        }
        String email;
        List<String> groups;
        try {
            email = claims.getStringClaim("email");
            groups = Optional.ofNullable(claims.getStringListClaim(settings.groupsClaim())).orElse(List.of());
        } catch (ParseException ex) {
            throw new SignInRefused(400, "id_token_claims", "The ID token's '" + settings.groupsClaim()
                    + "' claim must be a list of group names, and 'email' text; the identity provider sends something else. "
                    + "Check the provider's claim mapping or tollgate.sso.groups.claim.");
        }
        if (email == null || email.isBlank()) {
            throw new SignInRefused(400, "id_token_claims", "The ID token carries no 'email' claim; the gateway names people by email. "
                    + "Ask for the 'email' scope at the identity provider.");
        }
        if (Boolean.FALSE.equals(claims.getClaim("email_verified"))) {
            throw new SignInRefused(403, "email_unverified", "The identity provider says " + email + " is not verified.");
        }
        return new Verified(claims.getSubject(), email, List.copyOf(new java.util.LinkedHashSet<>(groups)));
    }

    private JsonNode getJson(URI uri) {
        HttpResponse<String> res = send(HttpRequest.newBuilder(uri).timeout(TIMEOUT).header("Accept", "application/json").GET().build(), uri);
        try {
            if (res.statusCode() != 200) {
                throw new IOException("HTTP " + res.statusCode());
            }
            return JSON.readTree(res.body());
        } catch (IOException ex) {
            throw new SignInRefused(503, "idp_unreachable", "The identity provider's discovery document at " + uri
                    + " is not available (" + ex.getMessage() + "). Nothing was issued; try again shortly or check tollgate.sso.issuer.");
        }
    }

    private HttpResponse<String> send(HttpRequest req, URI uri) {
        try {
            return http.send(req, HttpResponse.BodyHandlers.ofString());
        } catch (IOException ex) {
            throw new SignInRefused(503, "idp_unreachable", "The identity provider at " + uri.getScheme() + "://" + uri.getAuthority()
                    + " does not answer (" + ex.getClass().getSimpleName() + "). Nothing was issued; try again shortly.");
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new SignInRefused(503, "idp_unreachable", "Interrupted while calling the identity provider.");
        }
    }

    private static String form(Map<String, String> fields) {
        return fields.entrySet().stream().map(x -> enc(x.getKey()) + "=" + enc(x.getValue())).collect(Collectors.joining("&"));
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

}
