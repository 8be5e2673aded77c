package dev.tollgate.providers.ir;

import java.util.List;

/** One piece of a message's content, in terms every wire format can express (or knowingly drop). */
public sealed interface Part {

    record Text(String text) implements Part {
    }

    /** Inline base64 {@code data} with its media type, or a {@code url}; exactly one is set. */
    record Image(String mediaType, String data, String url) implements Part {

        /** From an image URL as OpenAI formats carry it: a {@code data:} URL becomes inline data. */
        public static Image fromUrl(String url) {
            String[] data = Json.dataUrl(url);
            return data != null ? new Image(data[0], data[1], null) : new Image(null, null, url);
        }
    }

    /**
     * A model's call of a tool. {@code arguments} is JSON text; a free-form ({@code custom}) tool's
     * input travels as {@code {"input": "..."}} and is restored by whoever knows the tool is custom.
     * {@code signature} is Gemini's {@code thoughtSignature} for the call (Gemini 3 refuses a history
     * whose calls lack theirs), or null.
     */
    record ToolCall(String id, String name, String arguments, String signature) implements Part {

        /** A call without Gemini's thought signature (every other format's). */
        public ToolCall(String id, String name, String arguments) {
            this(id, name, arguments, null);
        }

        public ToolCall withArguments(String json) {
            return new ToolCall(id, name, json, signature);
        }
    }

    record ToolResult(String callId, List<Part> content, boolean error) implements Part {
        public ToolResult {
            content = List.copyOf(content);
        }
    }

    /**
     * Reasoning the model showed. {@code signature} is Claude's (Anthropic, Vertex and Bedrock accept
     * each other's; needed to send a thinking block back); {@code encrypted} is OpenAI's opaque
     * reasoning, only ever returned to an OpenAI upstream.
     */
    record Thinking(String text, String signature, String encrypted) implements Part {
    }

    /** Anthropic's redacted thinking: opaque, returned to Anthropic as is. */
    record RedactedThinking(String data) implements Part {
    }
}
