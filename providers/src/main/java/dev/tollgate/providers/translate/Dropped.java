package dev.tollgate.providers.translate;

import java.util.Map;
import java.util.TreeMap;

/**
 * What a translated request left behind on purpose, by kind ({@code reasoning}: parts another
 * provider made that this one cannot verify; {@code text.verbosity}, {@code web_search}: fields and
 * tools the target has no use for), counted for the request log so nothing is lost silently.
 */
public record Dropped(Map<String, Integer> counts) {

    public static final Dropped NONE = new Dropped(Map.of());

    public Dropped {
        counts = Map.copyOf(counts);
    }

    public boolean isEmpty() {
        return counts.isEmpty();
    }

    public Dropped plus(String kind, int n) {
        if (n <= 0) {
            return this;
        }
        Map<String, Integer> sum = new TreeMap<>(counts);
        sum.merge(kind, n, Integer::sum);
        return new Dropped(sum);
    }

    public Dropped plus(Dropped other) {
        Dropped sum = this;
        for (var e : other.counts.entrySet()) {
            sum = sum.plus(e.getKey(), e.getValue());
        }
        return sum;
    }
}
