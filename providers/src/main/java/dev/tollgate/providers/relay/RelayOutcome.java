package dev.tollgate.providers.relay;

import java.io.IOException;

/** How a relayed stream ended. */
public sealed interface RelayOutcome {

    /** The upstream finished and the client got every event. */
    record Completed() implements RelayOutcome {
    }

    /** The client went away; the upstream call was abandoned. */
    record ClientGone(IOException cause) implements RelayOutcome {
    }

    /** The upstream broke or stalled after some events had reached the client. */
    record UpstreamBroke(IOException cause, int eventsRelayed) implements RelayOutcome {
    }
}
