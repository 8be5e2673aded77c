package dev.tollgate.server.errors;

import java.util.List;
import java.util.Map;

/**
 * Every way the gateway itself refuses or fails a request. Each variant knows its HTTP status and
 * a message that says what happened and what to do; a surface renders it in its client's dialect.
 */
public sealed interface GatewayError {

    int status();

    String message();

    /** Headers the answer carries besides the body (Retry-After, rate-limit state); none by default. */
    default Map<String, String> headers() {
        return Map.of();
    }

    /** No usable virtual key: which of missing, unknown, expired or revoked it is (the key is never echoed). */
    record Unauthorized(Reason reason, String message) implements GatewayError {
        public enum Reason { MISSING, UNKNOWN, EXPIRED, REVOKED }

        public int status() {
            return 401;
        }
    }

    /** The key may not use this model; {@code rule} names the glob and where it is declared. */
    record ModelDenied(String model, String rule) implements GatewayError {
        public int status() {
            return 403;
        }

        public String message() {
            return "The model '" + model + "' is not allowed for this key: " + rule
                    + ". GET /v1/models lists the models this key may use; ask the platform team to change the policy.";
        }
    }

    /**
     * A model without a price while a budget applies: the budget could not hold what it costs, so the
     * request is refused rather than served free.
     */
    record ModelUnpriced(String model, String keyId) implements GatewayError {
        public int status() {
            return 400;
        }

        public String message() {
            return "The model '" + model + "' has no price on this gateway, and the budgets of key '" + keyId
                    + "' cannot hold what it would cost. Ask the platform team to price it (a pricing: row for '" + model
                    + "', USD per million tokens) or, for a free self-hosted model, to set unpriced: allow; or use a priced model (GET /v1/models).";
        }
    }

    /** A rate limit or the concurrency cap; {@code headers} carry Retry-After (Codex retries a 429 only with it). */
    record RateLimited(String message, Map<String, String> headers) implements GatewayError {
        public int status() {
            return 429;
        }
    }

    /**
     * An agent session paused by the runaway brake: 429 with Retry-After (until the pause ends; an
     * operator may resume it sooner), the message saying which rule tripped and how to go on.
     */
    record SessionPaused(String message, Map<String, String> headers) implements GatewayError {
        public int status() {
            return 429;
        }
    }

    /**
     * A budget would go over. 400, not 429 or 402: Codex retries 402/403 five times and hides a 429's
     * body, but prints a 400's body once and stops; Claude Code prints it once too. (Google's dialect
     * answers otherwise: see {@link GoogleErrors}.)
     *
     * @param resets the first day of the budget's next period (UTC); null for a total budget
     */
    record BudgetExhausted(String message, java.time.LocalDate resets) implements GatewayError {
        public BudgetExhausted(String message) {
            this(message, null);
        }

        public int status() {
            return 400;
        }
    }

    /** A malformed or mistyped request body. */
    record BadRequest(String message, String param) implements GatewayError {
        public int status() {
            return 400;
        }
    }

    record ModelNotFound(String model, List<String> closeMatches) implements GatewayError {
        public int status() {
            return 404;
        }

        public String message() {
            return "The model '" + model + "' does not exist on this gateway."
                    + (closeMatches.isEmpty() ? "" : " Did you mean: " + String.join(", ", closeMatches) + "?")
                    + " GET /v1/models lists the models you can use.";
        }
    }

    record BodyTooLarge(long limitBytes) implements GatewayError {
        public int status() {
            return 413;
        }

        public String message() {
            return "The request body is larger than this gateway accepts (" + limitBytes
                    + " bytes). Send less context or smaller images, or ask the platform team to raise tollgate.body.limit.";
        }
    }

    record UnknownPath(String method, String path) implements GatewayError {
        public int status() {
            return 404;
        }

        public String message() {
            return "There is no " + method + " " + path + " on this gateway. OpenAI clients use a base URL ending in /v1 "
                    + "(POST /v1/chat/completions, /v1/responses, /v1/embeddings; GET /v1/models).";
        }
    }

    /** A path no surface serves, with a hint in the surface's own terms. */
    record NoSuchPath(String message) implements GatewayError {
        public int status() {
            return 404;
        }
    }

    /**
     * The HTTP request itself cannot be taken: its framing, its headers or its encoding (415 for a
     * Content-Encoding, 431 for headers too large). Answered before any surface reads it.
     */
    record HttpRefused(int status, String message) implements GatewayError {
    }

    /** A bug: the gateway failed on a request it should have served; the log has one line under {@code requestId}. */
    record Internal(String requestId) implements GatewayError {
        public int status() {
            return 500;
        }

        public String message() {
            return "The gateway failed on this request (logged as " + requestId + "). Retrying may not help: "
                    + "tell the platform team the request id.";
        }
    }

    /** The provider is declared but cannot be called: its credential is missing, for instance. */
    record ProviderNotReady(String message) implements GatewayError {
        public int status() {
            return 503;
        }
    }

    /** The upstream could not be reached, broke, or rejected the gateway's own credential. */
    record UpstreamFailed(String message) implements GatewayError {
        public int status() {
            return 502;
        }
    }

    /**
     * The provider refused the call (after translation, its error is re-rendered in the client's
     * dialect with the provider's status, so retry decisions stay the client's).
     */
    record UpstreamRejected(int status, String message) implements GatewayError {
    }

    record UpstreamTimeout(String message) implements GatewayError {
        public int status() {
            return 504;
        }
    }

    /**
     * The shared state store (Redis) that budgets and limits live in when several nodes share them
     * does not answer: nothing can be admitted safely, so the client retries; the node recovers by itself.
     */
    record SharedStateUnreachable() implements GatewayError {
        public int status() {
            return 503;
        }

        public Map<String, String> headers() {
            return Map.of("retry-after", "2");
        }

        public String message() {
            return "The gateway's shared state store (Redis, which keeps budgets and rate limits for all gateway nodes) is "
                    + "unreachable, so the request was not sent; retry in a few seconds. Operators: check Redis and GET /health/ready.";
        }
    }

    /** The gateway is at a cap that protects its memory (request bodies held at once); the client retries shortly. */
    record Overloaded(String message) implements GatewayError {
        public int status() {
            return 503;
        }

        public Map<String, String> headers() {
            return Map.of("retry-after", "1");
        }
    }

    /** Shutting down: the client should retry, and will reach another node or the restarted one. */
    record Draining() implements GatewayError {
        public int status() {
            return 503;
        }

        public Map<String, String> headers() {
            return Map.of("retry-after", "1");
        }

        public String message() {
            return "The gateway is shutting down and takes no new requests; retry in a moment.";
        }
    }
}
