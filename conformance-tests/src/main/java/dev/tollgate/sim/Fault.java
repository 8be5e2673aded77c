package dev.tollgate.sim;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A failure to simulate, from the {@code x-sim-fault} header or the {@code /_sim/faults} queue.
 * Stream faults count SSE events (every {@code data:} line block, including pings and
 * {@code [DONE]}); on a non-streaming request they act before any byte of the body.
 */
sealed interface Fault permits Fault.Status, Fault.Reset, Fault.Stall, Fault.Malformed, Fault.Truncate, Fault.Hold {

    /**
     * Answer with an error status.
     *
     * @param status            HTTP status
     * @param retryAfterSeconds value of a {@code Retry-After} header, or -1 for none
     * @param body              exact body, or null for the endpoint's own error JSON
     */
    record Status(int status, long retryAfterSeconds, String body) implements Fault {
    }

    /** Write {@code afterEvents} events, then drop the connection without ending the response. */
    record Reset(int afterEvents) implements Fault {
    }

    /** Send nothing for {@code ms}, before the first byte or after {@code afterEvents} events. */
    record Stall(long ms, int afterEvents) implements Fault {
    }

    /** Write {@code afterEvents} events, then {@code data: {not json} and end the stream. */
    record Malformed(int afterEvents) implements Fault {
    }

    /**
     * Write {@code afterEvents} events, then end the response cleanly without the stream's terminal
     * event (a silent truncation); a non-streamed call gets the first half of its JSON answer.
     */
    record Truncate(int afterEvents) implements Fault {
    }

    /**
     * Write {@code afterEvents} events, then send nothing until {@code POST /_sim/faults/release} (or
     * {@link #MAX_HOLD_MS}), then go on: a test can do something (close its client connection) while the
     * stream is known to stand exactly there, with no timing guess.
     */
    record Hold(int afterEvents, java.util.concurrent.CountDownLatch released) implements Fault {
        static final long MAX_HOLD_MS = 30_000;

        void await() {
            try {
                released.await(MAX_HOLD_MS, java.util.concurrent.TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Parses {"status":503,...} / {"reset_after_chunks":N} / {"stall_ms":N} / {"malformed_after_chunks":N} / {"end_after_chunks":N}. */
    static Fault parse(JsonNode n) {
        if (n == null || !n.isObject()) {
            throw new IllegalArgumentException("a fault is a JSON object");
        }
        if (n.has("status")) {
            int status = n.get("status").asInt();
            if (status < 100 || status > 599) {
                throw new IllegalArgumentException("fault status out of range: " + n.get("status"));
            }
            JsonNode ra = n.get("retry_after");
            JsonNode body = n.get("body");
            return new Status(status, ra == null ? -1 : ra.asLong(),
                    body == null || body.isNull() ? null : body.isTextual() ? body.textValue() : body.toString());
        }
        if (n.has("reset_after_chunks")) {
            return new Reset(nonNegative(n, "reset_after_chunks"));
        }
        if (n.has("stall_ms")) {
            return new Stall(nonNegative(n, "stall_ms"), n.has("after_chunks") ? nonNegative(n, "after_chunks") : 0);
        }
        if (n.has("malformed_after_chunks")) {
            return new Malformed(nonNegative(n, "malformed_after_chunks"));
        }
        if (n.has("end_after_chunks")) {
            return new Truncate(nonNegative(n, "end_after_chunks"));
        }
        if (n.has("hold_after_chunks")) {
            return new Hold(nonNegative(n, "hold_after_chunks"), new java.util.concurrent.CountDownLatch(1));
        }
        throw new IllegalArgumentException("a fault needs one of status, reset_after_chunks, stall_ms, malformed_after_chunks, "
                + "end_after_chunks, hold_after_chunks: " + n);
    }

    private static int nonNegative(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (!v.canConvertToInt() || v.asInt() < 0) {
            throw new IllegalArgumentException(field + " must be a whole number >= 0");
        }
        return v.asInt();
    }
}
