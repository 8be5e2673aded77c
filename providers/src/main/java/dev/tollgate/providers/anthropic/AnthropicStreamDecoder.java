package dev.tollgate.providers.anthropic;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.providers.ir.Json;
import dev.tollgate.providers.ir.Part;
import dev.tollgate.providers.ir.StopReason;
import dev.tollgate.providers.ir.StreamEvent;
import dev.tollgate.providers.ir.WireCodec;
import dev.tollgate.providers.sse.SseEvent;
import dev.tollgate.providers.usage.ProviderUsage;
import dev.tollgate.providers.usage.Usage;
import java.util.List;

/** Anthropic's stream events map one to one onto the IR's; usage is summed from start and delta. */
final class AnthropicStreamDecoder implements WireCodec.StreamDecoder {

    private Usage usage = Usage.NONE;
    private StopReason stop = StopReason.END_TURN;

    @Override
    public List<StreamEvent> decode(SseEvent event) {
        JsonNode e = Json.parse(event.data());
        int index = e.path("index").asInt();
        return switch (e.path("type").asText()) {
            case "message_start" -> {
                JsonNode m = e.path("message");
                usage = ProviderUsage.anthropic(m.path("usage"));
                yield List.of(new StreamEvent.Started(m.path("id").asText(), m.path("model").asText(), usage));
            }
            case "content_block_start" -> {
                JsonNode b = e.path("content_block");
                Part block = switch (b.path("type").asText()) {
                    case "text" -> new Part.Text(b.path("text").asText());
                    case "tool_use" -> new Part.ToolCall(b.path("id").asText(), b.path("name").asText(), "");
                    case "thinking" -> new Part.Thinking(b.path("thinking").asText(), null, null);
                    case "redacted_thinking" -> new Part.RedactedThinking(b.path("data").asText());
                    default -> null;
                };
                yield block == null ? List.of() : List.of(new StreamEvent.BlockStarted(index, block));
            }
            case "content_block_delta" -> {
                JsonNode d = e.path("delta");
                yield switch (d.path("type").asText()) {
                    case "text_delta" -> List.of(new StreamEvent.TextDelta(index, d.path("text").asText()));
                    case "input_json_delta" -> List.of(new StreamEvent.ToolArgumentsDelta(index, d.path("partial_json").asText()));
                    case "thinking_delta" -> List.of(new StreamEvent.ThinkingDelta(index, d.path("thinking").asText()));
                    case "signature_delta" -> {
                        String sig = d.path("signature").asText();
                        yield List.of(sig.startsWith(AnthropicCodec.OPENAI_SIGNATURE)
                                ? new StreamEvent.ThinkingSealed(index, null, sig.substring(AnthropicCodec.OPENAI_SIGNATURE.length()))
                                : new StreamEvent.ThinkingSealed(index, sig, null));
                    }
                    default -> List.of();
                };
            }
            case "content_block_stop" -> List.of(new StreamEvent.BlockStopped(index));
            case "message_delta" -> {
                if (e.path("delta").hasNonNull("stop_reason")) {
                    stop = AnthropicCodec.stopReason(e.path("delta").path("stop_reason").asText());
                }
                usage = ProviderUsage.anthropic(e.path("usage"), usage);
                yield List.of();
            }
            case "message_stop" -> List.of(new StreamEvent.Finished(stop, usage));
            case "error" -> List.of(new StreamEvent.Failed(e.path("error").path("message").asText("the provider reported an error")));
            default -> List.of(); // ping
        };
    }

    @Override
    public Usage usageSoFar() {
        return usage;
    }
}
