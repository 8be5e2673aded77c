package dev.tollgate.policy;

/** Who pays: the top of the chain, usually a business unit or an external client. */
public record Customer(String id, String name, Governance governance) implements Principal {
}
