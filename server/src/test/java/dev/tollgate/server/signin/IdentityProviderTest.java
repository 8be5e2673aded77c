package dev.tollgate.server.signin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.net.InetAddress;
import java.net.URI;
import java.util.Date;
import java.util.List;
import java.util.Map;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.token.DefaultOAuth2TokenCallback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** ID token verification against a real provider's discovery and JWKS: each way a token can be wrong is refused by name. */
class IdentityProviderTest {

    private static final String CLIENT = "tollgate-gateway";
    private MockOAuth2Server idp;
    private IdentityProvider provider;

    @BeforeEach
    void start() throws Exception {
        idp = new MockOAuth2Server();
        idp.start(InetAddress.getByName("127.0.0.1"), 0);
        provider = new IdentityProvider(new SignInSettings(URI.create(idp.issuerUrl("default").toString()), CLIENT));
    }

    @AfterEach
    void stop() {
        idp.shutdown();
    }

    private String token(String issuerId, List<String> audience, Map<String, Object> claims, long expiry) {
        return idp.issueToken(issuerId, CLIENT, new DefaultOAuth2TokenCallback(issuerId, "alice-sub", "JWT", audience, claims, expiry)).serialize();
    }

    private static final Map<String, Object> ALICE = Map.of("email", "alice@example.com", "groups", List.of("eng-web"), "nonce", "n1");

    @Test
    void aGoodTokenNamesThePersonAndTheirGroups() {
        IdentityProvider.Verified v = provider.verify(token("default", List.of(CLIENT), ALICE, 3600), "n1");
        assertEquals(new IdentityProvider.Verified("alice-sub", "alice@example.com", List.of("eng-web")), v);
    }

    @Test
    void anotherAudienceIsRefused() {
        SignInRefused e = assertThrows(SignInRefused.class, () -> provider.verify(token("default", List.of("another-app"), ALICE, 3600), "n1"));
        assertEquals(401, e.status());
        assertTrue(e.getMessage().contains("aud claim rejected"), e.getMessage());
    }

    @Test
    void anotherIssuerIsRefused() {
        SignInRefused e = assertThrows(SignInRefused.class, () -> provider.verify(token("other", List.of(CLIENT), ALICE, 3600), "n1"));
        assertEquals(401, e.status());
    }

    @Test
    void anExpiredTokenIsRefused() {
        SignInRefused e = assertThrows(SignInRefused.class, () -> provider.verify(token("default", List.of(CLIENT), ALICE, -3600), "n1"));
        assertTrue(e.getMessage().contains("Expired"), e.getMessage());
    }

    @Test
    void aTokenWithAnotherNonceIsRefused() {
        SignInRefused e = assertThrows(SignInRefused.class, () -> provider.verify(token("default", List.of(CLIENT), ALICE, 3600), "n2"));
        assertTrue(e.getMessage().contains("nonce"), e.getMessage());
    }

    @Test
    void aForgedTokenSignedWithAnotherKeyIsRefused() throws Exception {
        String real = token("default", List.of(CLIENT), ALICE, 3600);
        String kid = SignedJWT.parse(real).getHeader().getKeyID();
        RSAKey forger = new RSAKeyGenerator(2048).keyID(kid).generate();
        JWTClaimsSet claims = SignedJWT.parse(real).getJWTClaimsSet();
        SignedJWT forged = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(kid).type(JOSEObjectType.JWT).build(),
                new JWTClaimsSet.Builder(claims).claim("groups", List.of("gateway-admins")).expirationTime(new Date(System.currentTimeMillis() + 60_000)).build());
        forged.sign(new RSASSASigner(forger));
        SignInRefused e = assertThrows(SignInRefused.class, () -> provider.verify(forged.serialize(), "n1"));
        assertEquals(401, e.status());
        assertTrue(e.getMessage().toLowerCase().contains("signature") || e.getMessage().contains("key"), e.getMessage());
        // An unsigned token ("alg": "none") is not even a signed JWT.
        String none = new com.nimbusds.jwt.PlainJWT(claims).serialize();
        assertEquals(401, assertThrows(SignInRefused.class, () -> provider.verify(none, "n1")).status());
    }
}
