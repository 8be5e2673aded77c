package dev.tollgate.server.route;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tollgate.policy.Provider;
import dev.tollgate.policy.ProviderKind;
import dev.tollgate.policy.Retry;
import dev.tollgate.policy.Route;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RoutePlanTest {

    private final TestClock clock = new TestClock();
    private final Upstreams upstreams = new Upstreams(clock);

    private static Provider provider(String id, Provider.Breaker breaker) {
        return new Provider(id, ProviderKind.of("openai-compatible"), URI.create("http://127.0.0.1:9/v1"), List.of(), Map.of(), Map.of(),
                Provider.Timeouts.DEFAULT, breaker);
    }

    private static Route route(Retry retry, Route.Target... targets) {
        return new Route("m", List.of(targets), 1, retry);
    }

    private RoutePlan.Step.Try next(RoutePlan plan) throws InterruptedException {
        return assertInstanceOf(RoutePlan.Step.Try.class, plan.next().orElseThrow());
    }

    @Test
    void noFurtherAttemptStartsOnceTheTimeBudgetIsSpent() throws Exception {
        Route.Target a = new Route.Target(provider("a", Provider.Breaker.DEFAULT), "ma", 1);
        Route.Target b = new Route.Target(provider("b", Provider.Breaker.DEFAULT), "mb", 1);
        Retry retry = new Retry(1, Duration.ZERO, Duration.ZERO, Duration.ofSeconds(30), Duration.ofSeconds(10));

        RoutePlan inTime = new RoutePlan(upstreams, Routed.of(route(retry, a, b)));
        RoutePlan.Step.Try tried = next(inTime);
        assertEquals(a, tried.target());
        clock.advance(Duration.ofSeconds(9));
        assertTrue(inTime.failed(tried, Attempt.Outcome.TIMED_OUT, 0, Optional.empty()));
        assertEquals(b, next(inTime).target(), "within the budget the fallback is tried");

        RoutePlan late = new RoutePlan(upstreams, Routed.of(route(retry, a, b)));
        RoutePlan.Step.Try first = next(late);
        clock.advance(Duration.ofSeconds(10)); // the first attempt took the whole budget
        assertFalse(late.failed(first, Attempt.Outcome.TIMED_OUT, 0, Optional.empty()), "the fallback would outlast what the client waits");
        assertTrue(late.next().isEmpty());
        assertEquals(List.of(Attempt.Outcome.TIMED_OUT), late.attempts().stream().map(Attempt::outcome).toList());
    }

    @Test
    void aRetryAfterLongerThanTheCapMovesOnInsteadOfWaiting() throws Exception {
        Route.Target a = new Route.Target(provider("a", Provider.Breaker.DEFAULT), "ma", 1);
        Route.Target b = new Route.Target(provider("b", Provider.Breaker.DEFAULT), "mb", 1);
        Retry retry = new Retry(3, Duration.ZERO, Duration.ZERO, Duration.ofSeconds(5), Duration.ofSeconds(60));
        RoutePlan plan = new RoutePlan(upstreams, Routed.of(route(retry, a, b)));
        RoutePlan.Step.Try first = next(plan);
        assertTrue(plan.failed(first, Attempt.Outcome.UPSTREAM_ERROR, 503, Optional.of(Duration.ofSeconds(120))));
        assertEquals(b, next(plan).target(), "not a second attempt on a after a 120 s Retry-After");
    }

    @Test
    void circuitsAndCooldownsOutliveAPolicySwapUnlessTheirSettingsChange() {
        Provider.Breaker tight = new Provider.Breaker(1, 0.5, 10, Duration.ofSeconds(30), Duration.ofSeconds(30));
        Route.Target before = new Route.Target(provider("a", tight), "ma", 1);
        Route.Target sameAfterSwap = new Route.Target(provider("a", tight), "ma", 2);
        assertSame(upstreams.circuit(before), upstreams.circuit(sameAfterSwap), "keyed by provider id and model, not by snapshot");
        Route.Target changed = new Route.Target(provider("a", Provider.Breaker.DEFAULT), "ma", 1);
        assertNotSame(upstreams.circuit(before), upstreams.circuit(changed), "new settings start a fresh circuit");
    }

    @Test
    void whenEveryTargetsCircuitIsOpenTheyAreTriedAnywayInOrder() throws Exception {
        Provider.Breaker tight = new Provider.Breaker(1, 0.5, 10, Duration.ofSeconds(30), Duration.ofSeconds(30));
        Route.Target a = new Route.Target(provider("a", tight), "ma", 1);
        Route.Target b = new Route.Target(provider("b", tight), "mb", 1);
        upstreams.circuit(a).onFailure();
        upstreams.circuit(b).onFailure();
        RoutePlan plan = new RoutePlan(upstreams, Routed.of(route(Retry.DEFAULT, a, b)));
        RoutePlan.Step.Try first = next(plan);
        assertEquals(a, first.target(), "a circuit never takes the whole route down");
        assertTrue(plan.failed(first, Attempt.Outcome.UPSTREAM_ERROR, 503, Optional.empty()));
        assertEquals(b, next(plan).target());
    }

    @Test
    void aCoolingTargetIsPassedOverWhileAnotherIsLeftAndTriedWhenNoneIs() throws Exception {
        Route.Target a = new Route.Target(provider("a", Provider.Breaker.DEFAULT), "ma", 1);
        Route.Target b = new Route.Target(provider("b", Provider.Breaker.DEFAULT), "mb", 1);
        upstreams.cooldowns().cool(Upstreams.credentialKey(a.provider(), ""), Duration.ofSeconds(5));
        assertEquals(b, next(new RoutePlan(upstreams, Routed.of(route(Retry.DEFAULT, a, b)))).target());
        assertEquals(a, next(new RoutePlan(upstreams, Routed.of(route(Retry.DEFAULT, a)))).target(),
                "alone, it is asked anyway: its own 429 and Retry-After reach the client");
        clock.advance(Duration.ofSeconds(5));
        assertEquals(a, next(new RoutePlan(upstreams, Routed.of(new Route("m", List.of(a, b), 1, Retry.DEFAULT)))).target(), "cooled down");
    }
}
