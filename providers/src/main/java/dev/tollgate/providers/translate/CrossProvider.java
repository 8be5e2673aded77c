package dev.tollgate.providers.translate;

import dev.tollgate.providers.Api;
import dev.tollgate.providers.ir.ChatRequest;
import dev.tollgate.providers.ir.Message;
import dev.tollgate.providers.ir.Part;
import java.util.ArrayList;
import java.util.List;

/**
 * Reasoning is signed by the provider that produced it and only that provider takes it back:
 * Claude's thinking signatures and redacted thinking (Anthropic, Vertex and Bedrock accept each
 * other's), OpenAI's encrypted reasoning, Gemini's thought signatures on function calls. Before a
 * request is encoded for another provider, what it cannot take is removed here, deliberately, and
 * counted; reasoning with nothing to verify it (plain summaries) goes nowhere and is counted too.
 */
public final class CrossProvider {

    /** The request as the upstream can take it, and what was left out. */
    public record Carried(ChatRequest request, Dropped dropped) {
    }

    private CrossProvider() {
    }

    public static Carried forUpstream(ChatRequest request, Api upstream) {
        boolean claude = upstream == Api.MESSAGES || upstream == Api.CONVERSE;
        boolean openai = upstream == Api.RESPONSES;
        boolean gemini = upstream == Api.GEMINI;
        int dropped = 0;
        List<Message> messages = new ArrayList<>(request.messages().size());
        boolean changed = false;
        for (Message m : request.messages()) {
            List<Part> parts = new ArrayList<>(m.parts().size());
            for (Part p : m.parts()) {
                Part kept = switch (p) {
                    case Part.Thinking t when t.signature() != null && claude -> p;
                    case Part.Thinking t when t.encrypted() != null && openai -> p;
                    case Part.Thinking t -> null;
                    case Part.RedactedThinking r -> claude ? p : null;
                    case Part.ToolCall c when c.signature() != null && !gemini ->
                            new Part.ToolCall(c.id(), c.name(), c.arguments(), null);
                    default -> p;
                };
                if (kept != p) {
                    dropped++;
                    changed = true;
                }
                if (kept != null) {
                    parts.add(kept);
                }
            }
            messages.add(new Message(m.role(), parts));
        }
        if (!changed) {
            return new Carried(request, Dropped.NONE);
        }
        return new Carried(request.withMessages(messages), new Dropped(java.util.Map.of("reasoning", dropped)));
    }
}
