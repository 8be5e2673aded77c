package dev.tollgate.policy;

/** One place a public model name can be served: a provider and the model name it knows. */
public record ModelTarget(String provider, String model, int weight) {
}
