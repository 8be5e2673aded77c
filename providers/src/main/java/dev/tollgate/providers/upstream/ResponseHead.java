package dev.tollgate.providers.upstream;

import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/** Status line and headers of an HTTP/1.1 response (names lower-cased; repeated ones joined with ", "). */
record ResponseHead(int status, Map<String, String> headers) {

    private static final int MAX_HEAD_BYTES = 64 * 1024;

    /** Reads the head; an {@link EOFException} means the connection closed before any byte came. */
    static ResponseHead read(SocketInput in) throws IOException {
        LineReader lines = new LineReader(in);
        String statusLine = lines.next();
        if (statusLine == null) {
            throw new EOFException("connection closed before the response");
        }
        // Skip interim 1xx answers (100 Continue) that may precede the real one.
        while (true) {
            if (!statusLine.startsWith("HTTP/1.") || statusLine.length() < 12) {
                throw new IOException("not an HTTP/1.1 status line: " + statusLine.substring(0, Math.min(40, statusLine.length())));
            }
            int status = Integer.parseInt(statusLine.substring(9, 12));
            Map<String, String> headers = new HashMap<>();
            for (String line = lines.next(); line != null && !line.isEmpty(); line = lines.next()) {
                int colon = line.indexOf(':');
                if (colon > 0) {
                    String name = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
                    String value = line.substring(colon + 1).trim();
                    if (value.indexOf('\r') >= 0) {
                        throw new IOException("malformed upstream header " + name + ": it holds a bare CR");
                    }
                    headers.merge(name, value, (a, b) -> a + ", " + b);
                }
            }
            if (status >= 200 || status == 101) {
                return new ResponseHead(status, headers);
            }
            statusLine = lines.next();
            if (statusLine == null) {
                throw new IOException("connection closed after an interim response");
            }
        }
    }

    boolean chunked() {
        String te = headers.get("transfer-encoding");
        return te != null && te.toLowerCase(Locale.ROOT).contains("chunked");
    }

    long contentLength() {
        String cl = headers.get("content-length");
        try {
            return cl == null ? -1 : Long.parseLong(cl.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    boolean keepAlive() {
        String connection = headers.get("connection");
        return connection == null || !connection.toLowerCase(Locale.ROOT).contains("close");
    }

    /** Reads CRLF- (or LF-) terminated ISO-8859-1 lines, bounded in total size. */
    static final class LineReader {
        private final SocketInput in;
        private int left = MAX_HEAD_BYTES;

        LineReader(SocketInput in) {
            this.in = in;
        }

        String next() throws IOException {
            String line = in.readLine(left);
            if (line != null) {
                left -= line.length() + 1;
            }
            return line;
        }
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }
}
