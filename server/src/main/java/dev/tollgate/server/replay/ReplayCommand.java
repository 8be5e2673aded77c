package dev.tollgate.server.replay;

import dev.tollgate.policy.PolicySnapshot;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

/**
 * {@code tollgate replay}: reads an export (a file, {@code -} for stdin, or a gateway's
 * {@code /admin/requests/export} with TOLLGATE_ADMIN_TOKEN, a viewer's token is enough), replays it
 * and prints the report. Exit 0 when the report was made (whatever it says), 1 when the source
 * could not be read, 2 on a usage mistake.
 */
public final class ReplayCommand {

    private ReplayCommand() {
    }

    /**
     * @param since  null: the whole source; else records from this instant on (for a URL, asked of the gateway)
     * @param format markdown or json
     */
    public static int run(PolicySnapshot next, String nextName, PolicySnapshot base, String baseName, String source, Instant since,
                          String format, PrintStream out, PrintStream err) {
        return run(next, nextName, base, baseName, source, System.getenv("TOLLGATE_ADMIN_TOKEN"), since, format, out, err);
    }

    /** {@code token}: the admin token a URL source is read with. */
    public static int run(PolicySnapshot next, String nextName, PolicySnapshot base, String baseName, String source, String token, Instant since,
                   String format, PrintStream out, PrintStream err) {
        if (!format.equals("markdown") && !format.equals("json")) {
            err.println("tollgate replay: --format must be markdown or json");
            return 2;
        }
        ExportReader.Export export;
        try (BufferedReader in = open(source, token, since)) {
            export = ExportReader.read(in, since);
        } catch (Unreadable e) {
            err.println("tollgate replay: " + e.getMessage());
            return 1;
        } catch (NoSuchFileException e) {
            err.println("tollgate replay: no file " + source + " (--requests takes a file of `GET /admin/requests/export`, - for "
                    + "stdin, or the gateway's URL)");
            return 1;
        } catch (IOException e) {
            err.println("tollgate replay: cannot read " + source + " (" + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")");
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        }
        Replay.Result result = Replay.run(next, base, export.records());
        out.print(format.equals("json") ? ReplayReport.json(result, export, nextName, baseName)
                : ReplayReport.markdown(result, export, nextName, baseName));
        out.flush();
        return 0;
    }

    static final class Unreadable extends Exception {
        Unreadable(String message) {
            super(message);
        }
    }

    private static BufferedReader open(String source, String token, Instant since) throws IOException, InterruptedException, Unreadable {
        if (source.equals("-")) {
            return reader(System.in);
        }
        if (!source.startsWith("http://") && !source.startsWith("https://")) {
            return Files.newBufferedReader(Path.of(source), StandardCharsets.UTF_8);
        }
        if (token == null || token.isBlank()) {
            throw new Unreadable("set TOLLGATE_ADMIN_TOKEN to an admin token (a viewer's is enough) to read " + source);
        }
        String base = source.replaceAll("/+$", "");
        String url = (base.endsWith("/admin/requests/export") ? base : base + "/admin/requests/export")
                + (since == null ? "?since=3650d" : "?since=" + URLEncoder.encode(since.toString(), StandardCharsets.UTF_8));
        HttpResponse<InputStream> r;
        try {
            r = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build().send(
                    HttpRequest.newBuilder(URI.create(url)).header("authorization", "Bearer " + token).build(),
                    HttpResponse.BodyHandlers.ofInputStream());
        } catch (IllegalArgumentException e) {
            throw new Unreadable("'" + source + "' is not a URL like http://127.0.0.1:8080");
        }
        if (r.statusCode() != 200) {
            String body;
            try (InputStream in = r.body()) {
                body = new String(in.readNBytes(2000), StandardCharsets.UTF_8);
            }
            throw new Unreadable(url + " answered HTTP " + r.statusCode() + ": " + body.strip());
        }
        return reader(r.body());
    }

    private static BufferedReader reader(InputStream in) {
        return new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8), 1 << 16);
    }
}
