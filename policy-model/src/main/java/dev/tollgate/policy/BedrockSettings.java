package dev.tollgate.policy;

import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.regex.Pattern;

/**
 * What a {@code bedrock} provider needs beyond the common fields: {@code settings.region} (the
 * signing region, and the default endpoint's), the access key id (and an optional session token)
 * by reference in settings, and the secret access key as the provider's one {@code credential}.
 */
public final class BedrockSettings {

    public static final String REGION = "region";
    public static final String ACCESS_KEY_ID = "access-key-id";
    public static final String SESSION_TOKEN = "session-token";

    private static final Pattern REGION_SHAPE = Pattern.compile("[a-z]{2}(-[a-z]+)+-\\d{1,2}");

    private BedrockSettings() {
    }

    /** The regional runtime endpoint, e.g. https://bedrock-runtime.us-east-1.amazonaws.com. */
    public static URI defaultBaseUrl(String region) {
        return URI.create("https://bedrock-runtime." + region + ".amazonaws.com");
    }

    /**
     * Reports each problem against a field of the provider; returns the base URL to use (the
     * declared one, or the region's default), or null when it cannot be known.
     */
    static URI check(Map<String, String> settings, URI declared, List<Credential> credentials, boolean baseUrlAbsent,
                     BiConsumer<String, String> problem) {
        String region = settings.get(REGION);
        URI uri = declared;
        if (region == null) {
            problem.accept("settings", "a bedrock provider needs settings.region, e.g. region: us-east-1 (the region requests are signed for)");
        } else if (!REGION_SHAPE.matcher(region).matches()) {
            problem.accept("settings." + REGION, "'" + region + "' is not an AWS region name such as us-east-1 or eu-central-1");
        } else if (baseUrlAbsent) {
            uri = defaultBaseUrl(region);
        }
        String keyId = settings.get(ACCESS_KEY_ID);
        if (keyId == null) {
            problem.accept("settings", "a bedrock provider needs settings." + ACCESS_KEY_ID + ", a reference such as env:AWS_ACCESS_KEY_ID");
        } else {
            reference(keyId, "settings." + ACCESS_KEY_ID, problem);
        }
        String token = settings.get(SESSION_TOKEN);
        if (token != null) {
            reference(token, "settings." + SESSION_TOKEN, problem);
        }
        if (credentials.size() != 1) {
            problem.accept(credentials.isEmpty() ? "kind" : "credentials", "a bedrock provider needs exactly one credential: the secret access key "
                    + "by reference, e.g. credential: env:AWS_SECRET_ACCESS_KEY (its key id goes in settings." + ACCESS_KEY_ID
                    + "); declare another provider for another AWS key");
        }
        return uri;
    }

    private static void reference(String value, String field, BiConsumer<String, String> problem) {
        try {
            SecretRef.parse(value);
        } catch (IllegalArgumentException e) {
            problem.accept(field, e.getMessage());
        }
    }
}
