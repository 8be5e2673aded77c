package dev.tollgate.server.call;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * How an API call reached the gateway. A {@code response.create} frame of a Responses WebSocket is
 * served as a POST to the gateway itself, so it passes the very same stages as any request; that
 * POST carries {@link #SOCKET_HEADER}, whose value only this process can make, so the request log
 * can tell the transport apart and a client cannot pretend to it.
 */
public final class Transport {

    /** Set on the gateway's own POST for a WebSocket frame; never passed upstream (not a pass header). */
    public static final String SOCKET_HEADER = "x-tollgate-socket";

    private static final byte[] SECRET = HexFormat.of().formatHex(new SecureRandom().generateSeed(16)).getBytes(StandardCharsets.US_ASCII);

    private Transport() {
    }

    /** The header value for a frame of {@code connection}: the secret, then the connection's id. */
    public static String socketMark(String connection) {
        return new String(SECRET, StandardCharsets.US_ASCII) + ":" + connection;
    }

    /** True when {@code value} was made by {@link #socketMark} in this process. */
    public static boolean fromSocket(String value) {
        if (value == null || value.length() <= SECRET.length || value.charAt(SECRET.length) != ':') {
            return false;
        }
        byte[] presented = value.substring(0, SECRET.length).getBytes(StandardCharsets.US_ASCII);
        return MessageDigest.isEqual(presented, SECRET);
    }
}
