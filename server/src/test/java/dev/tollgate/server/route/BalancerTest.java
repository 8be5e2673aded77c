package dev.tollgate.server.route;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BalancerTest {

    private record Target(String name, int weight) {
    }

    private static final List<Target> TARGETS = List.of(new Target("a", 3), new Target("b", 1));

    @Test
    void firstChoicesFollowTheWeights() {
        Map<String, Integer> first = new HashMap<>();
        int n = 20_000;
        for (int i = 0; i < n; i++) {
            first.merge(Balancer.order(TARGETS, Target::name, Target::weight, Optional.empty()).getFirst().name(), 1, Integer::sum);
        }
        double shareOfA = first.get("a") / (double) n;
        // 3:1 is 75%; 20,000 draws put the share within a percent or two of it.
        assertTrue(shareOfA > 0.72 && shareOfA < 0.78, "share of a: " + shareOfA);
    }

    @Test
    void everyCandidateIsInTheOrderOnce() {
        List<Target> order = Balancer.order(TARGETS, Target::name, Target::weight, Optional.empty());
        assertEquals(Set.copyOf(TARGETS), new HashSet<>(order));
        assertEquals(2, order.size());
    }

    @Test
    void aSessionAlwaysGetsTheSameOrderAndSessionsStillSpreadByWeight() {
        Map<String, Integer> first = new HashMap<>();
        for (int s = 0; s < 4000; s++) {
            Optional<String> session = Optional.of("session-" + s);
            List<Target> order = Balancer.order(TARGETS, Target::name, Target::weight, session);
            for (int again = 0; again < 3; again++) {
                assertEquals(order, Balancer.order(TARGETS, Target::name, Target::weight, session), "sticky");
            }
            first.merge(order.getFirst().name(), 1, Integer::sum);
        }
        double shareOfA = first.get("a") / 4000.0;
        assertTrue(shareOfA > 0.69 && shareOfA < 0.81, "share of a across sessions: " + shareOfA);
    }

    @Test
    void cooldownsEndAtTheTimeGiven() {
        TestClock clock = new TestClock();
        Cooldowns cooldowns = new Cooldowns(clock);
        cooldowns.cool("p#env:A", Duration.ofSeconds(2));
        assertTrue(cooldowns.cooling("p#env:A"));
        assertTrue(!cooldowns.cooling("p#env:B"));
        clock.advance(Duration.ofMillis(1999));
        assertTrue(cooldowns.cooling("p#env:A"));
        clock.advance(Duration.ofMillis(1));
        assertTrue(!cooldowns.cooling("p#env:A"));
    }
}
