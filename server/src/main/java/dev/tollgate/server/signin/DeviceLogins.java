package dev.tollgate.server.signin;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Device-style sign-ins: a terminal without a browser gets a device code (kept secret, polled with)
 * and a short user code the person enters at the gateway in a browser elsewhere. The gateway is then
 * the provider's client itself (the redirect comes back to the gateway) and holds the issued key
 * until the terminal polls it, once.
 */
final class DeviceLogins {

    static final Duration LIFETIME = Duration.ofMinutes(10);
    static final int MAX = 10_000;
    /** No 0/O, 1/I/L: read aloud or typed from another screen. */
    private static final String ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";

    sealed interface State {
    }

    record Pending() implements State {
    }

    /** {@code person}: who signed in, for what a flow adds to the answer (Claude Code's refresh token). */
    record Issued(com.fasterxml.jackson.databind.node.ObjectNode answer, IdentityProvider.Verified person) implements State {
    }

    record Failed(SignInRefused reason) implements State {
    }

    /** Who asked for the code: `tollgate login --device`, or Claude Code's gateway login (RFC 8628 answers, optional client_id). */
    enum Flow {
        TOLLGATE, CLAUDE_CODE
    }

    /** {@code clientId}: the OAuth client_id sent with the device authorization, or null; {@code lastPoll}: null before the first. */
    record Device(String deviceCode, String userCode, Instant expires, State state, Flow flow, String clientId, Instant lastPoll) {
        Device with(State next) {
            return new Device(deviceCode, userCode, expires, next, flow, clientId, lastPoll);
        }

        Device polledAt(Instant when) {
            return new Device(deviceCode, userCode, expires, state, flow, clientId, when);
        }
    }

    private final ConcurrentHashMap<String, Device> byDevice = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, String> deviceByUser = new ConcurrentHashMap<>();
    private final Clock clock;

    DeviceLogins(Clock clock) {
        this.clock = clock;
    }

    Optional<Device> start() {
        return start(Flow.TOLLGATE, null);
    }

    Optional<Device> start(Flow flow, String clientId) {
        Instant now = clock.instant();
        byDevice.values().removeIf(d -> {
            boolean old = now.isAfter(d.expires());
            if (old) {
                deviceByUser.remove(d.userCode());
            }
            return old;
        });
        if (byDevice.size() >= MAX) {
            return Optional.empty();
        }
        String user;
        do {
            user = userCode();
        } while (deviceByUser.containsKey(user));
        Device d = new Device(SignInRoutes.random(32), user, now.plus(LIFETIME), new Pending(), flow, clientId, null);
        byDevice.put(d.deviceCode(), d);
        deviceByUser.put(user, d.deviceCode());
        return Optional.of(d);
    }

    /** The pending sign-in a user code names; empty when unknown, expired or already used. */
    Optional<Device> byUserCode(String userCode) {
        String normalized = userCode == null ? "" : userCode.trim().toUpperCase(java.util.Locale.ROOT).replace(" ", "");
        if (normalized.length() == 8) {
            normalized = normalized.substring(0, 4) + "-" + normalized.substring(4);
        }
        String device = deviceByUser.get(normalized);
        Device d = device == null ? null : byDevice.get(device);
        return d == null || clock.instant().isAfter(d.expires()) || !(d.state() instanceof Pending) ? Optional.empty() : Optional.of(d);
    }

    /** The device a code names, without counting a poll or using it up. */
    Optional<Device> peek(String deviceCode) {
        return Optional.ofNullable(deviceCode == null ? null : byDevice.get(deviceCode));
    }

    void settle(String deviceCode, State state) {
        byDevice.computeIfPresent(deviceCode, (k, d) -> d.with(state));
    }

    /**
     * What the terminal gets when it polls: the device as it was before this poll (its {@code lastPoll} the
     * previous one, for slow_down), removed once it is no longer pending (a code is used once).
     */
    Optional<Device> poll(String deviceCode) {
        Device d = byDevice.get(deviceCode);
        if (d == null) {
            return Optional.empty();
        }
        byDevice.computeIfPresent(deviceCode, (k, x) -> x.polledAt(clock.instant()));
        if (!(d.state() instanceof Pending) || clock.instant().isAfter(d.expires())) {
            byDevice.remove(deviceCode);
            deviceByUser.remove(d.userCode());
        }
        return Optional.of(d);
    }

    private static String userCode() {
        StringBuilder b = new StringBuilder();
        java.security.SecureRandom r = new java.security.SecureRandom();
        for (int i = 0; i < 8; i++) {
            if (i == 4) {
                b.append('-');
            }
            b.append(ALPHABET.charAt(r.nextInt(ALPHABET.length())));
        }
        return b.toString();
    }
}
