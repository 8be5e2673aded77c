package dev.tollgate.providers.ir;

/** Whether and which tool the model must call; {@code name} is set only for {@link Mode#TOOL}. */
public record ToolChoice(Mode mode, String name) {

    public enum Mode { AUTO, NONE, REQUIRED, TOOL }

    public static final ToolChoice AUTO = new ToolChoice(Mode.AUTO, null);
}
