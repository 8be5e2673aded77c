package dev.tollgate.server.route;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import java.util.function.ToIntFunction;

/**
 * Orders candidates by weight: a weighted draw without replacement (Efraimidis–Spirakis: each gets
 * the score -ln(u)/weight, lowest first). With a session, u comes from a hash of the session and the
 * candidate instead of a random number, so one conversation keeps landing on the same upstream (and
 * its prompt cache) while sessions still spread by weight; when that upstream is skipped the session
 * moves to its next choice, the same one every time.
 */
public final class Balancer {

    private Balancer() {
    }

    /**
     * @param key    a stable name for a candidate (hashed with the session)
     * @param weight its share of traffic, at least 1
     */
    public static <T> List<T> order(List<T> candidates, Function<T, String> key, ToIntFunction<T> weight, Optional<String> session) {
        if (candidates.size() < 2) {
            return List.copyOf(candidates);
        }
        record Scored<T>(T candidate, double score) {
        }
        List<Scored<T>> scored = new ArrayList<>(candidates.size());
        for (T c : candidates) {
            double u = session.map(s -> uniform(s + '\u0000' + key.apply(c))).orElseGet(Balancer::random);
            scored.add(new Scored<>(c, -Math.log(u) / Math.max(1, weight.applyAsInt(c))));
        }
        scored.sort(Comparator.comparingDouble(Scored::score));
        return scored.stream().map(Scored::candidate).toList();
    }

    private static double random() {
        double u = ThreadLocalRandom.current().nextDouble();
        return u == 0 ? Double.MIN_VALUE : u;
    }

    /** A number in (0, 1) that depends only on {@code s} (64-bit FNV-1a, then a mixer). */
    static double uniform(String s) {
        long h = 0xcbf29ce484222325L;
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            h ^= b;
            h *= 0x100000001b3L;
        }
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        return ((h >>> 11) + 0.5) / (double) (1L << 53);
    }
}
