package dev.tollgate.server.spend;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The ledger's write-ahead file: a settle appends its row as one line with one {@code write}, and
 * that is what makes it durable. SQLite gets the rows later in batches ({@link SqliteLedger}), so a
 * request pays one system call instead of a SQLite transaction's dozen (WAL frames, file locks).
 *
 * <p>Rows go to {@code spend.journal.N}; {@link #take} hands back the rows appended since the last
 * take and the byte offset they end at. Once N passes {@link #ROTATE_BYTES}, a take also starts file
 * N+1, and N is deleted once SQLite has its rows: creating and deleting a file on every take was a
 * quarter of the ledger thread's work. Files left by a crash are read back at start. A line is
 * tab-separated with {@code \t}, {@code \n} and {@code \\} escaped in text; a torn last line (the
 * process died inside a write) is ignored, as that row was never acknowledged.
 */
final class Journal implements AutoCloseable {

    static final String PREFIX = "spend.journal.";

    /** One row of the {@code spend} table, as SQLite will hold it. */
    record Row(long id, long atMillis, long day, String keyId, String teamId, String customerId, String model, String status,
               long reservedNanos, long costNanos, long inputTokens, long outputTokens, long cachedTokens, long cacheWriteTokens,
               long reasoningTokens, boolean estimated, long settledMillis, boolean owed) {

        static Row reserved(Reservation r) {
            return new Row(r.id(), r.atMillis(), r.day(), r.keyId(), r.teamId(), r.customerId(), r.model(), "reserved", r.nanos(),
                    0, 0, 0, 0, 0, 0, false, 0, false);
        }

        static Row settled(Reservation r, Charge c, long settledMillis, boolean owed) {
            var u = c.usage();
            return new Row(r.id(), r.atMillis(), r.day(), r.keyId(), r.teamId(), r.customerId(), r.model(), "settled", r.nanos(),
                    c.nanos(), u.inputTokens(), u.outputTokens(), u.cachedInputTokens(), u.cacheWriteTokens(), u.reasoningTokens(),
                    c.estimated(), settledMillis, owed);
        }

        boolean isSettled() {
            return status.equals("settled");
        }
    }

    static final long ROTATE_BYTES = 8 << 20;

    /**
     * Rows of {@code file} up to byte {@code end}; when {@code finished}, nothing more will be
     * appended to the file, so delete it once the rows are safely elsewhere.
     */
    record Batch(Path file, List<Row> rows, long end, boolean finished) {
        long seq() {
            return seqOf(file);
        }

        void deleteIfFinished() throws IOException {
            if (finished) {
                Files.deleteIfExists(file);
            }
        }
    }

    private final Path dir;
    private final boolean fsync;
    private final ReentrantLock lock = new ReentrantLock();
    private long seq;
    private Path file;
    private FileChannel channel;
    /** Bytes appended to {@code file}. */
    private long position;
    private List<Row> rows = new ArrayList<>();

    private Journal(Path dir, boolean fsync, long seq) throws IOException {
        this.dir = dir;
        this.fsync = fsync;
        this.seq = seq;
        open();
    }

    /**
     * The journal files a previous run left (oldest first) and a new journal after them.
     *
     * @param fsync force every append to the disk (survives a power cut, not only a killed process)
     */
    static Journal open(Path dir, boolean fsync) throws IOException {
        return open(dir, fsync, 0);
    }

    /** As {@link #open(Path, boolean)}, numbering the new file after {@code usedSeq} too (the ledger's last folded file). */
    static Journal open(Path dir, boolean fsync, long usedSeq) throws IOException {
        List<Path> left = leftover(dir);
        long last = left.isEmpty() ? 0 : seqOf(left.get(left.size() - 1));
        return new Journal(dir, fsync, Math.max(last, usedSeq) + 1);
    }

    /** Journal files in {@code dir}, oldest first. */
    static List<Path> leftover(Path dir) throws IOException {
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> found = Files.newDirectoryStream(dir, PREFIX + "*")) {
            for (Path f : found) {
                if (seqOf(f) > 0) {
                    files.add(f);
                }
            }
        }
        files.sort(Comparator.comparingLong(Journal::seqOf));
        return files;
    }

    /** The complete rows of a journal file. */
    static List<Row> read(Path file) throws IOException {
        return read(file, 0);
    }

    /** The complete rows of a journal file after its first {@code from} bytes. */
    static List<Row> read(Path file, long from) throws IOException {
        List<Row> out = new ArrayList<>();
        byte[] bytes = Files.readAllBytes(file);
        int skip = (int) Math.min(from, bytes.length);
        String text = new String(bytes, skip, bytes.length - skip, StandardCharsets.UTF_8);
        int start = 0;
        for (int nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
            Row row = parse(text.substring(start, nl));
            if (row != null) {
                out.add(row);
            }
            start = nl + 1;
        }
        return out;
    }

    static long seqOf(Path f) {
        String name = f.getFileName().toString();
        try {
            return name.startsWith(PREFIX) ? Long.parseLong(name.substring(PREFIX.length())) : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private void open() throws IOException {
        file = dir.resolve(PREFIX + seq);
        channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        position = channel.size();
    }

    /** Appends the rows with one write; returns once the OS has them (and the disk, with fsync). */
    void append(List<Row> batch) throws IOException {
        StringBuilder text = new StringBuilder(192 * batch.size());
        for (Row r : batch) {
            format(text, r);
        }
        lock.lock();
        try {
            write(text);
            rows.addAll(batch);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Appends the reservations {@code pending} holds, then {@code last} (a settle, or null), with one
     * write. Draining under the lock keeps every reservation's row ahead of its settle's; a settle's
     * own reservation is skipped, as its row carries all of it.
     */
    void append(Queue<Reservation> pending, Row last) throws IOException {
        StringBuilder text = new StringBuilder(192);
        if (last != null) {
            format(text, last);
        }
        lock.lock();
        try {
            int settleEnd = text.length();
            List<Row> reserved = new ArrayList<>(0);
            for (Reservation r; (r = pending.poll()) != null; ) {
                if (last == null || r.id() != last.id()) {
                    Row row = Row.reserved(r);
                    format(text, row);
                    reserved.add(row);
                }
            }
            if (text.isEmpty()) {
                return;
            }
            if (last != null && !reserved.isEmpty()) {
                // reservations first: move the settle's line to the end
                text.append(text, 0, settleEnd).delete(0, settleEnd);
            }
            write(text);
            rows.addAll(reserved);
            if (last != null) {
                rows.add(last);
            }
        } finally {
            lock.unlock();
        }
    }

    private void write(CharSequence text) throws IOException {
        ByteBuffer bytes = ByteBuffer.wrap(text.toString().getBytes(StandardCharsets.UTF_8));
        while (bytes.hasRemaining()) {
            position += channel.write(bytes);
        }
        if (fsync) {
            channel.force(false);
        }
    }

    /** The rows appended since the last take (none: nothing was), starting the next file when this one is big enough. */
    Batch take() throws IOException {
        lock.lock();
        try {
            if (rows.isEmpty()) {
                return new Batch(file, List.of(), position, false);
            }
            boolean finish = position >= ROTATE_BYTES;
            Batch done = new Batch(file, rows, position, finish);
            rows = new ArrayList<>();
            if (finish) {
                channel.close();
                seq++;
                open();
            }
            return done;
        } finally {
            lock.unlock();
        }
    }

    /** Closes the current file, deleting it when it holds nothing. */
    @Override
    public void close() throws IOException {
        lock.lock();
        try {
            channel.close();
            if (rows.isEmpty()) {
                Files.deleteIfExists(file);
            }
        } finally {
            lock.unlock();
        }
    }

    static void format(StringBuilder out, Row r) {
        out.append(r.id()).append('\t').append(r.atMillis()).append('\t').append(r.day()).append('\t');
        text(out, r.keyId());
        text(out, r.teamId());
        text(out, r.customerId());
        text(out, r.model());
        text(out, r.status());
        out.append(r.reservedNanos()).append('\t').append(r.costNanos()).append('\t').append(r.inputTokens()).append('\t')
                .append(r.outputTokens()).append('\t').append(r.cachedTokens()).append('\t').append(r.cacheWriteTokens()).append('\t')
                .append(r.reasoningTokens()).append('\t').append(r.estimated() ? 1 : 0).append('\t').append(r.settledMillis())
                .append('\t').append(r.owed() ? 1 : 0).append('\n');
    }

    private static void text(StringBuilder out, String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\\' -> out.append("\\\\");
                case '\t' -> out.append("\\t");
                case '\n' -> out.append("\\n");
                default -> out.append(c);
            }
        }
        out.append('\t');
    }

    /** A row from its line, or null for a line that is not a complete row. */
    static Row parse(String line) {
        String[] f = line.split("\t", -1);
        if (f.length != 18) {
            return null;
        }
        try {
            return new Row(Long.parseLong(f[0]), Long.parseLong(f[1]), Long.parseLong(f[2]), unescape(f[3]), unescape(f[4]),
                    unescape(f[5]), unescape(f[6]), unescape(f[7]), Long.parseLong(f[8]), Long.parseLong(f[9]), Long.parseLong(f[10]),
                    Long.parseLong(f[11]), Long.parseLong(f[12]), Long.parseLong(f[13]), Long.parseLong(f[14]), f[15].equals("1"),
                    Long.parseLong(f[16]), f[17].equals("1"));
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static String unescape(String s) {
        if (s.indexOf('\\') < 0) {
            return s;
        }
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 1 < s.length()) {
                char n = s.charAt(++i);
                out.append(n == 't' ? '\t' : n == 'n' ? '\n' : n);
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
