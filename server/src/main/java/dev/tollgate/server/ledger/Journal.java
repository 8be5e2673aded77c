package dev.tollgate.server.ledger;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The ledger's write-ahead file: a settle appends its row as one line, and that is what makes it
 * durable. SQLite gets the rows later in batches ({@link SqliteLedger}), so a request pays a memory
 * copy instead of a SQLite transaction's dozen system calls (WAL frames, file locks).
 *
 * <p>Rows go to {@code spend.journal.N}, a file mapped into memory: a line copied into the mapping
 * is in the OS's page cache at once, so it outlives a killed process as a {@code write} would,
 * without the system call (a third of a settle's CPU). {@link #take} hands back the rows appended
 * since the last take and the byte offset they end at. Once N passes {@link #ROTATE_BYTES}, a take
 * also starts file N+1; once SQLite has N's rows, N is emptied and kept as a spare for a later file,
 * mapping and all, because Java cannot unmap a file: a deleted one would stay mapped, holding its
 * disk space, until a full GC. Files left by a crash are read back at start. A line is tab-separated
 * with {@code \t}, {@code \n}, {@code \\} and NUL escaped in text; the unwritten end of a file is
 * zeros, and a torn last line (the process died inside a copy) is ignored, as that row was never
 * acknowledged.
 */
final class Journal implements AutoCloseable {

    static final String PREFIX = "spend.journal.";
    private static final String SPARE_PREFIX = "spend.spare.";

    /** One journal line: a reservation, or its settlement (the charge, when, and whether the shared store still owes it). */
    record Row(Reservation reservation, Status status, Charge charge, long settledMillis, boolean owed) {

        /** What a line records; the journal writes the lower-case name. */
        enum Status {
            RESERVED, SETTLED, RECOVERED;

            final String text = name().toLowerCase(java.util.Locale.ROOT);

            @Override
            public String toString() {
                return text;
            }

            static Status of(String text) {
                return switch (text) {
                    case "reserved" -> RESERVED;
                    case "settled" -> SETTLED;
                    case "recovered" -> RECOVERED;
                    default -> throw new IllegalArgumentException("unknown journal row status " + text);
                };
            }
        }

        private static final Charge NOTHING = new Charge(0, dev.tollgate.providers.usage.Usage.NONE, false);

        static Row reserved(Reservation r) {
            return new Row(r, Status.RESERVED, NOTHING, 0, false);
        }

        static Row settled(Reservation r, Charge c, long settledMillis, boolean owed) {
            return new Row(r, Status.SETTLED, c, settledMillis, owed);
        }

        /** A reservation a stop left unsettled, charged at its reserved amount (owed to the shared store when asked). */
        Row recovered(boolean owe) {
            return new Row(reservation, Status.RECOVERED, new Charge(reservation.nanos(), dev.tollgate.providers.usage.Usage.NONE, false), 0, owe);
        }

        boolean isSettled() {
            return status == Status.SETTLED;
        }

        long id() {
            return reservation.id();
        }

        long day() {
            return reservation.day();
        }

        long reservedNanos() {
            return reservation.nanos();
        }
    }

    static final long ROTATE_BYTES = 8 << 20;
    /**
     * A file's mapped size: room past {@link #ROTATE_BYTES} for the rows of many folds that could
     * not run; rows past it are written with {@code write}, into the same page cache.
     */
    static final int MAPPED_BYTES = 16 << 20;
    /**
     * How far past the last row {@link #touch} (and {@link #take}, in a new file) faults pages in: the OS
     * allocates a file's page on first touch, which a settling request would otherwise wait for.
     */
    private static final int TOUCH_AHEAD = 256 << 10;
    private static final int PAGE = 4096;

    /**
     * Rows of {@code file} up to byte {@code end}; when {@code finished}, nothing more will be
     * appended to the file: {@link #recycle} it once the rows are safely elsewhere.
     */
    record Batch(Path file, List<Row> rows, long end, boolean finished) {
        long seq() {
            return seqOf(file);
        }
    }

    /** A journal file, open and mapped whole. */
    private record Segment(Path path, FileChannel channel, MappedByteBuffer map) {
    }

    private final Path dir;
    private final boolean fsync;
    private final ReentrantLock lock = new ReentrantLock();
    /** The bytes of one append, built under the lock. */
    private final JournalLine.Bytes line = new JournalLine.Bytes();
    private long seq;
    private Segment current;
    /** Bytes appended to {@code current}. */
    private long position;
    /** Bytes of {@code current} whose pages are in memory. */
    private long touched;
    private List<Row> rows = new ArrayList<>();
    /** Files rotated out whose rows SQLite does not have yet. */
    private final Map<Path, Segment> finished = new HashMap<>();
    /** Emptied files, mapped, for the next rotations. */
    private final Deque<Segment> spares = new ArrayDeque<>();
    private long sparesMade;

    private Journal(Path dir, boolean fsync, long seq) throws IOException {
        this.dir = dir;
        this.fsync = fsync;
        this.seq = seq;
        current = segment(seq);
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
        try (DirectoryStream<Path> stale = Files.newDirectoryStream(dir, SPARE_PREFIX + "*")) {
            for (Path f : stale) {
                Files.delete(f);
            }
        }
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

    /** The complete rows of a journal file after its first {@code from} bytes, up to its unwritten (zero) end. */
    static List<Row> read(Path file, long from) throws IOException {
        List<Row> out = new ArrayList<>();
        byte[] bytes = Files.readAllBytes(file);
        int skip = (int) Math.min(from, bytes.length);
        int end = skip;
        while (end < bytes.length && bytes[end] != 0) {
            end++;
        }
        String text = new String(bytes, skip, end - skip, StandardCharsets.UTF_8);
        int start = 0;
        for (int nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
            Row row = JournalLine.parse(text.substring(start, nl));
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

    /** File {@code seq}: a spare renamed, or a new file, mapped (and so sized: its unwritten bytes read as zeros). */
    private Segment segment(long seq) throws IOException {
        Path path = dir.resolve(PREFIX + seq);
        Segment spare = spares.poll();
        if (spare != null) {
            Files.move(spare.path(), path, StandardCopyOption.ATOMIC_MOVE);
            return new Segment(path, spare.channel(), spare.map());
        }
        FileChannel channel = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE);
        return new Segment(path, channel, channel.map(FileChannel.MapMode.READ_WRITE, 0, MAPPED_BYTES));
    }

    /** Appends the rows at once; returns once the OS has them (and the disk, with fsync). */
    void append(List<Row> batch) throws IOException {
        lock.lock();
        try {
            line.reset();
            for (Row r : batch) {
                JournalLine.format(line, r);
            }
            write();
            rows.addAll(batch);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Appends the reservations {@code pending} holds, then {@code last} (a settle, or null), at once.
     * Draining under the lock keeps every reservation's row ahead of its settle's; a settle's own
     * reservation is skipped, as its row carries all of it.
     */
    void append(Queue<Reservation> pending, Row last) throws IOException {
        lock.lock();
        try {
            line.reset();
            List<Row> reserved = new ArrayList<>(0);
            for (Reservation r; (r = pending.poll()) != null; ) {
                if (last == null || r.id() != last.id()) {
                    Row row = Row.reserved(r);
                    JournalLine.format(line, row);
                    reserved.add(row);
                }
            }
            if (last != null) {
                JournalLine.format(line, last);
            }
            if (line.length == 0) {
                return;
            }
            write();
            rows.addAll(reserved);
            if (last != null) {
                rows.add(last);
            }
        } finally {
            lock.unlock();
        }
    }

    private void write() throws IOException {
        int n = line.length;
        MappedByteBuffer map = current.map();
        if (position + n <= map.capacity()) {
            map.put((int) position, line.bytes, 0, n);
            if (fsync) {
                map.force((int) position, n);
            }
        } else {
            ByteBuffer bytes = ByteBuffer.wrap(line.bytes, 0, n);
            for (long at = position; bytes.hasRemaining(); ) {
                at += current.channel().write(bytes, at);
            }
            if (fsync) {
                current.channel().force(false);
            }
        }
        position += n;
    }

    /** The rows appended since the last take (none: nothing was), starting the next file when this one is big enough. */
    Batch take() throws IOException {
        lock.lock();
        try {
            if (rows.isEmpty()) {
                return new Batch(current.path(), List.of(), position, false);
            }
            boolean finish = position >= ROTATE_BYTES;
            Segment next = finish ? segment(seq + 1) : null; // first: if it fails, nothing has changed
            Batch done = new Batch(current.path(), rows, position, finish);
            rows = new ArrayList<>();
            if (finish) {
                finished.put(current.path(), current);
                seq++;
                current = next;
                position = 0;
                touched = 0;
                touchAhead();
            }
            return done;
        } finally {
            lock.unlock();
        }
    }

    /** Faults in the pages the next appends will write; the ledger's thread calls it every tick. */
    void touch() {
        lock.lock();
        try {
            touchAhead();
        } finally {
            lock.unlock();
        }
    }

    /** Writes a zero (what is there already) on each page ahead of the appends; only ever past them, under the lock. */
    private void touchAhead() {
        MappedByteBuffer map = current.map();
        long until = Math.min(position + TOUCH_AHEAD, map.capacity());
        for (long page = (Math.max(touched, position) + PAGE - 1) / PAGE * PAGE; page < until; page += PAGE) {
            map.put((int) page, (byte) 0);
        }
        touched = Math.max(touched, until);
    }

    /**
     * SQLite has the batch's rows: a finished file is emptied and kept as a spare. Renamed first, so
     * that a crash half-way leaves a spare (deleted at the next start), never a journal file to replay.
     */
    void recycle(Batch batch) throws IOException {
        if (!batch.finished()) {
            return;
        }
        lock.lock();
        try {
            Segment done = finished.remove(batch.file());
            if (done == null) {
                Files.deleteIfExists(batch.file());
                return;
            }
            Path spare = dir.resolve(SPARE_PREFIX + ++sparesMade);
            Files.move(done.path(), spare, StandardCopyOption.ATOMIC_MOVE);
            // Cut to nothing and grown back: the old rows' pages are dropped and the mapping reads
            // zeros again. Nothing touches the mapping meanwhile, it is not the current file.
            done.channel().truncate(0);
            done.channel().write(ByteBuffer.wrap(new byte[1]), MAPPED_BYTES - 1);
            spares.push(new Segment(spare, done.channel(), done.map()));
        } finally {
            lock.unlock();
        }
    }

    /** Closes the journal: the current file is deleted when it holds nothing, else cut to its rows. */
    @Override
    public void close() throws IOException {
        lock.lock();
        try {
            if (rows.isEmpty()) {
                Files.deleteIfExists(current.path());
            } else {
                current.channel().truncate(position);
            }
            current.channel().close();
            for (Segment s : spares) {
                s.channel().close();
                Files.deleteIfExists(s.path());
            }
            spares.clear();
            for (Segment s : finished.values()) {
                s.channel().close();
            }
        } finally {
            lock.unlock();
        }
    }
}
