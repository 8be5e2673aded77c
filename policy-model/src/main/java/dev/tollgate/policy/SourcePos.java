package dev.tollgate.policy;

/** Where something is in the policy files, 1-based, so an editor or CI annotation can jump to it. */
public record SourcePos(String file, int line, int column) {

    @Override
    public String toString() {
        return line <= 0 ? file : file + ":" + line + ":" + column;
    }
}
