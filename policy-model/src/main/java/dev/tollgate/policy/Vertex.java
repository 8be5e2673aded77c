package dev.tollgate.policy;

import java.net.URI;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * What a {@code vertex} provider's settings mean: {@code project} and {@code location} name the
 * endpoint, {@code publisher} (google | anthropic) may pin every model to one publisher; otherwise
 * a model's publisher follows from its name ({@code claude*} is Anthropic's, the rest Google's).
 */
public final class Vertex {

    public static final String PROJECT = "project";
    public static final String LOCATION = "location";
    public static final String PUBLISHER = "publisher";

    static final Pattern PROJECT_ID = Pattern.compile("[a-z][a-z0-9:.-]{3,62}");
    static final Pattern LOCATION_ID = Pattern.compile("[a-z][a-z0-9-]{1,40}");

    /** Who publishes a model on Vertex, which decides its path and wire format. */
    public enum Publisher {
        GOOGLE("google"), ANTHROPIC("anthropic");

        private final String id;

        Publisher(String id) {
            this.id = id;
        }

        public String id() {
            return id;
        }

        public static Optional<Publisher> byId(String id) {
            for (Publisher p : values()) {
                if (p.id.equals(id)) {
                    return Optional.of(p);
                }
            }
            return Optional.empty();
        }
    }

    private Vertex() {
    }

    /** The regional endpoint, or the global one for location {@code global}. */
    public static URI defaultBaseUrl(String location) {
        return URI.create(location.equals("global") ? "https://aiplatform.googleapis.com" : "https://" + location + "-aiplatform.googleapis.com");
    }

    /** The provider's {@code settings.publisher} when set, else inferred from the model's name. */
    public static Publisher publisher(Provider provider, String model) {
        String pinned = provider.settings().get(PUBLISHER);
        if (pinned != null) {
            return Publisher.byId(pinned).orElseThrow(() -> new IllegalStateException("validated at load: " + pinned));
        }
        return model.startsWith("claude") ? Publisher.ANTHROPIC : Publisher.GOOGLE;
    }
}
