package dev.tollgate.server.gate;

import dev.tollgate.policy.PolicySnapshot.KeyChain;
import dev.tollgate.policy.PolicySnapshot;
import dev.tollgate.policy.Pricing;
import dev.tollgate.policy.Route;
import dev.tollgate.providers.json.InvalidJsonException;
import dev.tollgate.server.budget.Estimate;
import dev.tollgate.server.budget.OutputLimits;
import dev.tollgate.server.budget.Spend;
import dev.tollgate.server.budget.Budgets;
import dev.tollgate.server.budget.Level;
import dev.tollgate.server.budget.Money;
import dev.tollgate.server.call.AgentSession;
import dev.tollgate.server.call.Call;
import dev.tollgate.server.session.Compactions;
import dev.tollgate.server.session.Sessions;
import dev.tollgate.server.session.ToolCall;
import java.util.ArrayList;
import dev.tollgate.server.errors.GatewayError;
import dev.tollgate.server.shared.StoreUnreachable;
import dev.tollgate.server.signin.PersonalKeys;
import java.util.List;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * The stages every request passes before the router, in order: authenticate -> may use the model?
 * -> rate limits -> reserve budget. All against the request's one policy snapshot; independent of
 * the surface, which renders a refusal in its client's dialect.
 *
 * <p>A policy that declares no keys runs open: no authentication, limits, budgets or ledger (a
 * fresh checkout, the benchmark's baseline). Declaring one key turns all of it on for every request.
 */
public final class Gate {

    private static final Logger LOG = Logger.getLogger(Gate.class.getName());

    private final Authenticator authenticator;
    private final ModelAccessCheck access = new ModelAccessCheck();
    private final RateLimits limits;
    private final Spend spend;
    private final Sessions sessions;

    /** One node: limits in this process. */
    public Gate(Spend spend) {
        this(spend, new RateLimits());
    }

    public Gate(Spend spend, RateLimits limits) {
        this(spend, limits, new PersonalKeys.None());
    }

    /** @param people the personal keys issued at sign-in */
    public Gate(Spend spend, RateLimits limits, PersonalKeys people) {
        this(spend, limits, people, new Sessions(spend.clock()));
    }

    /** @param sessions the agent sessions' state: this node's, or shared through Redis */
    public Gate(Spend spend, RateLimits limits, PersonalKeys people, Sessions sessions) {
        this.spend = spend;
        this.limits = limits;
        this.authenticator = new Authenticator(people);
        this.sessions = sessions;
    }

    /** No keys and nobody may sign in: the gateway runs open. */
    public static boolean open(PolicySnapshot policy) {
        return policy.policy().keys().isEmpty() && !policy.policy().sso().declared();
    }

    public Admission admit(PolicySnapshot policy, String secret, Call call) {
        return admit(policy, secret, call, Optional.empty(), Optional.empty());
    }

    /**
     * @param session  the agent session the request belongs to: its budgets and the runaway brake apply
     * @param toolCall the tool call whose result the request carries (the brake's repeat rule)
     */
    public Admission admit(PolicySnapshot policy, String secret, Call call, Optional<AgentSession> session, Optional<ToolCall> toolCall) {
        if (open(policy)) {
            // No estimate to read them: an absurd n or max_tokens is still the client's mistake, not the provider's.
            try {
                OutputLimits.of(call.api(), call.body());
            } catch (InvalidJsonException e) {
                return new Admission.Refused(new GatewayError.BadRequest(e.getMessage(), e.param()));
            }
            return Admission.OPEN;
        }
        KeyChain chain;
        Identity identity;
        try {
            identity = identify(policy, secret);
        } catch (StoreUnreachable e) {
            // A personal key is looked up in Redis on several nodes.
            return new Admission.Refused(new GatewayError.SharedStateUnreachable(), null);
        }
        switch (identity) {
            case Identity.Caller c -> chain = c.chain();
            case Identity.Refused r -> {
                return new Admission.Refused(r.error(), r.chain());
            }
            case Identity.Anonymous a -> {
                return Admission.OPEN;
            }
        }
        Optional<Sessions.Pacing> downgrade;
        try {
            downgrade = pace(policy, chain, call, session);
        } catch (StoreUnreachable e) {
            return new Admission.Refused(new GatewayError.SharedStateUnreachable(), chain);
        }
        String requested = downgrade.map(Sessions.Pacing::to).orElse(call.model());
        // An alias must not get round a rule or a per-model budget written for the model's own name.
        String model = policy.resolve(requested).map(Route::model).orElse(requested);
        Optional<String> denied = access.refusal(chain, requested).or(() -> model.equals(requested) ? Optional.empty()
                : access.refusal(chain, model).map(rule -> rule + " ('" + requested + "' is an alias of '" + model + "')"));
        if (denied.isPresent()) {
            return new Admission.Refused(new GatewayError.ModelDenied(requested, denied.get()), chain);
        }
        Optional<Pricing> pricing = policy.priceOf(model);
        if (pricing.isEmpty() && !chain.mayUseUnpriced()) {
            // Money fails closed: a budget cannot hold a model it cannot price.
            return new Admission.Refused(new GatewayError.ModelUnpriced(requested, chain.key().id()), chain);
        }
        Estimate estimate;
        try {
            estimate = spend.estimate(chain.key().id(), model, call.api(), call.body(), pricing);
        } catch (InvalidJsonException e) {
            return new Admission.Refused(new GatewayError.BadRequest(e.getMessage(), e.param()), chain);
        }
        try {
            return limitAndReserve(chain, model, pricing, estimate, call, session, toolCall, downgrade);
        } catch (StoreUnreachable e) {
            LOG.fine(() -> "refused a request of key " + chain.key().id() + ": " + e.getMessage());
            return new Admission.Refused(new GatewayError.SharedStateUnreachable(), chain);
        }
    }

    private Admission limitAndReserve(KeyChain chain, String model, Optional<Pricing> pricing, Estimate estimate, Call call,
                                      Optional<AgentSession> session, Optional<ToolCall> toolCall, Optional<Sessions.Pacing> downgrade) {
        RateLimits.Permit permit;
        switch (limits.admit(chain, estimate.inputTokens())) {
            case RateLimits.Admitted a -> permit = a.permit();
            case RateLimits.Refused r -> {
                return new Admission.Refused(r.error(), chain);
            }
        }
        Sessions.Hold sessionHold = null;
        List<String> warnings = new ArrayList<>(0);
        if (session.isPresent() && Sessions.governs(chain)) {
            Sessions.Key key = new Sessions.Key(chain.key().id(), session.get().id());
            Sessions.Decision decision;
            try {
                decision = sessions.admit(chain, key, model, estimate.nanos(), toolCall);
            } catch (StoreUnreachable e) {
                permit.release(0);
                throw e;
            }
            switch (decision) {
                case Sessions.Admitted a -> {
                    sessionHold = a.hold();
                    warnings.addAll(a.warnings());
                }
                case Sessions.Refused r -> {
                    permit.release(0);
                    if (r.rule() != null) {
                        call.trace().brake(r.rule());
                        call.trace().note("Paused by the runaway brake (" + r.rule() + ").");
                    }
                    return new Admission.Refused(r.error(), chain);
                }
            }
        }
        Spend.Hold hold;
        try {
            hold = spend.reserve(chain, model, estimate.nanos());
        } catch (StoreUnreachable e) {
            permit.release(0);
            release(sessionHold);
            throw e;
        }
        Sessions.Hold held = sessionHold;
        return switch (hold) {
            case Spend.Held h -> {
                try {
                    warnings.addAll(warnings(chain, model));
                } catch (StoreUnreachable e) {
                    LOG.fine(() -> "no budget warning for key " + chain.key().id() + ": " + e.getMessage()); // held already; a warning may wait
                }
                yield new Admission.Admitted(chain, new Permit(permit, h.reservation(), pricing, estimate, held, warnings, downgrade));
            }
            case Spend.Refused r -> {
                permit.release(0);
                release(held);
                LOG.fine(() -> "budget refused key " + chain.key().id() + ": " + r.refusal().message());
                yield new Admission.Refused(new GatewayError.BudgetExhausted(capitalize(r.refusal().message()), r.refusal().resets()), chain);
            }
        };
    }

    private static void release(Sessions.Hold hold) {
        if (hold != null) {
            hold.release();
        }
    }

    /**
     * The budget downgrade this request takes, if any: a budget of the chain past its downgrade's
     * {@code at_percent} (spent and held, before this request) for the model asked for. In a session
     * the session decides when it may switch (see {@link Sessions#pace}); a request outside any
     * session has no prompt cache the gateway knows of and switches at once.
     */
    private Optional<Sessions.Pacing> pace(PolicySnapshot policy, KeyChain chain, Call call, Optional<AgentSession> session) {
        String asked = policy.resolve(call.model()).map(Route::model).orElse(call.model());
        if (!paced(chain, asked)) {
            return Optional.empty(); // no downgrade applies: no state, no body read
        }
        if (session.isEmpty()) {
            return crossed(policy, chain, call.model(), asked, null);
        }
        Compactions c = Compactions.of(call.api(), call.body());
        return sessions.pace(new Sessions.Key(chain.key().id(), session.get().id()), asked, c.latest(), c.trigger(),
                spent -> crossed(policy, chain, call.model(), asked, spent));
    }

    private static boolean paced(KeyChain chain, String model) {
        for (dev.tollgate.policy.Principal level : chain.levels()) {
            for (dev.tollgate.policy.Budget b : level.governance().budgets()) {
                if (b.downgrade().isPresent() && (b.model().isEmpty() || b.model().get().equals(model))) {
                    return true;
                }
            }
        }
        return false;
    }

    /** The first downgrade of the chain whose budget is past its share; {@code spent} is the session's (null outside one). */
    private Optional<Sessions.Pacing> crossed(PolicySnapshot policy, KeyChain chain, String requested, String model, Sessions.Spent spent) {
        for (dev.tollgate.policy.Principal level : chain.levels()) {
            for (dev.tollgate.policy.Budget b : level.governance().budgets()) {
                if (b.downgrade().isEmpty() || b.model().isPresent() && !b.model().get().equals(model)) {
                    continue;
                }
                dev.tollgate.policy.Budget.Downgrade d = b.downgrade().get();
                String to = policy.resolve(d.to()).map(Route::model).orElse(d.to());
                if (to.equals(model) || !access.refusal(chain, d.to()).isEmpty() || !access.refusal(chain, to).isEmpty()) {
                    continue; // already there; or a key the policy lets not use it (validate refuses that): it stays
                }
                long used;
                Level l = Level.of(level);
                if (b.period().calendar()) {
                    Budgets.Balance balance = spend.balance(new Budgets.AccountId(l, level.id(), b.model().orElse("")), b.period());
                    used = balance.spentNanos() + balance.inFlightNanos();
                } else if (spent != null) {
                    used = b.model().isPresent() ? spent.of(model) : spent.total();
                } else {
                    continue;
                }
                long limit = Money.nanos(b.usd());
                if (used * 100 >= limit * (long) d.atPercent()) {
                    return Optional.of(new Sessions.Pacing(requested, d.to(), (b.period().calendar() ? b.period().id() : "session") + " budget"
                            + b.model().map(m -> " for model " + m).orElse("") + " of " + l.id() + " " + level.id() + ": "
                            + Money.format(used) + " of " + Money.format(limit) + " used or held (" + (limit == 0 ? 100 : used * 100 / limit)
                            + "%), downgrade at " + d.atPercent() + "%"));
                }
            }
        }
        return Optional.empty();
    }

    /** Calendar budgets past their {@code warn_at_percent} once this request's hold is counted. */
    private List<String> warnings(KeyChain chain, String model) {
        List<String> out = new ArrayList<>(0);
        for (dev.tollgate.policy.Principal level : chain.levels()) {
            for (dev.tollgate.policy.Budget b : level.governance().budgets()) {
                if (b.warnAtPercent().isEmpty() || !b.period().calendar() || b.model().isPresent() && !b.model().get().equals(model)) {
                    continue;
                }
                Level l = Level.of(level);
                Budgets.Balance balance = spend.balance(new Budgets.AccountId(l, level.id(), b.model().orElse("")), b.period());
                long used = balance.spentNanos() + balance.inFlightNanos();
                long limit = Money.nanos(b.usd());
                if (used * 100 >= limit * (long) b.warnAtPercent().getAsInt()) {
                    out.add(capitalize(b.period().id()) + " budget" + b.model().map(m -> " for model " + m).orElse("") + " of " + l.id() + " "
                            + level.id() + ": " + Money.format(used) + " of " + Money.format(limit) + " used or held ("
                            + (limit == 0 ? 100 : used * 100 / limit) + "%)");
                }
            }
        }
        return out;
    }

    public Sessions sessions() {
        return sessions;
    }

    /** Who is calling, for endpoints that only read (models, usage). */
    public Identity identify(PolicySnapshot policy, String secret) {
        if (open(policy)) {
            return new Identity.Anonymous();
        }
        return switch (authenticator.authenticate(policy, secret, spend.clock().instant())) {
            case Authenticator.Known k -> new Identity.Caller(k.chain());
            case Authenticator.Refused r -> new Identity.Refused(r.error(), r.chain());
        };
    }

    /** The models of {@code catalog} this caller may use. */
    public List<String> allowedModels(Identity identity, List<String> catalog) {
        return switch (identity) {
            case Identity.Caller c -> access.allowed(c.chain(), catalog);
            case Identity.Anonymous a -> catalog;
            case Identity.Refused r -> List.of();
        };
    }

    public RateLimits limits() {
        return limits;
    }

    public Spend spend() {
        return spend;
    }

    private static String capitalize(String s) {
        return s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }
}
