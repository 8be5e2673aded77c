package dev.tollgate.server.settings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tollgate.server.settings.ConnectionSettings.Http2Mode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConnectionSettingsTest {

    @Test
    void http2IsOnByDefaultAndSetByFlagOrFile(@TempDir Path dir) throws Exception {
        assertEquals(Http2Mode.ON, ConnectionSettings.defaults().http2());
        assertEquals(Http2Mode.TLS_ONLY, ConnectionSettings.load(Map.of("tollgate.http2", "tls-only"), null).http2());
        Path file = Files.writeString(dir.resolve("s.yaml"), "tollgate:\n  http2: off\n");
        // A bare off is YAML's false: taken to mean off.
        assertEquals(Http2Mode.OFF, ConnectionSettings.load(Map.of(), file).http2());
        assertEquals(Http2Mode.ON, ConnectionSettings.load(Map.of("tollgate.http2", "ON"), file).http2(), "the flag wins over the file");
        assertEquals("tollgate.http2", ConnectionSettings.FLAGS.get("--http2"));
    }

    @Test
    void anUnknownValueSaysWhatIsAccepted() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ConnectionSettings.load(Map.of("tollgate.http2", "h2c"), null));
        assertTrue(e.getMessage().contains("on, tls-only or off") && e.getMessage().contains("'h2c'"), e.getMessage());
    }

    @Test
    void whereEachModeServesHttp2() {
        assertTrue(Http2Mode.ON.served(true) && Http2Mode.ON.served(false));
        assertTrue(Http2Mode.TLS_ONLY.served(true));
        assertFalse(Http2Mode.TLS_ONLY.served(false));
        assertFalse(Http2Mode.OFF.served(true) || Http2Mode.OFF.served(false));
    }
}
