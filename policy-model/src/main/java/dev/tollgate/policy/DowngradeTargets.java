package dev.tollgate.policy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The check of every budget's {@code downgrade.to}: a catalog model (name or alias) that each key the
 * budget governs may use. Otherwise pacing would send a session to a model the gate then refuses, so
 * {@code validate} names it before the policy is merged.
 */
final class DowngradeTargets {

    private DowngradeTargets() {
    }

    /** @param positions where each downgrade's {@code to} is written */
    static List<Problem> check(PolicySnapshot snapshot, Map<Budget.Downgrade, SourcePos> positions) {
        List<Problem> problems = new ArrayList<>();
        for (Map.Entry<Budget.Downgrade, SourcePos> e : positions.entrySet()) {
            String to = e.getKey().to();
            Optional<String> model = snapshot.resolve(to).map(Route::model).filter(snapshot.catalog()::contains);
            if (model.isEmpty()) {
                List<String> close = snapshot.closeMatches(to, 3);
                problems.add(new Problem(e.getValue(), "downgrade 'to: " + to + "' is not a model of the catalog (models:)"
                        + (close.isEmpty() ? "" : "; did you mean " + String.join(", ", close) + "?")
                        + " Name the cheaper catalog model requests should go to once the budget is crossed"));
                continue;
            }
            firstKeyThatMayNotUse(snapshot, e.getKey(), to, model.get()).ifPresent(key -> problems.add(new Problem(e.getValue(),
                    "downgrade 'to: " + to + "': key '" + key + "', which this budget governs, may not use that model (allow_models or "
                            + "deny_models along its key, team and customer); allow it there or downgrade to a model it may use")));
        }
        return problems;
    }

    private static Optional<String> firstKeyThatMayNotUse(PolicySnapshot snapshot, Budget.Downgrade downgrade, String to, String model) {
        for (VirtualKey k : snapshot.policy().keys()) {
            PolicySnapshot.KeyChain chain = snapshot.key(k.id()).orElse(null);
            if (chain == null || k.revoked() || !governs(chain, downgrade)) {
                continue;
            }
            for (Principal level : chain.levels()) {
                ModelAccess access = level.governance().models();
                if (!access.permits(to) || !access.permits(model)) {
                    return Optional.of(k.id());
                }
            }
        }
        return Optional.empty();
    }

    private static boolean governs(PolicySnapshot.KeyChain chain, Budget.Downgrade downgrade) {
        for (Principal level : chain.levels()) {
            for (Budget b : level.governance().budgets()) {
                if (b.downgrade().orElse(null) == downgrade) { // this very entry, not an equal one elsewhere
                    return true;
                }
            }
        }
        return false;
    }
}
