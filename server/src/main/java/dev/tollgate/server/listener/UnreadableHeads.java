package dev.tollgate.server.listener;

import dev.tollgate.providers.Api;
import dev.tollgate.server.call.ModelName;
import dev.tollgate.server.errors.Dialect;
import dev.tollgate.server.errors.GatewayError;
import io.helidon.common.buffers.BufferData;
import io.helidon.common.buffers.DataReader;
import io.helidon.common.concurrency.limits.Limit;
import io.helidon.http.Status;
import io.helidon.webserver.ConnectionContext;
import io.helidon.webserver.spi.ServerConnection;
import io.helidon.webserver.spi.ServerConnectionSelector;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;

/**
 * The connection selector for what Helidon's HTTP/1.1 selector does not claim: a first line that does not
 * end in {@code " HTTP/1.1\r\n"} (bare LF line ends, HTTP/1.0, anything after the version) or no line end
 * within the prologue limit (a request line too long). Without it Helidon closes such a connection
 * without a word; with it the client gets one {@code HTTP/1.1 400} (414 for the long line) with
 * {@code Connection: close} and an error in the dialect of the path, when the path can be made out.
 *
 * <p>Helidon 4.5 asks the listener's own selectors before the HTTP/1.1 one, in one pass over the same
 * bytes, so this one mirrors {@code Http1ConnectionSelector#supports} exactly and answers
 * {@code SUPPORTED} only where that one answers {@code UNSUPPORTED}: a well-formed HTTP/1.1 request line
 * is never taken, and a first read that holds no line end yet stays HTTP/1.1's.
 *
 * <p>Bounded: it looks at no more than the prologue limit of what Helidon already read; then it reads
 * and drops what the client still sends, up to {@link #DRAIN_LIMIT} bytes (never holding more than one
 * read), so closing with unread bytes does not reset the connection and take the answer away (the staged
 * close of RFC 9112 section 9.6). The listener's head timeout ends a client that neither sends nor closes.
 */
public final class UnreadableHeads implements ServerConnectionSelector {

    /** Bytes of the rest of a refused request read and dropped before the close. */
    static final int DRAIN_LIMIT = 1 << 20;
    private static final byte[] HTTP_11_LINE_END = " HTTP/1.1\r".getBytes(StandardCharsets.US_ASCII);
    /** The first line of HTTP/2's connection preface (RFC 9113 section 3.4). */
    private static final byte[] H2_PREFACE_LINE = "PRI * HTTP/2.0\r\n".getBytes(StandardCharsets.US_ASCII);

    private final int maxPrologueLength;
    private final boolean h2c;

    /** @param maxPrologueLength the HTTP/1.1 protocol's limit ({@code Http1Config#maxPrologueLength}) */
    public UnreadableHeads(int maxPrologueLength) {
        this(maxPrologueLength, false);
    }

    /**
     * @param h2c whether HTTP/2's selector serves prior knowledge on this listener: a preface is then left to it, also
     *            when it came without the SETTINGS frame behind it (Helidon's selector waits for more than the preface)
     */
    public UnreadableHeads(int maxPrologueLength, boolean h2c) {
        this.maxPrologueLength = maxPrologueLength;
        this.h2c = h2c;
    }

    @Override
    public int bytesToIdentifyConnection() {
        return 0; // any number: decided like HTTP/1.1 decides
    }

    @Override
    public Support supports(BufferData data) {
        int lf = data.indexOf((byte) '\n');
        if (lf < 0) {
            // HTTP/1.1 keeps a head without a line end until it passes its prologue limit
            return data.available() > maxPrologueLength ? Support.SUPPORTED : Support.UNKNOWN;
        }
        if (h2c && startsWith(data, H2_PREFACE_LINE)) {
            return Support.UNKNOWN; // HTTP/2's, once the rest of the preface is in
        }
        return endsWithHttp11(data, lf) ? Support.UNSUPPORTED : Support.SUPPORTED;
    }

