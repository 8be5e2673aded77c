package dev.tollgate.sim;

import java.util.Map;

/**
 * Run-wide settings. Each can be overridden per request by an {@code x-sim-*} header.
 *
 * @param port        port to listen on, 0 for an ephemeral one (always on 127.0.0.1)
 * @param ttftMs      delay before the first byte of an answer
 * @param chunkGapMs  delay between two streamed tokens
 * @param words       length of the default text answer, in words (= output tokens)
 * @param recordLimit how many requests {@code GET /_sim/requests} keeps; 0 turns recording off
 */
public record SimOptions(int port, long ttftMs, long chunkGapMs, int words, int recordLimit) {

    public static final int DEFAULT_WORDS = 8;
    public static final int DEFAULT_RECORD_LIMIT = 200;

    public SimOptions {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
        if (ttftMs < 0 || chunkGapMs < 0 || words < 0 || recordLimit < 0) {
            throw new IllegalArgumentException("negative option");
        }
    }

    /** Ephemeral port, no delays, default answer length: what tests want. */
    public static SimOptions defaults() {
        return new SimOptions(0, 0, 0, DEFAULT_WORDS, DEFAULT_RECORD_LIMIT);
    }

    public SimOptions withPort(int p) {
        return new SimOptions(p, ttftMs, chunkGapMs, words, recordLimit);
    }

    public SimOptions withTtftMs(long v) {
        return new SimOptions(port, v, chunkGapMs, words, recordLimit);
    }

    public SimOptions withChunkGapMs(long v) {
        return new SimOptions(port, ttftMs, v, words, recordLimit);
    }

    public SimOptions withWords(int v) {
        return new SimOptions(port, ttftMs, chunkGapMs, v, recordLimit);
    }

    public SimOptions withRecordLimit(int v) {
        return new SimOptions(port, ttftMs, chunkGapMs, words, v);
    }

    static final String USAGE = """
            usage: provider-sim --port N [--ttft-ms N] [--chunk-gap-ms N] [--words N] [--record N]
              --port N          port on 127.0.0.1 (env SIM_PORT; 0 = ephemeral; default 0)
              --ttft-ms N       delay before the first byte of each answer (env SIM_TTFT_MS; default 0)
              --chunk-gap-ms N  delay between streamed tokens (env SIM_CHUNK_GAP_MS; default 0)
              --words N         words in the default text answer (env SIM_WORDS; default 8)
              --record N        requests kept for GET /_sim/requests, 0 = off (env SIM_RECORD; default 200)
            """;

    /** Environment first, then flags (flags win). Accepts {@code --flag N} and {@code --flag=N}. */
    public static SimOptions parse(String[] args, Map<String, String> env) {
        long port = number(env, "SIM_PORT", 0);
        long ttft = number(env, "SIM_TTFT_MS", 0);
        long gap = number(env, "SIM_CHUNK_GAP_MS", 0);
        long words = number(env, "SIM_WORDS", DEFAULT_WORDS);
        long record = number(env, "SIM_RECORD", DEFAULT_RECORD_LIMIT);
        for (int i = 0; i < args.length; i++) {
            String flag = args[i];
            String value;
            int eq = flag.indexOf('=');
            if (eq > 0) {
                value = flag.substring(eq + 1);
                flag = flag.substring(0, eq);
            } else if (flag.equals("-h") || flag.equals("--help")) {
                throw new IllegalArgumentException("");
            } else if (i + 1 < args.length) {
                value = args[++i];
            } else {
                throw new IllegalArgumentException("missing value for " + flag);
            }
            long n = parseNumber(flag, value);
            switch (flag) {
                case "--port" -> port = n;
                case "--ttft-ms" -> ttft = n;
                case "--chunk-gap-ms" -> gap = n;
                case "--words" -> words = n;
                case "--record" -> record = n;
                default -> throw new IllegalArgumentException("unknown option " + flag);
            }
        }
        return new SimOptions((int) port, ttft, gap, (int) words, (int) record);
    }

    private static long number(Map<String, String> env, String name, long fallback) {
        String v = env.get(name);
        return v == null || v.isBlank() ? fallback : parseNumber(name, v.trim());
    }

    private static long parseNumber(String name, String value) {
        try {
            long n = Long.parseLong(value);
            if (n < 0 || n > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(name + " out of range: " + value);
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " needs a whole number, got '" + value + "'");
        }
    }
}
