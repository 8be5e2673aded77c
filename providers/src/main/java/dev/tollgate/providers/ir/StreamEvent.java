package dev.tollgate.providers.ir;

import dev.tollgate.providers.usage.Usage;

/**
 * A model's answer as a sequence of events, one content block at a time. Blocks are numbered in the
 * order they start; a block's deltas come between its start and its stop.
 */
public sealed interface StreamEvent {

    /** The answer begins; {@code usage} holds what is known this early (often only input tokens). */
    record Started(String id, String model, Usage usage) implements StreamEvent {
    }

    /** A block opens: {@code block} is a {@link Part} with empty text or arguments. */
    record BlockStarted(int index, Part block) implements StreamEvent {
    }

    record TextDelta(int index, String text) implements StreamEvent {
    }

    record ToolArgumentsDelta(int index, String json) implements StreamEvent {
    }

    record ThinkingDelta(int index, String text) implements StreamEvent {
    }

    /** Anthropic's thinking signature, or OpenAI's encrypted reasoning, for the block. */
    record ThinkingSealed(int index, String signature, String encrypted) implements StreamEvent {
    }

    record BlockStopped(int index) implements StreamEvent {
    }

    /** The answer is complete; {@code usage} is the final count. */
    record Finished(StopReason reason, Usage usage) implements StreamEvent {
    }

    /** The upstream reported an error inside the stream. */
    record Failed(String message) implements StreamEvent {
    }
}
