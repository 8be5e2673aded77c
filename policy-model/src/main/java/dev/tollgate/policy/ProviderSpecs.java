package dev.tollgate.policy;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The provider kinds this process knows: those its provider modules list (found with
 * {@link ServiceLoader} as {@link ProviderSpec.Source}s), and any registered at run time.
 */
public final class ProviderSpecs {

    private static final Map<String, ProviderSpec> KNOWN = new ConcurrentHashMap<>();

    static {
        for (ProviderSpec.Source source : ServiceLoader.load(ProviderSpec.Source.class, ProviderSpecs.class.getClassLoader())) {
            source.specs().forEach(ProviderSpecs::register);
        }
    }

    private ProviderSpecs() {
    }

    /** Adds a kind (a test's own adapter, say); the same name again replaces it. */
    public static void register(ProviderSpec spec) {
        KNOWN.put(spec.kind().id(), spec);
    }

    public static Optional<ProviderSpec> of(String kind) {
        return Optional.ofNullable(KNOWN.get(kind));
    }

    /** Every known kind's name, sorted. */
    public static List<String> kinds() {
        return List.copyOf(new TreeMap<>(KNOWN).keySet());
    }
}
