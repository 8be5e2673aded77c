package dev.tollgate.policy;

/** A level of the customer -> team -> virtual key chain; each may carry its own governance. */
public sealed interface Principal permits Customer, Team, VirtualKey {

    String id();

    Governance governance();
}
