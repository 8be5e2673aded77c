package dev.tollgate.providers.upstream;

import java.nio.charset.StandardCharsets;

/**
 * One path segment of an upstream URL, percent-encoded (RFC 3986): whatever a model name, deployment
 * or project holds, it stays one segment of data. Only unreserved characters and {@code @} (Vertex's
 * {@code claude-sonnet-4-5@20250929}) are left as they are; {@code /}, {@code :} (Google's method
 * separator), {@code ?}, {@code #}, {@code %} and everything else are encoded, UTF-8 byte by byte.
 */
public final class PathSegment {

    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private PathSegment() {
    }

    public static String encode(String s) {
        if (s.equals(".") || s.equals("..")) {
            // Not a dot-segment upstream (clients' names never are one: the surface refuses them).
            return s.equals(".") ? "%2E" : "%2E%2E";
        }
        StringBuilder out = null;
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < bytes.length; i++) {
            int b = bytes[i] & 0xff;
            if (kept(b)) {
                if (out != null) {
                    out.append((char) b);
                }
                continue;
            }
            if (out == null) {
                out = new StringBuilder(bytes.length + 16).append(s, 0, i); // bytes before i are ASCII, so i chars
            }
            out.append('%').append(HEX[b >> 4]).append(HEX[b & 0xf]);
        }
        return out == null ? s : out.toString();
    }

    private static boolean kept(int c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
                || c == '-' || c == '.' || c == '_' || c == '~' || c == '@';
    }
}
