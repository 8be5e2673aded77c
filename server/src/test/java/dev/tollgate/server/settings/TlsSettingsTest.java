package dev.tollgate.server.settings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tollgate.providers.upstream.EgressProxy;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class TlsSettingsTest {

    @Test
    void theStandardProxyVariablesAreReadAndTheGatewaysOwnWin() {
        TlsSettings s = TlsSettings.load(Map.of(), null, Map.of("HTTPS_PROXY", "http://proxy.corp:3128", "http_proxy", "plain.corp:8080",
                "NO_PROXY", ".corp.example, 10.0.0.1"));
        assertEquals(Optional.of(new EgressProxy.Endpoint("proxy.corp", 3128)), s.proxy().https());
        assertEquals(Optional.of(new EgressProxy.Endpoint("plain.corp", 8080)), s.proxy().http());
        assertEquals(List.of(".corp.example", "10.0.0.1"), s.proxy().noProxy());
        assertFalse(s.proxy().loopback());
        TlsSettings own = TlsSettings.load(Map.of(), null, Map.of("HTTPS_PROXY", "http://proxy.corp:3128",
                "TOLLGATE_PROXY_URL", "http://egress.corp:8888", "TOLLGATE_PROXY_LOOPBACK", "true"));
        assertEquals(Optional.of(new EgressProxy.Endpoint("egress.corp", 8888)), own.proxy().https());
        assertTrue(own.proxy().loopback());
    }

    @Test
    void aPasswordIsAReferenceNeverALiteral() {
        IllegalArgumentException inUrl = assertThrows(IllegalArgumentException.class,
                () -> TlsSettings.load(Map.of(), null, Map.of("HTTPS_PROXY", "http://u:hunter2@proxy:3128")));
        assertTrue(inUrl.getMessage().contains("TOLLGATE_PROXY_PASSWORD"), inUrl.getMessage());
        assertFalse(inUrl.getMessage().contains("hunter2"), inUrl.getMessage());
        IllegalArgumentException literal = assertThrows(IllegalArgumentException.class,
                () -> TlsSettings.load(Map.of(), null, Map.of("HTTPS_PROXY", "http://u@proxy:3128", "TOLLGATE_PROXY_PASSWORD", "hunter2")));
        assertFalse(literal.getMessage().contains("hunter2"), literal.getMessage());
        assertThrows(IllegalArgumentException.class, () -> TlsSettings.load(Map.of(), null, Map.of("HTTPS_PROXY", "http://u@proxy:3128")));
        TlsSettings ok = TlsSettings.load(Map.of(), null, Map.of("HTTPS_PROXY", "http://u@proxy:3128", "TOLLGATE_PROXY_PASSWORD", "file:/run/p"));
        assertEquals(Optional.of("u"), ok.proxy().user());
    }

    @Test
    void listenerHttpsNeedsBothFiles() {
        assertThrows(IllegalArgumentException.class, () -> TlsSettings.load(Map.of("tollgate.tls.cert", "/a.pem"), null, Map.of()));
        TlsSettings s = TlsSettings.load(Map.of(), null, Map.of("TOLLGATE_TLS_CERT", "/a.pem", "TOLLGATE_TLS_KEY", "/a.key",
                "TOLLGATE_UPSTREAM_CA_BUNDLE", "/ca1.pem, /ca2.pem"));
        assertTrue(s.https());
        assertEquals(List.of(Path.of("/ca1.pem"), Path.of("/ca2.pem")), s.caBundles());
    }
}
