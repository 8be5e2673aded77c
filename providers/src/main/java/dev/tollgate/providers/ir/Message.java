package dev.tollgate.providers.ir;

import java.util.ArrayList;
import java.util.List;

public record Message(Role role, List<Part> parts) {

    public Message {
        parts = List.copyOf(parts);
    }

    /**
     * Joins neighbours of the same role: OpenAI formats send a call and its output as separate items,
     * Anthropic wants one assistant turn with every parallel call and one user turn with their results.
     */
    public static List<Message> merged(List<Message> messages) {
        List<Message> out = new ArrayList<>(messages.size());
        for (Message m : messages) {
            if (!out.isEmpty() && out.getLast().role() == m.role() && m.role() != Role.SYSTEM) {
                List<Part> parts = new ArrayList<>(out.getLast().parts());
                parts.addAll(m.parts());
                out.set(out.size() - 1, new Message(m.role(), parts));
            } else {
                out.add(m);
            }
        }
        return out;
    }

    /** The text of all text parts, joined by blank lines. */
    public static String text(List<Part> parts) {
        StringBuilder sb = new StringBuilder();
        for (Part p : parts) {
            if (p instanceof Part.Text t && !t.text().isEmpty()) {
                if (!sb.isEmpty()) {
                    sb.append("\n\n");
                }
                sb.append(t.text());
            }
        }
        return sb.toString();
    }
}
