package dev.tollgate.sim;

import java.io.IOException;
import java.util.List;

import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/** Model lists. The simulator answers for any model name; these are only what a listing shows. */
final class Models {
    static final List<String> OPENAI = List.of("gpt-5.5", "gpt-5", "gpt-4.1-mini", "text-embedding-3-small");
    static final List<String> ANTHROPIC = List.of("claude-opus-4-8", "claude-sonnet-5", "claude-haiku-4-5");
    static final List<String> GEMINI = List.of("gemini-2.5-flash", "gemini-2.5-pro", "gemini-3.8-flash");
    private static final long CREATED = 1_700_000_000L;

    private Models() {
    }

    /** {@code GET /v1/models}: Anthropic's shape when the client sends anthropic-version, else OpenAI's. */
    static void send(ServerRequest req, ServerResponse res) throws IOException {
        if (req.headers().contains(HeaderNames.create("anthropic-version"))) {
            ModelCalls.sendJson(res, g -> {
                g.writeStartObject();
                g.writeArrayFieldStart("data");
                for (String id : ANTHROPIC) {
                    g.writeStartObject();
                    g.writeStringField("type", "model");
                    g.writeStringField("id", id);
                    g.writeStringField("display_name", id);
                    g.writeStringField("created_at", "2025-01-01T00:00:00Z");
                    g.writeEndObject();
                }
                g.writeEndArray();
                g.writeBooleanField("has_more", false);
                g.writeStringField("first_id", ANTHROPIC.getFirst());
                g.writeStringField("last_id", ANTHROPIC.getLast());
                g.writeEndObject();
            });
            return;
        }
        ModelCalls.sendJson(res, g -> {
            g.writeStartObject();
            g.writeStringField("object", "list");
            g.writeArrayFieldStart("data");
            for (String id : OPENAI) {
                g.writeStartObject();
                g.writeStringField("id", id);
                g.writeStringField("object", "model");
                g.writeNumberField("created", CREATED);
                g.writeStringField("owned_by", "tollgate-sim");
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        });
    }

    /** {@code GET /v1beta/models}. */
    static void sendGemini(ServerResponse res) throws IOException {
        ModelCalls.sendJson(res, g -> {
            g.writeStartObject();
            g.writeArrayFieldStart("models");
            for (String id : GEMINI) {
                g.writeStartObject();
                g.writeStringField("name", "models/" + id);
                g.writeStringField("displayName", id);
                g.writeArrayFieldStart("supportedGenerationMethods");
                g.writeString("generateContent");
                g.writeString("streamGenerateContent");
                g.writeString("countTokens");
                g.writeEndArray();
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        });
    }
}
