package dev.tollgate.bench;

/**
 * What the load generator keeps of one HTTP response.
 *
 * @param status            status code of the final (non-1xx) response
 * @param firstBodyNanos    clock reading when the first body byte arrived, or -1 when the body was empty
 * @param bodyBytes         body length after chunked decoding
 * @param keepAlive         whether the connection may carry another request
 */
public record Response(int status, long firstBodyNanos, long bodyBytes, boolean keepAlive) {

    public boolean ok() {
        return status >= 200 && status < 300;
    }
}
