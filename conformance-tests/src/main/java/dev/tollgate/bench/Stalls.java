package dev.tollgate.bench;

/**
 * What held a leg's requests up other than the code on their path, during its measured window: a
 * collector pause stops every request in flight, and so does a runnable thread the scheduler leaves
 * waiting while the cores run someone else (the load generator, the simulator and the proxy share them).
 *
 * @param proxyGc             the proxy's collector pauses (null on direct legs, or when its GC log was not given)
 * @param proxyRunQueueMs     time the proxy's threads were runnable but waiting for a CPU (NaN on direct legs)
 * @param generatorRunQueueMs the same for the load generator's threads, which stamp send and receive times
 */
public record Stalls(GcPauses proxyGc, double proxyRunQueueMs, double generatorRunQueueMs) {

    static final Stalls UNKNOWN = new Stalls(null, Double.NaN, Double.NaN);
}
