package dev.tollgate.policy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The check that money fails closed already at review: a catalog model with no price that a key
 * with a budget may use would be refused at run time (its budget cannot hold what it cannot price),
 * so {@code validate} names it, with a key that would be refused, before the policy is merged.
 */
final class UnpricedModels {

    private UnpricedModels() {
    }

    /** @param positions where each catalog model is declared, by name */
    static List<Problem> check(PolicySnapshot snapshot, Map<String, SourcePos> positions) {
        List<Problem> problems = new ArrayList<>();
        for (Model model : snapshot.policy().models()) {
            if (priced(snapshot, model)) {
                continue;
            }
            firstBudgetedKeyThatMayUse(snapshot, model.name()).ifPresent(key -> problems.add(new Problem(
                    positions.getOrDefault(model.name(), new SourcePos("(policy)", 1, 1)),
                    "model '" + model.name() + "' has no price (neither '" + model.name() + "' nor its target '"
                            + model.targets().getFirst().model() + "' is in pricing: or the bundled table), and key '" + key
                            + "', which has a budget, may use it: the gateway refuses it rather than serve it free. Add a pricing: "
                            + "row (USD per million tokens), deny it to budgeted keys, or set unpriced: allow where it is free")));
        }
        return problems;
    }

    /** As the gate prices a request: the model's own row, else its first target's. */
    private static boolean priced(PolicySnapshot snapshot, Model model) {
        return snapshot.pricing(model.name()).isPresent()
                || !model.targets().isEmpty() && snapshot.pricing(model.targets().getFirst().model()).isPresent();
    }

    private static Optional<String> firstBudgetedKeyThatMayUse(PolicySnapshot snapshot, String model) {
        for (VirtualKey k : snapshot.policy().keys()) {
            PolicySnapshot.KeyChain chain = snapshot.key(k.id()).orElse(null);
            if (chain == null || k.revoked() || chain.mayUseUnpriced()) {
                continue;
            }
            boolean permitted = true;
            for (Principal level : chain.levels()) {
                permitted &= level.governance().models().permits(model);
            }
            if (permitted) {
                return Optional.of(k.id());
            }
        }
        return Optional.empty();
    }
}
