package dev.tollgate.policy;

/** A team of one customer; keys belong to teams. */
public record Team(String id, String customer, String name, Governance governance) implements Principal {
}
