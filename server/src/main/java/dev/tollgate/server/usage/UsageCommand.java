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

    public static int run(String[] args) {
        String by = "team";
        String period = "monthly";
        String url = "http://127.0.0.1:" + System.getenv().getOrDefault("TOLLGATE_PORT", "8080");
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--by" -> by = args[i + 1];
                case "--period" -> period = args[i + 1];
                case "--url" -> url = args[i + 1];
                default -> {
                    System.err.println("usage: tollgate usage [--by key|team|customer|model] [--period daily|weekly|monthly|total] [--url URL]");
                    return 2;
                }
            }
        }
        String token = System.getenv("TOLLGATE_ADMIN_TOKEN");
        if (token == null || token.isBlank()) {
            System.err.println("tollgate usage: set TOLLGATE_ADMIN_TOKEN to an admin token of the policy (tollgate keys new --admin ...)");
            return 2;
        }
        try {
            HttpResponse<String> r = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build().send(
                    HttpRequest.newBuilder(URI.create(url.replaceAll("/+$", "") + "/admin/usage?by=" + by + "&period=" + period))
                            .header("authorization", "Bearer " + token).timeout(Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.ofString());
            JsonNode body = JsonBody.MAPPER.readTree(r.body());
            if (r.statusCode() != 200) {
                System.err.println("tollgate usage: HTTP " + r.statusCode() + ": " + body.path("error").path("message").asText(r.body()));
                return 1;
            }
            System.out.print(table(body));
            return 0;
        } catch (Exception e) {
            System.err.println("tollgate usage: cannot reach " + url + ": " + e.getMessage());
            return 1;
        } 
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
