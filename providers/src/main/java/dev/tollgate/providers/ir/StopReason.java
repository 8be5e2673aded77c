package dev.tollgate.providers.ir;

/** Why the model stopped, in Anthropic's vocabulary (the richest of the formats). */
public enum StopReason {
    END_TURN, MAX_TOKENS, TOOL_USE, STOP_SEQUENCE, REFUSAL, PAUSE_TURN
}
