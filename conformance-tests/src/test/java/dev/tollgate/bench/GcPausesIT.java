package dev.tollgate.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class GcPausesIT {

    // As JDK 25 writes them with -Xlog:gc:file=F:timemillis under the serial collector.
    private static final List<String> LOG = List.of(
            "[1764748000050ms] Using Serial",
            "[1764748000100ms] GC(0) Pause Young (Allocation Failure) 102M->9M(185M) 4.250ms",
            "[1764748001000ms] GC(1) Pause Full (Metadata GC Threshold) 40M->31M(185M) 250.125ms",
            "[1764748002000ms] GC(2) Pause Young (Allocation Failure) 133M->33M(185M) 1.500ms",
            "[1764748003000ms] GC(3) Pause Young (Allocation Failure) 135M->34M(185M) 2.750ms",
            "[1764748004000ms] GC(4) Pause Young (Allocation Failure) 136M->34M(185M) 9.000ms");

    @Test
    void countsOnlyThePausesThatEndedInsideTheWindow() {
        GcPauses p = GcPauses.in(LOG, 1764748001500L, 1764748003000L);
        assertEquals(new GcPauses(2, 4.25, 2.75), p);
    }

    @Test
    void aFullCollectionCountsLikeAnyOtherPause() {
        assertEquals(new GcPauses(2, 254.375, 250.125), GcPauses.in(LOG, 0, 1764748001000L));
    }

    @Test
    void aWindowWithoutPausesHasNone() {
        assertEquals(new GcPauses(0, 0, 0), GcPauses.in(LOG, 1764748004001L, Long.MAX_VALUE));
    }
}
