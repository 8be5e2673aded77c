package dev.tollgate.providers.ir;

/** Who speaks. Tool results are parts of a USER message, as in Anthropic's format. */
public enum Role {
    /** System and developer instructions, wherever they appear in the conversation. */
    SYSTEM,
    USER,
    ASSISTANT
}
