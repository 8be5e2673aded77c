package dev.tollgate.server.usage;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.providers.json.JsonBody;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code tollgate usage --by team [--period monthly] [--url http://127.0.0.1:8080]}: the admin usage
 * report as a table. The admin token comes from TOLLGATE_ADMIN_TOKEN (never a flag: it would show in
 * the process list).
 */
public final class UsageCommand {

    private UsageCommand() {
    }

    /**
     * @param url the gateway; null: TOLLGATE_URL, else http://127.0.0.1 on TOLLGATE_PORT (default 8080)
     */
    public static int run(String by, String period, String url) {
        if (url == null) {
            url = System.getenv().getOrDefault("TOLLGATE_URL", "http://127.0.0.1:" + System.getenv().getOrDefault("TOLLGATE_PORT", "8080"));
        }
        String token = System.getenv("TOLLGATE_ADMIN_TOKEN");
        if (token == null || token.isBlank()) {
            System.err.println("tollgate usage: set TOLLGATE_ADMIN_TOKEN to an admin token of the policy (tollgate keys new --admin ...)");
            return 2;
        }
        try {
            boolean sessions = "session".equals(by);
            // Sessions are read from the request log: the period is how far back it looks.
            String path = sessions ? "/admin/sessions?limit=1000&since=" + switch (period) {
                case "daily" -> "1d";
                case "weekly" -> "7d";
                case "total" -> "3650d";
                default -> "31d";
            } : "/admin/usage?by=" + by + "&period=" + period;
            HttpResponse<String> r = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build().send(
                    HttpRequest.newBuilder(URI.create(url.replaceAll("/+$", "") + path))
                            .header("authorization", "Bearer " + token).timeout(Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.ofString());
            JsonNode body = JsonBody.MAPPER.readTree(r.body());
            if (r.statusCode() != 200) {
                System.err.println("tollgate usage: HTTP " + r.statusCode() + ": " + body.path("error").path("message").asText(r.body()));
                return 1;
            }
            System.out.print(sessions ? sessionTable(body) : table(body));
            return 0;
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            System.err.println("tollgate usage: " + url + " answered with something other than Tollgate's JSON: is it the gateway?"
                    + " (--url URL or TOLLGATE_URL)");
            return 1;
        } catch (java.net.ConnectException e) {
            System.err.println("tollgate usage: no gateway answers at " + url + " (connection refused). Is it running? Name"
                    + " another with --url URL or TOLLGATE_URL.");
            return 1;
        } catch (java.net.http.HttpConnectTimeoutException e) {
            System.err.println("tollgate usage: " + url + " did not accept a connection within 5 s. Name the gateway with --url URL"
                    + " or TOLLGATE_URL.");
            return 1;
        } catch (java.net.http.HttpTimeoutException e) {
            System.err.println("tollgate usage: " + url + " did not answer within 30 s.");
            return 1;
        } catch (IllegalArgumentException e) {
            System.err.println("tollgate usage: '" + url + "' is not a URL like http://127.0.0.1:8080 (--url or TOLLGATE_URL).");
            return 2;
        } catch (java.io.IOException e) {
            // The JDK's exceptions often carry no message (a refused connection says "null"): name the class instead.
            System.err.println("tollgate usage: cannot reach " + url + " (" + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()) + "). Name the gateway with --url URL or TOLLGATE_URL.");
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        }
    }

    /** {@code GET /admin/sessions} as a table, most expensive first. */
    public static String sessionTable(JsonNode report) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"SESSION", "KEY", "REQUESTS", "COST_USD", "INPUT_TOKENS", "OUTPUT_TOKENS", "CACHE_READ", "TOOL_CALLS",
                "SUBAGENTS", "LAST_SEEN"});
        for (JsonNode s : report.path("sessions")) {
            rows.add(new String[] {s.path("id").asText(), s.path("key").asText(), s.path("requests").asText(),
                    s.path("cost_usd").decimalValue().toPlainString(), s.path("tokens").path("input").asText(),
                    s.path("tokens").path("output").asText(), Math.round(s.path("cache_read_share").asDouble() * 100) + "%",
                    s.path("tool_calls").asText(), Integer.toString(s.path("subagents").size()),
                    s.path("last_seen").asText() + (s.has("paused") ? " (paused)" : "")});
        }
        return "# agent sessions by cost\n" + columns(rows);
    }

    private static String columns(List<String[]> rows) {
        int[] width = new int[rows.getFirst().length];
        for (String[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                width[i] = Math.max(width[i], row[i].length());
            }
        }
        StringBuilder out = new StringBuilder();
        for (String[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                out.append(i == 0 ? String.format("%-" + width[i] + "s", row[i]) : String.format("  %" + width[i] + "s", row[i]));
            }
            out.append('\n');
        }
        return out.toString();
    }

    static String table(JsonNode report) {
        String by = report.path("by").asText();
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {by.toUpperCase(), "REQUESTS", "SPENT_USD", "IN_FLIGHT_USD", "INPUT_TOKENS", "OUTPUT_TOKENS"});
        for (JsonNode r : report.path("rows")) {
            rows.add(new String[] {r.path(by).asText(), r.path("requests").asText(), r.path("spent_usd").decimalValue().toPlainString(),
                    r.path("in_flight_usd").decimalValue().toPlainString(), r.path("input_tokens").asText(), r.path("output_tokens").asText()});
        }
        int[] width = new int[rows.getFirst().length];
        for (String[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                width[i] = Math.max(width[i], row[i].length());
            }
        }
        StringBuilder out = new StringBuilder();
        out.append("# ").append(report.path("period").asText()).append(" usage by ").append(by)
                .append(report.path("from").isNull() ? " (all time)" : " since " + report.path("from").asText()).append('\n');
        for (String[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                out.append(i == 0 ? String.format("%-" + width[i] + "s", row[i]) : String.format("  %" + width[i] + "s", row[i]));
            }
            out.append('\n');
        }
        return out.toString();
    }
}
