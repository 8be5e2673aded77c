package dev.tollgate.providers;

import dev.tollgate.policy.Provider;
import dev.tollgate.policy.ProviderSpec;
import dev.tollgate.providers.ir.ChatRequest;
import dev.tollgate.providers.upstream.UpstreamRequest;
import java.util.Optional;
import java.util.function.Function;

/**
 * Everything the gateway knows about one provider kind, in the kind's own folder: which wire API it
 * is called with for each client API, how its requests are built and signed (URLs from encoded
 * segments), how its error answers read, and (as a {@link ProviderSpec}) the settings it takes,
 * checked when the policy loads. {@link Adapters} maps kinds to adapters.
 */
public interface Adapter extends ProviderSpec {

    /** The API this provider is called with for a client's API; empty when it cannot serve that API at all. */
    Optional<Api> upstreamApi(Provider provider, String upstreamModel, Api client);

    /** The upstream request of one attempt. */
    UpstreamRequest request(Outbound call) throws AdapterException;

    /**
     * A token count the provider answers itself for this client API, when it has one; otherwise
     * the gateway estimates.
     */
    default Optional<UpstreamRequest> countTokens(Outbound call) throws AdapterException {
        return Optional.empty();
    }

    /** The provider's edits to a request translated for it: the settings every kind takes. */
    default ChatRequest adapt(Provider provider, ChatRequest request) {
        return CommonSettings.apply(provider, request);
    }

    /** The message inside one of this provider's error answers. */
    default String errorMessage(byte[] body, Function<String, Optional<String>> header) {
        return ErrorMessages.of(body);
    }
}
