package dev.tollgate.server.dispatch;

import dev.tollgate.providers.relay.StreamEnd;
import dev.tollgate.providers.sse.SseEvent;
import dev.tollgate.providers.sse.SseReader;
import dev.tollgate.providers.translate.TranslatedStream;
import dev.tollgate.providers.upstream.UpstreamResponse;
import dev.tollgate.server.route.Attempt;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * A 2xx answer read far enough, while nothing has reached the client, to know it can be relayed: a
 * primed stream, a whole body already read, or a translated stream already folded into one answer.
 */
sealed interface Answer {

    int MAX_UPSTREAM_BODY = 64 * 1024 * 1024;
    int FIRST_EVENT_LIMIT = 64 * 1024;

    record Stream() implements Answer {
    }

    record Whole(byte[] body) implements Answer {
    }

    record Folded(TranslatedStream.Folded folded) implements Answer {
    }

    /** An upstream 2xx that must not reach the client as a success: the attempt failed. */
    final class Unusable extends Exception {
        final Attempt.Outcome outcome;
        final String traceReason;

        Unusable(Attempt.Outcome outcome, String traceReason, String message) {
            super(message, null, false, false);
            this.outcome = outcome;
            this.traceReason = traceReason;
        }
    }

    /** A stream primed up to its first event, which must be a well-formed event. */
    static Answer.Stream firstEvent(UpstreamResponse response) throws Unusable {
        try {
            response.primeFirstEvent(FIRST_EVENT_LIMIT);
        } catch (IOException | UncheckedIOException e) {
            boolean timedOut = e instanceof java.net.SocketTimeoutException;
            throw new Unusable(timedOut ? Attempt.Outcome.TIMED_OUT : Attempt.Outcome.RESET, timedOut ? "timeout" : "reset",
                    "broke off its stream before the first event (" + e.getMessage() + ")");
        }
        checkFirstEvent(response);
        return new Answer.Stream();
    }

    /** A whole answer, which must be one JSON value. */
    static Answer.Whole wholeJson(UpstreamResponse response) throws Unusable {
        byte[] body;
        try {
            body = response.readBody(MAX_UPSTREAM_BODY);
        } catch (IOException | UncheckedIOException e) {
            throw new Unusable(Attempt.Outcome.RESET, "reset", "broke off its answer (" + e.getMessage() + ")");
        }
        if (!StreamEnd.oneJsonValue(body)) {
            throw new Unusable(Attempt.Outcome.UPSTREAM_ERROR, "malformed", "answered with a body that is not JSON ("
                    + body.length + " bytes)");
        }
        return new Answer.Whole(body);
    }

    /** A stream whose first event is not an event (not JSON, or no event at all) is an upstream failure, not an answer. */
    private static void checkFirstEvent(UpstreamResponse response) throws Unusable {
        if (!response.isServerSentEvents()) {
            return; // AWS frames carry their own checksums; the decoder judges them
        }
        byte[] ahead = response.primedBytes();
        if (ahead.length == 0) {
            throw new Unusable(Attempt.Outcome.UPSTREAM_ERROR, "empty", "ended its stream without any event");
        }
        if (!endsWithBlankLine(ahead)) {
            return; // a first event longer than the read-ahead: judged by the relay as it passes
        }
        SseEvent first;
        try {
            first = new SseReader(new java.io.ByteArrayInputStream(ahead)).next();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // reading an array does not fail
        }
        if (first != null && !StreamEnd.wellFormed(first)) {
            throw new Unusable(Attempt.Outcome.UPSTREAM_ERROR, "malformed", "sent a malformed first event");
        }
    }

    private static boolean endsWithBlankLine(byte[] b) {
        int n = b.length;
        return n >= 2 && b[n - 1] == '\n' && (b[n - 2] == '\n' || (n >= 3 && b[n - 2] == '\r' && b[n - 3] == '\n'));
    }
}
