package dev.tollgate.providers;

import dev.tollgate.policy.Provider;
import dev.tollgate.providers.json.JsonBody;
import java.util.Map;
import java.util.Optional;

/**
 * One attempt's request as an adapter receives it: already in the provider's wire API.
 *
 * @param credential  the credential's reference (env:NAME, file:PATH), to name in errors; never the secret
 * @param secret      what the reference resolved to, when it did
 * @param api         the wire API the provider is called with
 * @param passthrough the client's own bytes (same API), not a translation
 * @param passHeaders client headers the upstream may see; empty for a translated request
 */
public record Outbound(Provider provider, String credential, Optional<String> secret, String model, Api api, boolean stream,
                       JsonBody body, boolean passthrough, Map<String, String> passHeaders) {
}
