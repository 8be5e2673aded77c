package dev.tollgate.providers.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tollgate.policy.Provider;
import dev.tollgate.policy.SecretRef;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Which upstreams go through the proxy: NO_PROXY as curl and Go read it. */
class EgressProxyTest {

    private static final EgressProxy.Endpoint SECURE = new EgressProxy.Endpoint("proxy.corp", 3128);
    private static final EgressProxy.Endpoint PLAIN = new EgressProxy.Endpoint("plain.corp", 8080);

    private static EgressProxy proxy(boolean loopback, String... noProxy) {
        return new EgressProxy(Optional.of(SECURE), Optional.of(PLAIN), List.of(noProxy), Optional.empty(), Optional.empty(), loopback);
    }

    private static Optional<EgressProxy.Endpoint> route(EgressProxy p, String host, int port) {
        return p.route(new Origin(true, host, port, Provider.Tls.NONE));
    }

    private static boolean proxied(EgressProxy p, String host) {
        return route(p, host, 443).isPresent();
    }

    @Test
    void httpsAndPlainHttpUpstreamsUseTheirOwnProxy() {
        EgressProxy p = proxy(false);
        assertEquals(Optional.of(SECURE), route(p, "api.openai.com", 443));
        assertEquals(Optional.of(PLAIN), p.route(new Origin(false, "vllm.internal", 80, Provider.Tls.NONE)));
        EgressProxy httpsOnly = new EgressProxy(Optional.of(SECURE), Optional.empty(), List.of(), Optional.empty(), Optional.empty(), false);
        assertEquals(Optional.empty(), httpsOnly.route(new Origin(false, "vllm.internal", 80, Provider.Tls.NONE)), "no http proxy: direct");
        assertEquals(Optional.empty(), EgressProxy.NONE.route(new Origin(true, "api.openai.com", 443, Provider.Tls.NONE)));
    }

    @Test
    void aNameMatchesItselfAndItsSubdomainsButNotLookalikes() {
        EgressProxy p = proxy(false, "corp.example", " Internal.Example ");
        assertTrue(!proxied(p, "corp.example"));
        assertTrue(!proxied(p, "vllm.corp.example"));
        assertTrue(!proxied(p, "VLLM.Corp.Example"), "case does not matter");
        assertTrue(!proxied(p, "internal.example"), "entries are trimmed and lower-cased");
        assertTrue(proxied(p, "evilcorp.example"), "a suffix match is on a dot boundary");
        assertTrue(proxied(p, "corp.example.attacker.test"));
    }

    @Test
    void aLeadingDotOrStarMatchesSubdomainsOnly() {
        EgressProxy p = proxy(false, ".corp.example", "*.lab.example");
        assertTrue(!proxied(p, "vllm.corp.example"));
        assertTrue(!proxied(p, "gpu.lab.example"));
        assertTrue(proxied(p, "corp.example"), "as Go's NO_PROXY: .y.com matches x.y.com, not y.com");
        assertTrue(proxied(p, "lab.example"));
    }

    @Test
    void anEntryWithAPortMatchesThatPortOnly() {
        EgressProxy p = proxy(false, "corp.example:8443");
        assertEquals(Optional.empty(), route(p, "corp.example", 8443));
        assertEquals(Optional.empty(), route(p, "vllm.corp.example", 8443), "subdomains too, on that port");
        assertEquals(Optional.of(SECURE), route(p, "corp.example", 443));
        assertEquals(Optional.of(SECURE), route(p, "vllm.corp.example", 443));
    }

    @Test
    void ipLiteralsAndCidrRanges() {
        EgressProxy p = proxy(false, "10.1.2.3", "192.168.0.0/16", "fd00::/8");
        assertTrue(!proxied(p, "10.1.2.3"));
        assertTrue(proxied(p, "10.1.2.30"), "an address is not a suffix");
        assertTrue(!proxied(p, "192.168.40.7"));
        assertTrue(proxied(p, "192.169.0.1"));
        assertTrue(!proxied(p, "[fd12::1]"));
        assertTrue(proxied(p, "[2001:db8::1]"));
        assertTrue(proxied(p, "192.168.0.0.attacker.test"), "a name is not an address");
    }

    @Test
    void starMeansNothingIsProxied() {
        EgressProxy p = proxy(true, "*");
        assertTrue(!proxied(p, "api.openai.com"));
        assertTrue(!proxied(p, "127.0.0.1"));
    }

    @Test
    void loopbackIsDirectUnlessAsked() {
        EgressProxy direct = proxy(false);
        for (String host : List.of("localhost", "api.localhost", "127.0.0.1", "127.9.9.9", "[::1]")) {
            assertTrue(!proxied(direct, host), host);
        }
        EgressProxy through = proxy(true);
        for (String host : List.of("localhost", "127.0.0.1", "[::1]")) {
            assertTrue(proxied(through, host), host);
        }
        assertTrue(proxied(direct, "127.example"), "a name starting with 127 is not loopback");
    }

    @Test
    void proxyUrlsKeepPasswordsOut() {
        EgressProxy.Parsed parsed = EgressProxy.parse("http://svc-tollgate@proxy.corp:3128", "HTTPS_PROXY");
        assertEquals(new EgressProxy.Endpoint("proxy.corp", 3128), parsed.endpoint());
        assertEquals(Optional.of("svc-tollgate"), parsed.user());
        assertEquals(new EgressProxy.Endpoint("proxy.corp", 80), EgressProxy.parse("proxy.corp", "HTTPS_PROXY").endpoint());
        IllegalArgumentException withPassword = assertThrows(IllegalArgumentException.class,
                () -> EgressProxy.parse("http://u:hunter2@proxy.corp:3128", "HTTPS_PROXY"));
        assertTrue(withPassword.getMessage().contains("TOLLGATE_PROXY_PASSWORD") && !withPassword.getMessage().contains("hunter2"), withPassword.getMessage());
        IllegalArgumentException https = assertThrows(IllegalArgumentException.class, () -> EgressProxy.parse("https://proxy.corp:3128", "HTTPS_PROXY"));
        assertTrue(https.getMessage().contains("http://"), https.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new EgressProxy(Optional.of(SECURE), Optional.empty(), List.of(),
                Optional.of("u"), Optional.empty(), false), "a user without a password reference");
        EgressProxy withAuth = new EgressProxy(Optional.of(SECURE), Optional.empty(), List.of(), Optional.of("u"),
                Optional.of(SecretRef.parse("env:PROXY_PW")), false);
        assertTrue(withAuth.describe().contains("as 'u'") && !withAuth.describe().contains("PROXY_PW="), withAuth.describe());
    }
}
