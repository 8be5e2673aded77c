package dev.tollgate.providers.ir;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Reasoning a provider needs back byte for byte, carried through a client of another format in the
 * one opaque field that client echoes: a Responses {@code reasoning} item's {@code encrypted_content}
 * (Codex asks for it with {@code include: ["reasoning.encrypted_content"]}) or an Anthropic thinking
 * block's {@code signature}. The gateway recognises its own prefix and restores the part exactly;
 * the text travels inside, so a client that rewrites summaries cannot change what goes back.
 */
public final class CarriedReasoning {

    /** Claude's signed thinking: {@code {"thinking","signature"}} as base64url JSON. */
    static final String CLAUDE_THINKING = "tollgate.claude-thinking.";
    /** Claude's redacted thinking: its {@code data} as is. */
    static final String CLAUDE_REDACTED = "tollgate.claude-redacted.";
    /** Gemini's thought signature of one function call: base64url(call id) "." signature. */
    static final String GEMINI_CALL = "tollgate.gemini-call.";
    /** Several of Claude's parts in one carrier (a Gemini client keeps one signature per call): a JSON array of carriers. */
    static final String CLAUDE_PARTS = "tollgate.claude-parts.";
    /** The form carried before this class existed (a Claude signature, the text in the summary). */
    private static final String LEGACY_CLAUDE = "tg-anthropic:";

    private CarriedReasoning() {
    }

    /** A Gemini call signature restored from a carrier: it belongs to the call with {@code callId}. */
    public record CallSignature(String callId, String signature) {
    }

    /** The carrier of a part that needs one (signed or redacted Claude thinking), else null. */
    public static String seal(Part part) {
        return switch (part) {
            case Part.Thinking t when t.signature() != null -> {
                JsonNode node = Json.object().put("thinking", t.text()).put("signature", t.signature());
                yield CLAUDE_THINKING + b64(Json.bytes(node));
            }
            case Part.RedactedThinking r -> CLAUDE_REDACTED + r.data();
            default -> null;
        };
    }

    /** The carrier of a Gemini call's thought signature, else null. */
    public static String seal(Part.ToolCall call) {
        return call.signature() == null ? null
                : GEMINI_CALL + b64(call.id().getBytes(StandardCharsets.UTF_8)) + "." + call.signature();
    }

    /** The carrier of several parts that need one, else null when none does. */
    public static String sealAll(java.util.List<Part> parts) {
        com.fasterxml.jackson.databind.node.ArrayNode list = Json.object().arrayNode();
        for (Part p : parts) {
            String one = seal(p);
            if (one != null) {
                list.add(one);
            }
        }
        return list.isEmpty() ? null : CLAUDE_PARTS + b64(Json.bytes(list));
    }

    /** The parts a {@link #sealAll} carrier holds, in order; empty when it is not one or does not parse. */
    public static java.util.List<Part> openAll(String opaque) {
        java.util.List<Part> parts = new java.util.ArrayList<>();
        if (opaque == null || !opaque.startsWith(CLAUDE_PARTS)) {
            return parts;
        }
        try {
            for (JsonNode one : Json.parse(Base64.getUrlDecoder().decode(opaque.substring(CLAUDE_PARTS.length())))) {
                if (open(one.asText(""), null) instanceof Part p) {
                    parts.add(p);
                }
            }
        } catch (IllegalArgumentException e) {
            return java.util.List.of();
        }
        return parts;
    }

    /** True when {@code opaque} is one of the gateway's carriers rather than a provider's own value. */
    public static boolean carried(String opaque) {
        return opaque != null && (opaque.startsWith(CLAUDE_THINKING) || opaque.startsWith(CLAUDE_REDACTED) || opaque.startsWith(CLAUDE_PARTS)
                || opaque.startsWith(GEMINI_CALL) || opaque.startsWith(LEGACY_CLAUDE));
    }

    /**
     * The part a carrier restores: a {@link Part.Thinking} or {@link Part.RedactedThinking}, or a
     * {@link CallSignature} to attach to its call; null for a carrier that does not parse (it is
     * then dropped like any reasoning that cannot go back).
     *
     * @param summary the text shown beside the carrier, used only by the legacy form
     */
    public static Object open(String opaque, String summary) {
        try {
            if (opaque.startsWith(CLAUDE_THINKING)) {
                JsonNode node = Json.parse(Base64.getUrlDecoder().decode(opaque.substring(CLAUDE_THINKING.length())));
                String signature = Json.text(node, "signature");
                return signature == null ? null : new Part.Thinking(node.path("thinking").asText(""), signature, null);
            }
            if (opaque.startsWith(CLAUDE_REDACTED)) {
                return new Part.RedactedThinking(opaque.substring(CLAUDE_REDACTED.length()));
            }
            if (opaque.startsWith(GEMINI_CALL)) {
                String rest = opaque.substring(GEMINI_CALL.length());
                int dot = rest.indexOf('.');
                if (dot <= 0 || dot == rest.length() - 1) {
                    return null;
                }
                return new CallSignature(new String(Base64.getUrlDecoder().decode(rest.substring(0, dot)), StandardCharsets.UTF_8),
                        rest.substring(dot + 1));
            }
            if (opaque.startsWith(LEGACY_CLAUDE)) {
                return new Part.Thinking(summary == null ? "" : summary, opaque.substring(LEGACY_CLAUDE.length()), null);
            }
        } catch (IllegalArgumentException e) {
            return null; // not base64: a client edited it
        }
        return null;
    }

    private static String b64(byte[] bytes) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}
