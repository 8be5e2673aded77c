package dev.tollgate.bench;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** One pre-built HTTP/1.1 request: its bytes are made once and written as-is for every send. */
public record HttpRequest(String host, int port, byte[] bytes) {

    /** A keep-alive POST of a JSON body; {@code extraHeaders} are whole lines such as {@code "Authorization: Bearer x"}. */
    public static HttpRequest postJson(URI url, byte[] body, boolean acceptEventStream, List<String> extraHeaders) {
        if (!"http".equals(url.getScheme())) {
            throw new IllegalArgumentException("only http:// URLs are supported: " + url);
        }
        int port = url.getPort() == -1 ? 80 : url.getPort();
        String path = url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath();
        if (url.getRawQuery() != null) {
            path += "?" + url.getRawQuery();
        }
        StringBuilder head = new StringBuilder(256)
                .append("POST ").append(path).append(" HTTP/1.1\r\n")
                .append("Host: ").append(url.getHost()).append(':').append(port).append("\r\n")
                .append("Content-Type: application/json\r\n")
                .append("Accept: ").append(acceptEventStream ? "text/event-stream" : "application/json").append("\r\n")
                .append("Content-Length: ").append(body.length).append("\r\n");
        for (String header : extraHeaders) {
            if (header.indexOf('\r') >= 0 || header.indexOf('\n') >= 0 || header.indexOf(':') < 1) {
                throw new IllegalArgumentException("bad header line: " + header);
            }
            head.append(header).append("\r\n");
        }
        head.append("\r\n");
        ByteArrayOutputStream out = new ByteArrayOutputStream(head.length() + body.length);
        out.writeBytes(head.toString().getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(body);
        return new HttpRequest(url.getHost(), port, out.toByteArray());
    }
}
