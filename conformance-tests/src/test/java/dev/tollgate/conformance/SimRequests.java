package dev.tollgate.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;

/** What the simulator received, read from its {@code /_sim/requests}. */
final class SimRequests {

    private static final ObjectMapper JSON = new ObjectMapper();

    private SimRequests() {
    }

    /** Provider calls whose path ends with {@code suffix}, oldest first. */
    static List<JsonNode> to(Stack stack, String suffix) throws Exception {
        List<JsonNode> calls = new ArrayList<>();
        for (JsonNode r : JSON.readTree(stack.get(stack.sim("/_sim/requests")).body())) {
            if (r.path("path").asText().endsWith(suffix)) {
                calls.add(r);
            }
        }
        return calls;
    }

    /** Every call the simulator received, for failure messages. */
    static String all(Stack stack) throws Exception {
        return stack.get(stack.sim("/_sim/requests")).body();
    }
}
