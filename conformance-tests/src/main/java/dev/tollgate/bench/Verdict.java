package dev.tollgate.bench;

/** One target checked against what was measured. */
public record Verdict(String name, String goal, String measured, boolean pass) {

    public String result() {
        return pass ? "PASS" : "FAIL";
    }
}
