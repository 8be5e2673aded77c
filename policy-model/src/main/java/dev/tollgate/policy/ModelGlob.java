package dev.tollgate.policy;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * A model-access glob over {@code /}-separated names: {@code *} is any run of characters within one
 * segment, {@code ?} one character within a segment, {@code **} any run across segments; everything
 * else is literal. An allow glob must match the whole name ({@link #matches}); a deny glob also
 * covers every name below what it matches ({@link #covers}): {@code groq/*} refuses
 * {@code groq/meta-llama/llama-4-scout}, {@code *} refuses everything. Each side errs towards refusing.
 * A name with an empty, {@code .} or {@code ..} segment is matched by nothing and covered by everything.
 */
public final class ModelGlob {

    /** Policies hold few globs; compiled once each (a reload that keeps them compiles nothing). */
    private static final Map<String, ModelGlob> COMPILED = new ConcurrentHashMap<>();

    private final Pattern whole;
    private final Pattern subtree;

    private ModelGlob(String glob) {
        StringBuilder regex = new StringBuilder();
        for (int i = 0; i < glob.length(); i++) {
            char c = glob.charAt(i);
            if (c == '*' && i + 1 < glob.length() && glob.charAt(i + 1) == '*') {
                regex.append(".*");
                i++;
            } else if (c == '*') {
                regex.append("[^/]*");
            } else if (c == '?') {
                regex.append("[^/]");
            } else {
                regex.append(Pattern.quote(String.valueOf(c)));
            }
        }
        whole = Pattern.compile(regex.toString(), Pattern.DOTALL);
        subtree = Pattern.compile(regex + "(?:/.*)?", Pattern.DOTALL);
    }

    public static ModelGlob of(String glob) {
        return COMPILED.computeIfAbsent(glob, ModelGlob::new);
    }

    /** For allow lists: the glob matches the whole name. */
    public boolean matches(String name) {
        return !hasDotOrEmptySegment(name) && whole.matcher(name).matches();
    }

    /** For deny lists: the glob matches the name or the name's leading segments. */
    public boolean covers(String name) {
        return hasDotOrEmptySegment(name) || subtree.matcher(name).matches();
    }

    /** {@code a//b}, {@code a/./b}, {@code a/..}, {@code ""}: never a model, and never to be let through by a glob. */
    public static boolean hasDotOrEmptySegment(String name) {
        int start = 0;
        for (int i = 0; i <= name.length(); i++) {
            if (i == name.length() || name.charAt(i) == '/') {
                int length = i - start;
                if (length == 0 || (length <= 2 && name.startsWith(length == 1 ? "." : "..", start))) {
                    return true;
                }
                start = i + 1;
            }
        }
        return false;
    }
}
