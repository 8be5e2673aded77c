package dev.tollgate.server.settle;

import dev.tollgate.providers.sse.SseEvent;
import dev.tollgate.providers.usage.Usage;
import java.util.function.LongSupplier;

/**
 * What an exchange tells the settle stage while it relays an answer: the usage its tap reports, so the
 * spend is committed before the answer's final bytes reach the client, and a stream cut short is charged
 * for what was reported and relayed.
 */
public interface Settle {

    /** Nothing to settle: the policy declares no keys. */
    Settle NONE = new Settle() {
        @Override
        public void beforeEvent(SseEvent event, Usage usageSoFar, LongSupplier outputRelayed) {
        }

        @Override
        public void beforeBody(int status, Usage usage) {
        }

        @Override
        public void cutShort(Usage reportedSoFar, long outputRelayed, String why) {
        }

        @Override
        public void finish(int status, Usage usage) {
        }
    };

    /**
     * Before a stream event is written; a final event commits the spend first.
     *
     * @param outputRelayed tokens of the content relayed so far, asked only when the provider reported no usage
     */
    void beforeEvent(SseEvent event, Usage usageSoFar, LongSupplier outputRelayed);

    /** Before a whole answer is written. */
    void beforeBody(int status, Usage usage);

    /**
     * A stream under way ended without the provider's final count (the client went away, the upstream
     * broke): charged what the provider had reported, else the counted input, and at least the output
     * relayed. Does nothing once settled.
     *
     * @param why for the request log, e.g. "the client went away"
     */
    void cutShort(Usage reportedSoFar, long outputRelayed, String why);

    /** The request is over (answered, failed or abandoned): settle if not yet done, release its limits. Idempotent. */
    void finish(int status, Usage usage);
}
