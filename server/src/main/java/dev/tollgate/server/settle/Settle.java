package dev.tollgate.server.settle;

import dev.tollgate.providers.sse.SseEvent;
import dev.tollgate.providers.usage.Usage;

/**
 * What an exchange tells the settle stage while it relays an answer: the usage its tap reports, so the
 * spend is committed before the answer's final bytes reach the client and a stream cut short is charged
 * for what was generated.
 */
public interface Settle {

    /** Nothing to settle: the policy declares no keys. */
    Settle NONE = new Settle() {
        @Override
        public void beforeEvent(SseEvent event, Usage usageSoFar, long deltasSoFar) {
        }

        @Override
        public void beforeBody(int status, Usage usage) {
        }

        @Override
        public void finish(int status, Usage usage) {
        }
    };

    /** Before a stream event is written; a final event commits the spend first. */
    void beforeEvent(SseEvent event, Usage usageSoFar, long deltasSoFar);

    /** Before a whole answer is written. */
    void beforeBody(int status, Usage usage);

    /** The request is over (answered, failed or abandoned): settle if not yet done, release its limits. Idempotent. */
    void finish(int status, Usage usage);
}
