package dev.tollgate.bench;

import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;

/**
 * A minimal HTTP/1.1 keep-alive client connection on a plain socket: one write of the pre-built
 * request, then {@link ResponseReader} until the response ends. Reconnects lazily after a close.
 */
final class HttpConnection implements Closeable {

    private static final int CONNECT_TIMEOUT_MS = 5_000;
    private static final int READ_TIMEOUT_MS = 60_000;

    private final InetSocketAddress address;
    private Socket socket;
    private OutputStream out;
    private ResponseReader reader;
    private int exchangesOnSocket;

    HttpConnection(String host, int port) {
        this.address = new InetSocketAddress(host, port);
    }

    Response exchange(byte[] request) throws IOException {
        boolean reused = socket != null && exchangesOnSocket > 0;
        try {
            return send(request);
        } catch (EOFException e) {
            // A keep-alive connection the server closed while idle fails on first use; a client retries
            // that once on a fresh connection. Any other failure is the server's.
            if (!reused) {
                throw e;
            }
            return send(request);
        }
    }

    private Response send(byte[] request) throws IOException {
        if (socket == null) {
            connect();
        }
        try {
            out.write(request);
            Response response = reader.read();
            exchangesOnSocket++;
            if (!response.keepAlive()) {
                close();
            }
            return response;
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    private void connect() throws IOException {
        Socket s = new Socket();
        try {
            s.setTcpNoDelay(true); // a request is one write; Nagle would only add delay
            s.setSoTimeout(READ_TIMEOUT_MS);
            s.connect(address, CONNECT_TIMEOUT_MS);
        } catch (IOException e) {
            s.close();
            throw e;
        }
        socket = s;
        out = s.getOutputStream();
        reader = new ResponseReader(s.getInputStream());
        exchangesOnSocket = 0;
    }

    @Override
    public void close() {
        if (socket != null) {
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing; nothing to do
            }
            socket = null;
            out = null;
            reader = null;
        }
    }
}
