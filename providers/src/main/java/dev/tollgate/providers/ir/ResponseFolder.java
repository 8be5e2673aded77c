package dev.tollgate.providers.ir;

import dev.tollgate.providers.usage.Usage;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Folds stream events into a whole answer, for clients that did not ask to stream. */
public final class ResponseFolder {

    private String id = "";
    private String model = "";
    private final Map<Integer, Part> blocks = new TreeMap<>();
    private final Map<Integer, StringBuilder> text = new TreeMap<>();
    private StopReason stop;
    private Usage usage = Usage.NONE;
    private String failure;

    public void accept(StreamEvent event) {
        switch (event) {
            case StreamEvent.Started s -> {
                id = s.id();
                model = s.model();
                usage = s.usage();
            }
            case StreamEvent.BlockStarted b -> {
                blocks.put(b.index(), b.block());
                text.put(b.index(), new StringBuilder(switch (b.block()) {
                    case Part.Text t -> t.text();
                    case Part.ToolCall c -> c.arguments();
                    case Part.Thinking t -> t.text();
                    default -> "";
                }));
            }
            case StreamEvent.TextDelta d -> append(d.index(), d.text());
            case StreamEvent.ToolArgumentsDelta d -> append(d.index(), d.json());
            case StreamEvent.ThinkingDelta d -> append(d.index(), d.text());
            case StreamEvent.ThinkingSealed s -> {
                if (blocks.get(s.index()) instanceof Part.Thinking t) {
                    blocks.put(s.index(), new Part.Thinking(t.text(),
                            s.signature() != null ? s.signature() : t.signature(), s.encrypted() != null ? s.encrypted() : t.encrypted()));
                }
            }
            case StreamEvent.BlockStopped b -> { }
            case StreamEvent.Finished f -> {
                stop = f.reason();
                usage = f.usage();
            }
            case StreamEvent.Failed f -> failure = f.message();
        }
    }

    private void append(int index, String s) {
        text.computeIfAbsent(index, i -> new StringBuilder()).append(s);
    }

    public boolean finished() {
        return stop != null;
    }

    /** The upstream's in-stream error, if it sent one. */
    public String failure() {
        return failure;
    }

    public ChatResponse response() {
        List<Part> content = new ArrayList<>(blocks.size());
        for (var e : blocks.entrySet()) {
            String s = text.get(e.getKey()).toString();
            content.add(switch (e.getValue()) {
                case Part.Text t -> new Part.Text(s);
                case Part.ToolCall c -> c.withArguments(s.isEmpty() ? "{}" : s);
                case Part.Thinking t -> new Part.Thinking(s, t.signature(), t.encrypted());
                case Part p -> p;
            });
        }
        return new ChatResponse(id, model, content, stop == null ? StopReason.END_TURN : stop, usage);
    }
}
