package dev.tollgate.providers.ir;

import dev.tollgate.providers.usage.Usage;
import java.util.ArrayList;
import java.util.List;

/** A whole answer, folded from its stream events by {@link ResponseFolder}. */
public record ChatResponse(String id, String model, List<Part> content, StopReason stopReason, Usage usage) {

    /** The answer replayed as a stream, so an encoder that only knows streams can render it whole. */
    public List<StreamEvent> events() {
        List<StreamEvent> events = new ArrayList<>();
        events.add(new StreamEvent.Started(id, model, usage));
        for (int i = 0; i < content.size(); i++) {
            Part p = content.get(i);
            switch (p) {
                case Part.Text t -> {
                    events.add(new StreamEvent.BlockStarted(i, new Part.Text("")));
                    events.add(new StreamEvent.TextDelta(i, t.text()));
                }
                case Part.ToolCall c -> {
                    events.add(new StreamEvent.BlockStarted(i, c.withArguments("")));
                    events.add(new StreamEvent.ToolArgumentsDelta(i, c.arguments()));
                }
                case Part.Thinking t -> {
                    events.add(new StreamEvent.BlockStarted(i, new Part.Thinking("", null, null)));
                    events.add(new StreamEvent.ThinkingDelta(i, t.text()));
                    events.add(new StreamEvent.ThinkingSealed(i, t.signature(), t.encrypted()));
                }
                default -> events.add(new StreamEvent.BlockStarted(i, p));
            }
            events.add(new StreamEvent.BlockStopped(i));
        }
        events.add(new StreamEvent.Finished(stopReason, usage));
        return events;
    }
}
