package dev.tollgate.policy;

/**
 * Where a provider credential lives; the policy never holds the secret itself.
 * {@code env:NAME} reads an environment variable, {@code file:PATH} a file's trimmed content.
 */
public record SecretRef(Scheme scheme, String location) {

    public enum Scheme { ENV, FILE }

    public static SecretRef parse(String text) {
        int colon = text.indexOf(':');
        String prefix = colon < 0 ? "" : text.substring(0, colon);
        String rest = colon < 0 ? "" : text.substring(colon + 1);
        if (!rest.isBlank()) {
            switch (prefix) {
                case "env":
                    return new SecretRef(Scheme.ENV, rest);
                case "file":
                    return new SecretRef(Scheme.FILE, rest);
                default:
                    break;
            }
        }
        throw new IllegalArgumentException("a credential must be a reference like env:OPENAI_API_KEY or file:/run/secrets/openai, not '"
                + redact(text) + "'; never put the secret itself in the policy");
    }

    /** Shows enough to locate a mistake without printing what may be a pasted secret. */
    private static String redact(String text) {
        return text.length() <= 6 ? text : text.substring(0, 4) + "…(" + text.length() + " chars)";
    }

    @Override
    public String toString() {
        return scheme.name().toLowerCase() + ":" + location;
    }
}
