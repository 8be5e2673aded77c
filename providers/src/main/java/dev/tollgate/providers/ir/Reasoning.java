package dev.tollgate.providers.ir;

/**
 * How hard the model should think: an OpenAI-style effort ("low", "medium", "high", ...) and/or an
 * Anthropic-style token budget. Either may be null; codecs convert one into the other.
 */
public record Reasoning(String effort, Integer budgetTokens) {

    public String effortOrFromBudget() {
        if (effort != null) {
            return effort;
        }
        if (budgetTokens == null) {
            return null;
        }
        return budgetTokens <= 2048 ? "low" : budgetTokens <= 8192 ? "medium" : "high";
    }

    public int budgetOrFromEffort() {
        if (budgetTokens != null) {
            return budgetTokens;
        }
        return switch (effort == null ? "medium" : effort) {
            case "minimal", "low" -> 2048;
            case "high" -> 16384;
            case "xhigh", "max" -> 32768;
            default -> 8192;
        };
    }

    /** False for efforts that mean "do not think". */
    public boolean thinks() {
        return effort == null || !(effort.equals("none") || effort.equals("minimal"));
    }
}
