package dev.tollgate.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The stop-the-world pauses a JVM logged during a measured window, read from its unified GC log
 * ({@code -Xlog:gc:file=F:timemillis}): a pause stalls every request in flight, so it tells whether a
 * leg's tail is the collector's or something else's.
 *
 * @param count   pauses that ended inside the window
 * @param totalMs their summed length
 * @param maxMs   the longest of them (0 when none)
 */
public record GcPauses(int count, double totalMs, double maxMs) {

    // [1764748000123ms] GC(12) Pause Young (Allocation Failure) 110M->14M(185M) 1.523ms
    private static final Pattern PAUSE = Pattern.compile("^\\[(\\d+)ms\\].* Pause .* (\\d+(?:\\.\\d+)?)ms$");

    /** The pauses logged in {@code log} that ended between the two wall-clock instants, in epoch milliseconds. */
    public static GcPauses in(Path log, long fromEpochMs, long toEpochMs) {
        try {
            return in(Files.readAllLines(log), fromEpochMs, toEpochMs);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the GC log " + log, e);
        }
    }

    static GcPauses in(List<String> lines, long fromEpochMs, long toEpochMs) {
        int count = 0;
        double total = 0;
        double max = 0;
        for (String line : lines) {
            Matcher m = PAUSE.matcher(line);
            if (!m.matches()) {
                continue;
            }
            long endedAt = Long.parseLong(m.group(1));
            if (endedAt >= fromEpochMs && endedAt <= toEpochMs) {
                double ms = Double.parseDouble(m.group(2));
                count++;
                total += ms;
                max = Math.max(max, ms);
            }
        }
        return new GcPauses(count, total, max);
    }
}
