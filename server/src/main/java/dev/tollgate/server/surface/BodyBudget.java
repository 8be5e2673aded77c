package dev.tollgate.server.surface;

import io.helidon.http.Method;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The request-body bytes all requests together may hold in memory at once. Each body is limited on
 * its own (tollgate.body.limit), but N concurrent authenticated bodies of that size could still fill
 * the heap; beyond this cap a request is refused with a retryable 503 before its body is read.
 * A request's share is a {@link Lease}, taken while its body is read and given back when it ends.
 */
public final class BodyBudget {

    private final long capacity;
    private final AtomicLong held = new AtomicLong();

    /** @param capacity bytes; 0 or less means no cap */
    public BodyBudget(long capacity) {
        this.capacity = capacity;
    }

    public long capacity() {
        return capacity;
    }

    /** Bytes held by requests now. */
    public long held() {
        return held.get();
    }

    private boolean take(long bytes) {
        if (capacity <= 0) {
            return true;
        }
        while (true) {
            long now = held.get();
            if (now + bytes > capacity) {
                return false;
            }
            if (held.compareAndSet(now, now + bytes)) {
                return true;
            }
        }
    }

    /** Every POST gets a lease in its context; the body reader charges it, the end of the request returns it. */
    public void register(HttpRouting.Builder routing) {
        routing.addFilter((chain, req, res) -> {
            if (req.prologue().method() != Method.POST) {
                chain.proceed();
                return;
            }
            Lease lease = new Lease();
            req.context().register(lease);
            try {
                chain.proceed();
            } finally {
                lease.close();
            }
        });
    }

    /** The lease of this request, or null when none was registered (a server without a budget). */
    static Lease lease(ServerRequest req) {
        return req.context().get(Lease.class).orElse(null);
    }

    /** One request's share of the budget. */
    public final class Lease implements AutoCloseable {

        private long taken;

        /** False when the budget cannot hold {@code bytes} more now. */
        boolean take(long bytes) {
            if (!BodyBudget.this.take(bytes)) {
                return false;
            }
            taken += bytes;
            return true;
        }

        void giveBack(long bytes) {
            long back = Math.min(bytes, taken);
            taken -= back;
            held.addAndGet(-back);
        }

        long capacity() {
            return capacity;
        }

        @Override
        public void close() {
            giveBack(taken);
        }
    }
}
