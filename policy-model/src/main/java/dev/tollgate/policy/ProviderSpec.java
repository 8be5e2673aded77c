package dev.tollgate.policy;

import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One provider kind as the policy loader knows it: its name, the settings it takes and the checks
 * that need several fields. Each provider's adapter (in {@code providers/}) is one; the loader finds
 * them through {@link ProviderSpecs}, so a new kind needs no change here.
 */
public interface ProviderSpec {

    /** The policy's {@code kind:} value. */
    ProviderKind kind();

    /** Every setting this kind takes; any other is refused, listing these. */
    List<Setting> settings();

    /** Whether {@code base_url} may be left out because the kind derives it from its settings. */
    default boolean derivesBaseUrl() {
        return false;
    }

    /**
     * Checks what needs more than one field (required settings, credentials, the base URL's shape) and
     * returns the base URL to use, or null when there is none. Each setting's own type is already
     * checked; problems are reported against a field relative to the provider ({@code settings.region}).
     */
    default URI check(Declared provider, Problems problems) {
        return provider.baseUrl();
    }

    /** A provider as written, for {@link #check}. */
    record Declared(String id, Map<String, String> settings, URI baseUrl, boolean hasCredential, List<Credential> credentials) {
    }

    /** Where {@link #check} reports, by field. */
    interface Problems {
        void at(String field, String message);
    }

    /** What one setting holds; its value is checked against its type when the policy loads. */
    record Setting(String name, Type type, String description, List<String> choices) {

        /** {@code CHOICES}: one of the choices or a list of them (a YAML list is read as "a,b"), none twice. */
        public enum Type { TEXT, WHOLE, CHOICE, CHOICES, REFERENCE }

        public static Setting text(String name, String description) {
            return new Setting(name, Type.TEXT, description, List.of());
        }

        public static Setting whole(String name, String description) {
            return new Setting(name, Type.WHOLE, description, List.of());
        }

        public static Setting choice(String name, String description, String... choices) {
            return new Setting(name, Type.CHOICE, description, List.of(choices));
        }

        public static Setting choices(String name, String description, String... choices) {
            return new Setting(name, Type.CHOICES, description, List.of(choices));
        }

        /** A {@link Type#CHOICES} value as its list: "chat, responses" -> [chat, responses]. */
        public static List<String> listed(String value) {
            return value == null ? List.of()
                    : java.util.Arrays.stream(value.split(",")).map(String::trim).filter(v -> !v.isEmpty()).toList();
        }

        public static Setting reference(String name, String description) {
            return new Setting(name, Type.REFERENCE, description, List.of());
        }

        /** What is wrong with a value of this setting, if anything. */
        public Optional<String> problem(String value) {
            return switch (type) {
                case TEXT -> value.isBlank() ? Optional.of("'" + name + "' must not be empty") : Optional.empty();
                case WHOLE -> value.matches("[1-9][0-9]{0,8}") ? Optional.empty()
                        : Optional.of("'" + name + "' must be a whole number from 1 to 999999999, found '" + shown(value) + "'");
                case CHOICE -> choices.contains(value) ? Optional.empty()
                        : Optional.of("'" + name + "' must be " + oneOf() + ", found '" + shown(value) + "'");
                case CHOICES -> {
                    List<String> listed = listed(value);
                    if (listed.isEmpty() || !choices.containsAll(listed) || listed.stream().distinct().count() != listed.size()) {
                        yield Optional.of("'" + name + "' must be " + oneOf() + ", or a list of them each at most once, found '"
                                + shown(value) + "'");
                    }
                    yield Optional.empty();
                }
                case REFERENCE -> {
                    try {
                        SecretRef.parse(value);
                        yield Optional.empty();
                    } catch (IllegalArgumentException e) {
                        yield Optional.of(e.getMessage());
                    }
                }
            };
        }

        /** "a", "a or b", "a, b or c". */
        private String oneOf() {
            int n = choices.size();
            return n == 1 ? choices.getFirst() : String.join(", ", choices.subList(0, n - 1)) + " or " + choices.get(n - 1);
        }

        private static String shown(String value) {
            return value.length() > 40 ? value.substring(0, 40) + "..." : value;
        }
    }

    /** Adapters are found as sources of specs (a provider module lists its kinds in one place). */
    interface Source {
        List<? extends ProviderSpec> specs();
    }
}
