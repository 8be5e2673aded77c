package dev.tollgate.server.signin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** One stored personal key as a line of JSON. */
final class KeyCodec {

    private static final ObjectMapper JSON = new ObjectMapper();

    private KeyCodec() {
    }

    static String write(PersonalKey k) {
        ObjectNode n = JSON.createObjectNode();
        n.put("sha256", k.sha256());
        n.put("subject", k.subject());
        n.put("email", k.email());
        k.groups().forEach(n.withArray("groups")::add);
        n.put("issued", k.issued().toString());
        n.put("expires", k.expires().toString());
        return n.toString();
    }

    static PersonalKey read(String line) throws java.io.IOException {
        JsonNode n = JSON.readTree(line);
        List<String> groups = new ArrayList<>();
        n.path("groups").forEach(g -> groups.add(g.asText()));
        return new PersonalKey(n.path("sha256").asText(), n.path("subject").asText(), n.path("email").asText(), groups,
                Instant.parse(n.path("issued").asText()), Instant.parse(n.path("expires").asText()));
    }
}
