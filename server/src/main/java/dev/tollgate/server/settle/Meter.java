package dev.tollgate.server.settle;

import dev.tollgate.providers.sse.SseEvent;
import dev.tollgate.providers.usage.Usage;

/**
 * What the dispatcher tells governance while it relays an answer, so the spend is committed before
 * the answer's final bytes reach the client and a stream cut short is charged for what was generated.
 */
public interface Meter {

    /** Nothing to meter: the policy declares no keys. */
    Meter NONE = new Meter() {
        @Override
        public void beforeEvent(SseEvent event, Usage usageSoFar) {
        }

        @Override
        public void beforeBody(int status, Usage usage) {
        }

        @Override
        public void finish(int status, Usage usage) {
        }
    };

    /** Before a stream event is written; a final event commits the spend first. */
    void beforeEvent(SseEvent event, Usage usageSoFar);

    /** Before a whole answer is written. */
    void beforeBody(int status, Usage usage);

    /** The request is over (answered, failed or abandoned): settle if not yet done, release its limits. Idempotent. */
    void finish(int status, Usage usage);
}
