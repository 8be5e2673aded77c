package dev.tollgate.server.budget;

import dev.tollgate.policy.Customer;
import dev.tollgate.policy.Principal;
import dev.tollgate.policy.Team;
import dev.tollgate.policy.VirtualKey;

/** Where in the chain a budget, a limit or a spend sits. */
public enum Level {
    KEY("key"), TEAM("team"), CUSTOMER("customer");

    private final String id;

    Level(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }

    public static Level of(Principal p) {
        return switch (p) {
            case VirtualKey k -> KEY;
            case Team t -> TEAM;
            case Customer c -> CUSTOMER;
        };
    }
}