    private static boolean startsWith(BufferData data, byte[] prefix) {
        if (data.available() < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (data.get(i) != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    @Override
    public Set<String> supportedApplicationProtocols() {
        return Set.of();
    }

    @Override
    public ServerConnection connection(ConnectionContext ctx) {
        return new Refusal(ctx, maxPrologueLength);
    }

    /** The same test as Helidon's: the bytes before the first LF end in " HTTP/1.1\r". */
    private static boolean endsWithHttp11(BufferData data, int lf) {
        int start = lf - HTTP_11_LINE_END.length;
        if (start < 0) {
            return false;
        }
        for (int i = 0; i < HTTP_11_LINE_END.length; i++) {
            if (data.get(start + i) != HTTP_11_LINE_END[i]) {
                return false;
            }
        }
        return true;
    }

    /** What a refused head gets: the error, and the dialect of its path. */
    record Verdict(Api dialect, GatewayError error) {
    }

    /** The answer for the first bytes of a head this selector claimed. */
    static Verdict verdict(byte[] seen, int maxPrologueLength) {
        int lf = indexOf(seen, (byte) '\n');
        String line = new String(seen, 0, lf < 0 ? seen.length : lf, StandardCharsets.ISO_8859_1);
        String[] parts = line.strip().split("[ \t]+", 3);
        Api dialect = parts.length > 1 && parts[1].startsWith("/") ? Dialect.ofRawPath(parts[1]) : Api.CHAT_COMPLETIONS;
        if (lf < 0) {
            return new Verdict(dialect, tooLong(maxPrologueLength));
        }
        if (!line.endsWith("\r")) {
            return new Verdict(dialect, new GatewayError.HttpRefused(400, "The request head uses bare LF line ends: end every line of "
                    + "the head (the request line and each header) with CRLF (\\r\\n), as HTTP/1.1 requires."));
        }
        if (line.equals("PRI * HTTP/2.0\r")) {
            return new Verdict(dialect, new GatewayError.HttpRefused(505, "HTTP/2 by prior knowledge (h2c) is not served on this "
                    + "listener (tollgate.http2): send HTTP/1.1, or HTTP/2 over HTTPS where the listener has a certificate."));
        }
        if (line.endsWith(" HTTP/1.0\r")) {
            return new Verdict(dialect, new GatewayError.HttpRefused(400, "HTTP/1.0 is not served here: send the request as HTTP/1.1 "
                    + "(request line 'METHOD /path HTTP/1.1', CRLF line ends)."));
        }
        return new Verdict(dialect, new GatewayError.HttpRefused(400, "The first line is not an HTTP/1.1 request line: send "
                + "'METHOD /path HTTP/1.1' (single spaces, nothing after the version) and CRLF line ends."));
    }

    /** Also the answer when Helidon's own HTTP/1.1 parser finds the request line too long. */
    static GatewayError tooLong(int maxPrologueLength) {
        return new GatewayError.HttpRefused(414, "The request line is longer than this gateway reads"
                + (maxPrologueLength > 0 ? " (" + maxPrologueLength + " bytes)" : "") + ". A model name in a path holds at most "
                + ModelName.MAX_LENGTH + " characters: check the model name, and send long data in the request body.");
    }

    private static int indexOf(byte[] bytes, byte b) {
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == b) {
                return i;
            }
        }
        return -1;
    }

    /** One answer, then the close. */
    private static final class Refusal implements ServerConnection {
        private final ConnectionContext ctx;
        private final int maxPrologueLength;
        private final long started = System.nanoTime();
        private volatile Thread thread;

        Refusal(ConnectionContext ctx, int maxPrologueLength) {
            this.ctx = ctx;
            this.maxPrologueLength = maxPrologueLength;
        }

        @Override
        public void handle(Limit limit) {
            thread = Thread.currentThread();
            DataReader reader = ctx.dataReader();
            byte[] seen = reader.readBytes(Math.min(reader.available(), maxPrologueLength + 1));
            Verdict v = verdict(seen, maxPrologueLength);
            byte[] body = Dialect.body(v.dialect(), v.error());
            Status status = Status.create(v.error().status());
            String head = "HTTP/1.1 " + status.code() + " " + status.reasonPhrase() + "\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + body.length + "\r\nConnection: close\r\n\r\n";
            BufferData answer = BufferData.create(head.getBytes(StandardCharsets.US_ASCII));
            try {
                ctx.dataWriter().writeNow(BufferData.create(answer, BufferData.create(body)));
            } catch (RuntimeException clientGone) {
                return; // nobody to answer; Helidon closes the socket
            }
            drain(reader);
        }

        /** Reads and drops what follows until the client closes or the limit; Helidon then closes the socket. */
        private static void drain(DataReader reader) {
            long dropped = 0;
            try {
                while (dropped < DRAIN_LIMIT) {
                    int n = reader.available();
                    if (n == 0) {
                        reader.pullData();
                        continue;
                    }
                    reader.skip(n);
                    dropped += n;
                }
            } catch (RuntimeException closed) {
                // the client closed (or the head timeout closed the socket): nothing more to drop
            }
        }

        @Override
        public Duration idleTime() {
            return Duration.ofNanos(System.nanoTime() - started);
        }

        @Override
        public void close(boolean interrupt) {
            Thread t = thread;
            if (interrupt && t != null) {
                t.interrupt();
            }
        }
    }
}
