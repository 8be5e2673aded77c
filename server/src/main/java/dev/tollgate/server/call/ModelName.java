package dev.tollgate.server.call;

import dev.tollgate.server.errors.GatewayError;
import dev.tollgate.server.errors.GatewayException;

/**
 * A model name as a client may send it: in a body's {@code model}, in Gemini's path, in
 * {@code GET models/{id}} or in {@code x-tollgate-fallbacks}. Names are data, never URL syntax:
 * segments separated by {@code /}, each of letters, digits and {@code . _ - : @ ~}, none empty,
 * {@code .} or {@code ..}, at most {@value #MAX_LENGTH} characters in all. That covers real provider
 * ids ({@code gpt-5.5}, {@code claude-sonnet-4-5@20250929}, {@code anthropic.claude-3-5-sonnet-20240620-v1:0},
 * {@code llama3.1:8b}, {@code meta-llama/Llama-3.3-70B-Instruct-Turbo}, {@code accounts/fireworks/models/x})
 * behind a {@code provider/} prefix.
 */
public record ModelName(String value) {

    public static final int MAX_LENGTH = 256;
    static final String ALLOWED = "letters, digits and . _ - : @ ~ in segments separated by '/', with no empty, '.' or '..' segment, "
            + "at most " + MAX_LENGTH + " characters";

    public ModelName {
        String problem = problem(value);
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
    }

    /**
     * The name, or a 400 that says what a model name may hold ({@code where} names the field or
     * header it came from, e.g. "'model'").
     */
    public static ModelName parse(String raw, String where) throws GatewayException {
        return parse(raw, where, "model");
    }

    /** @param param the request parameter to name in OpenAI's error ({@code param}) */
    public static ModelName parse(String raw, String where, String param) throws GatewayException {
        String problem = problem(raw);
        if (problem != null) {
            throw new GatewayException(new GatewayError.BadRequest("The model name in " + where + " " + problem + ". A model name holds "
                    + ALLOWED + "; GET /v1/models lists the models this key may use.", param));
        }
        return new ModelName(raw);
    }

    /** Why {@code name} is not a model name, or null when it is one. Never echoes the name: it may be huge or hold control bytes. */
    static String problem(String name) {
        if (name == null || name.isEmpty()) {
            return "is empty";
        }
        if (name.length() > MAX_LENGTH) {
            return "is " + name.length() + " characters long";
        }
        int segmentStart = 0;
        for (int i = 0; i <= name.length(); i++) {
            char c = i == name.length() ? '/' : name.charAt(i);
            if (c == '/') {
                String segment = name.substring(segmentStart, i);
                if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
                    return "has " + (segment.isEmpty() ? "an empty" : "a '" + segment + "'") + " segment";
                }
                segmentStart = i + 1;
            } else if (!allowed(c)) {
                return "holds " + describe(c) + " at position " + (i + 1);
            }
        }
        return null;
    }

    private static boolean allowed(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || c == '.' || c == '_' || c == '-' || c == ':' || c == '@' || c == '~';
    }

    /** A printable ASCII character quoted, anything else as its code point (no control bytes in messages or logs). */
    private static String describe(char c) {
        return c > 0x20 && c < 0x7f ? "'" + c + "'" : String.format("U+%04X", (int) c);
    }

    @Override
    public String toString() {
        return value;
    }
}
