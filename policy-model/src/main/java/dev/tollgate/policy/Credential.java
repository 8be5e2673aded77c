package dev.tollgate.policy;

/** One credential of a provider, by reference, with its share of the provider's traffic. */
public record Credential(SecretRef ref, int weight) {
}
