package dev.tollgate.providers.usage;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.tollgate.providers.json.JsonBody;
import java.io.IOException;
import java.util.Set;

/**
 * The generated text in one stream event, read with a streaming parser (no tree) and added to a
 * {@link RelayedOutput}: the string values of the dialect's text fields, and objects under its
 * object fields (Gemini's function-call {@code args}) as their JSON. An event that does not parse adds nothing.
 */
final class DeltaText {

    private DeltaText() {
    }

    static void collect(byte[] json, Set<String> textFields, Set<String> objectFields, RelayedOutput out) {
        try (JsonParser p = JsonBody.MAPPER.createParser(json)) {
            String field = null;
            JsonToken t;
            while ((t = p.nextToken()) != null) {
                switch (t) {
                    case FIELD_NAME -> field = p.currentName();
                    case VALUE_STRING -> {
                        if (field != null && textFields.contains(field)) {
                            out.add(p.getText());
                        }
                    }
                    case START_OBJECT, START_ARRAY -> {
                        if (field != null && objectFields.contains(field)) {
                            out.add(p.readValueAsTree().toString());
                        }
                    }
                    default -> { }
                }
            }
        } catch (IOException | RuntimeException e) {
            // A malformed event is not relayed (the relay checks every event), so there is nothing to count.
        }
    }
}
