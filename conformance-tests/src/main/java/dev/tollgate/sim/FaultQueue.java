package dev.tollgate.sim;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;

/** Faults queued by {@code POST /_sim/faults}, handed to the next matching requests in order. */
final class FaultQueue {
    private final List<Entry> entries = new ArrayList<>();
    /** Hold faults queued and not yet released, whether or not a request has taken them. */
    private final List<Fault.Hold> holds = new ArrayList<>();
    /** Lets the common no-fault path skip the lock. */
    private volatile boolean empty = true;

    private static final class Entry {
        final Fault fault;
        final JsonNode spec;
        final String model;
        int remaining;

        Entry(Fault fault, JsonNode spec, String model, int remaining) {
            this.fault = fault;
            this.spec = spec;
            this.model = model;
            this.remaining = remaining;
        }
    }

    /** Parses every fault first, so a bad one queues nothing. Returns how many entries were added. */
    int addAll(JsonNode faults) {
        if (faults == null || !faults.isArray()) {
            throw new IllegalArgumentException("expected {\"faults\":[{...}, ...]}");
        }
        List<Entry> parsed = new ArrayList<>();
        for (JsonNode f : faults) {
            Fault fault = Fault.parse(f);
            String model = Json.text(f, "model", null);
            int times = f.has("times") ? f.get("times").asInt() : 1;
            if (times < 1) {
                throw new IllegalArgumentException("times must be >= 1");
            }
            parsed.add(new Entry(fault, f, model, times));
        }
        synchronized (entries) {
            entries.addAll(parsed);
            empty = entries.isEmpty();
            parsed.stream().filter(e -> e.fault instanceof Fault.Hold).forEach(e -> holds.add((Fault.Hold) e.fault));
        }
        return parsed.size();
    }

    /** The first queued fault for this model (or for any model), consuming one of its uses. */
    Fault take(String model) {
        if (empty) {
            return null;
        }
        synchronized (entries) {
            Iterator<Entry> it = entries.iterator();
            while (it.hasNext()) {
                Entry e = it.next();
                if (e.model == null || e.model.equals(model)) {
                    if (--e.remaining == 0) {
                        it.remove();
                        empty = entries.isEmpty();
                    }
                    return e.fault;
                }
            }
            return null;
        }
    }

    void clear() {
        synchronized (entries) {
            entries.clear();
            empty = true;
        }
        release();
    }

    /** Lets every held stream go on; returns how many holds there were. */
    int release() {
        synchronized (entries) {
            holds.forEach(h -> h.released().countDown());
            int n = holds.size();
            holds.clear();
            return n;
        }
    }

    void writeJson(JsonGenerator g) throws IOException {
        g.writeStartObject();
        g.writeArrayFieldStart("faults");
        synchronized (entries) {
            for (Entry e : entries) {
                g.writeStartObject();
                g.writeObjectField("fault", e.spec);
                g.writeNumberField("remaining", e.remaining);
                g.writeEndObject();
            }
        }
        g.writeEndArray();
        g.writeEndObject();
    }
}
