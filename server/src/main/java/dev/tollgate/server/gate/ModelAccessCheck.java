package dev.tollgate.server.gate;

import dev.tollgate.policy.ModelAccess;
import dev.tollgate.policy.PolicySnapshot.KeyChain;
import dev.tollgate.policy.Principal;
import dev.tollgate.server.spend.Level;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * May this key use this model? Each level (key, team, customer) narrows what the one above allows:
 * the model must pass every level's allow and deny globs. When several refuse, the narrowest level's
 * rule is the one reported, since that is where its owner would look first.
 */
final class ModelAccessCheck {

    private final ConcurrentHashMap<String, Pattern> globs = new ConcurrentHashMap<>();

    /** The rule that refuses {@code model}, or empty when every level allows it. */
    Optional<String> refusal(KeyChain chain, String model) {
        for (Principal level : chain.levels()) {
            ModelAccess access = level.governance().models();
            String where = Level.of(level).id() + " '" + level.id() + "'";
            for (String deny : access.deny()) {
                if (matches(deny, model)) {
                    return Optional.of("deny_models '" + deny + "' of " + where);
                }
            }
            if (!access.allow().isEmpty() && access.allow().stream().noneMatch(g -> matches(g, model))) {
                return Optional.of("allow_models " + access.allow() + " of " + where + " does not include it");
            }
        }
        return Optional.empty();
    }

    List<String> allowed(KeyChain chain, List<String> models) {
        return models.stream().filter(m -> refusal(chain, m).isEmpty()).toList();
    }

    private boolean matches(String glob, String name) {
        return globs.computeIfAbsent(glob, ModelAccessCheck::compile).matcher(name).matches();
    }

    private static Pattern compile(String glob) {
        StringBuilder regex = new StringBuilder();
        for (char c : glob.toCharArray()) {
            switch (c) {
                case '*' -> regex.append(".*");
                case '?' -> regex.append('.');
                default -> regex.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.compile(regex.toString());
    }
}
