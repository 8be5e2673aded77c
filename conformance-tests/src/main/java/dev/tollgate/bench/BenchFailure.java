package dev.tollgate.bench;

/** The bench could not run (as opposed to: it ran and a target was missed). */
final class BenchFailure extends RuntimeException {

    BenchFailure(String message) {
        super(message);
    }
}
