package dev.tollgate.server.telemetry;

import dev.tollgate.policy.PolicySnapshot;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerRequest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Optional;

/**
 * Who may scrape {@code /metrics} on the main port: a bearer token equal to the scrape token
 * (tollgate.metrics.token, compared in constant time) or an admin token of the policy in force. The
 * management port, when there is one, needs neither: it is meant for a private network.
 */
final class MetricsAccess {

    private final Optional<String> token;

    /** @param token the token itself, {@code env:NAME} or {@code file:PATH}; read at each scrape, so a rotated file counts at once */
    MetricsAccess(Optional<String> token) {
        this.token = token;
    }

    boolean allows(ServerRequest req, PolicySnapshot policy) {
        Optional<String> bearer = req.headers().first(HeaderNames.AUTHORIZATION)
                .filter(h -> h.length() > 7 && h.regionMatches(true, 0, "Bearer ", 0, 7))
                .map(h -> h.substring(7).trim())
                .filter(b -> !b.isEmpty());
        if (bearer.isEmpty()) {
            return false;
        }
        Optional<String> expected = resolve();
        // Digests of equal length, so the comparison's time says nothing about the token's length or prefix.
        if (expected.isPresent() && MessageDigest.isEqual(sha256(bearer.get()), sha256(expected.get()))) {
            return true;
        }
        return policy.adminBySecret(bearer.get()).isPresent();
    }

    private Optional<String> resolve() {
        if (token.isEmpty()) {
            return Optional.empty();
        }
        String t = token.get();
        if (t.startsWith("env:")) {
            return Optional.ofNullable(System.getenv(t.substring(4))).map(String::trim).filter(v -> !v.isEmpty());
        }
        if (t.startsWith("file:")) {
            try {
                return Optional.of(Files.readString(Path.of(t.substring(5))).trim()).filter(v -> !v.isEmpty());
            } catch (IOException e) {
                return Optional.empty();
            }
        }
        return Optional.of(t);
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
