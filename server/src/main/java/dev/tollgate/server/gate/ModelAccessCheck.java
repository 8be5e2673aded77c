package dev.tollgate.server.gate;

import dev.tollgate.policy.ModelAccess;
import dev.tollgate.policy.ModelGlob;
import dev.tollgate.policy.PolicySnapshot.KeyChain;
import dev.tollgate.policy.Principal;
import dev.tollgate.server.budget.Level;
import java.util.List;
import java.util.Optional;

/**
 * May this key use this model? Each level (key, team, customer) narrows what the one above allows:
 * the model must pass every level's allow and deny globs ({@link ModelGlob}). When several refuse,
 * the narrowest level's rule is the one reported, since that is where its owner would look first.
 */
final class ModelAccessCheck {

    /** The rule that refuses {@code model}, or empty when every level allows it. */
    Optional<String> refusal(KeyChain chain, String model) {
        if (ModelGlob.hasDotOrEmptySegment(model)) {
            // The surface refuses such names already; a glob must never be what lets one through.
            return Optional.of("a model name with an empty, '.' or '..' segment is never allowed");
        }
        for (Principal level : chain.levels()) {
            ModelAccess access = level.governance().models();
            String where = Level.of(level).id() + " '" + level.id() + "'";
            Optional<String> deny = access.deniedBy(model);
            if (deny.isPresent()) {
                return Optional.of("deny_models '" + deny.get() + "' of " + where);
            }
            if (!access.allows(model)) {
                return Optional.of("allow_models " + access.allow() + " of " + where + " does not include it");
            }
        }
        return Optional.empty();
    }

    List<String> allowed(KeyChain chain, List<String> models) {
        return models.stream().filter(m -> refusal(chain, m).isEmpty()).toList();
    }
}
