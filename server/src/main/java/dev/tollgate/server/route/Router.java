package dev.tollgate.server.route;

import dev.tollgate.policy.PolicySnapshot;
import dev.tollgate.policy.Route;
import dev.tollgate.server.call.ModelName;
import dev.tollgate.server.call.SessionId;
import dev.tollgate.server.errors.GatewayError;
import dev.tollgate.server.errors.GatewayException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Predicate;

/** Turns the requested model name into the ordered targets that may serve it. */
public final class Router {

    /** Models to fall back to for this request only, after the route's own: {@code x-tollgate-fallbacks: model-a,model-b}. */
    public static final String FALLBACKS_HEADER = "x-tollgate-fallbacks";
    /** Headers naming a conversation, first present wins: ours, then Codex's. */
    public static final List<String> SESSION_HEADERS = SessionId.HEADERS;
    private static final int MAX_CLIENT_FALLBACKS = 5;
    /** Five model names with room to spare; a longer header is a mistake, not a list. */
    private static final int MAX_FALLBACKS_HEADER = 1024;

    public Route route(PolicySnapshot policy, String model) throws GatewayException {
        return policy.resolve(model)
                .orElseThrow(() -> new GatewayException(new GatewayError.ModelNotFound(model, policy.closeMatches(model, 3))));
    }

    /**
     * The route with the client's own fallbacks appended (each one's targets in policy order) and the
     * session read from the headers.
     *
     * @param header  a request header by lower-case name
     * @param allowed whether the caller may use a model named as a fallback; others are ignored
     */
    public Routed route(PolicySnapshot policy, String model, Function<String, Optional<String>> header, Predicate<String> allowed)
            throws GatewayException {
        return route(policy, model, header, SessionId.named(header, Optional.empty()), allowed);
    }

    /** The same, with the session already read ({@link SessionId#named}) by the caller. */
    public Routed route(PolicySnapshot policy, String model, Function<String, Optional<String>> header, Optional<String> session,
                        Predicate<String> allowed) throws GatewayException {
        Route route = route(policy, model);
        Optional<String> named = header.apply(FALLBACKS_HEADER);
        if (named.isEmpty() || named.get().isBlank()) {
            return new Routed(route, session);
        }
        if (named.get().length() > MAX_FALLBACKS_HEADER) {
            throw new GatewayException(new GatewayError.BadRequest(FALLBACKS_HEADER + " is longer than " + MAX_FALLBACKS_HEADER
                    + " characters: name at most " + MAX_CLIENT_FALLBACKS + " models, separated by commas.", null));
        }
        List<Route.Target> targets = new ArrayList<>(route.targets());
        for (String name : fallbackNames(named.get(), model)) {
            Optional<Route> fallback = allowed.test(name) ? policy.resolve(name) : Optional.empty();
            fallback.ifPresent(f -> f.targets().stream().filter(t -> !targets.contains(t)).forEach(targets::add));
        }
        return new Routed(new Route(route.model(), targets, route.primaries(), route.retry()), session);
    }

    /**
     * The names in {@value #FALLBACKS_HEADER} (at most {@value #MAX_CLIENT_FALLBACKS}, the requested
     * model left out), or a 400 when one is not a model name: they are names like the body's.
     */
    public static List<String> fallbackNames(String header, String model) throws GatewayException {
        List<String> names = Arrays.stream(header.split(",")).map(String::trim).filter(n -> !n.isEmpty() && !n.equals(model))
                .distinct().limit(MAX_CLIENT_FALLBACKS).toList();
        for (String name : names) {
            ModelName.parse(name, FALLBACKS_HEADER, null);
        }
        return names;
    }
}
