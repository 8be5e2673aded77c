package dev.tollgate.server.ledger;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * One journal row as a line of text: tab-separated fields, with {@code \t}, {@code \n}, {@code \\} and NUL
 * escaped in text, built into a reusable byte buffer so an append allocates nothing.
 */
final class JournalLine {

    private JournalLine() {
    }

    static void format(Bytes out, Journal.Row r) {
        Reservation res = r.reservation();
        Charge c = r.charge();
        var u = c.usage();
        out.number(res.id()).number(res.atMillis()).number(res.day()).text(res.keyId()).text(res.teamId()).text(res.customerId())
                .text(res.model()).text(r.status().text).number(res.nanos()).number(c.nanos()).number(u.inputTokens())
                .number(u.outputTokens()).number(u.cachedInputTokens()).number(u.cacheWriteTokens()).number(u.reasoningTokens())
                .number(c.estimated() ? 1 : 0).number(r.settledMillis()).number(r.owed() ? 1 : 0).end();
    }

    /**
     * Lines built as bytes, fields each followed by a tab: a settle's row without a StringBuilder,
     * a String and its encoding in between.
     */
    /** The bytes of one line. */
    static final class Bytes {
        byte[] bytes = new byte[256];
        int length;

        void reset() {
            length = 0;
        }

        Bytes number(long v) {
            if (v < 0) {
                return ascii(Long.toString(v)).tab();
            }
            int digits = 1;
            for (long rest = v / 10; rest > 0; rest /= 10) {
                digits++;
            }
            room(digits + 1);
            for (int i = length + digits - 1; i >= length; i--) {
                bytes[i] = (byte) ('0' + v % 10);
                v /= 10;
            }
            length += digits;
            return tab();
        }

        Bytes text(String s) {
            room(s.length() * 2 + 1);
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                if (c >= 0x80) {
                    // UTF-8 bytes past ASCII never look like the bytes escaped here
                    escaped(s.substring(i).getBytes(StandardCharsets.UTF_8));
                    break;
                }
                escaped((byte) c);
            }
            return tab();
        }

        private void escaped(byte[] utf8) {
            room(utf8.length * 2);
            for (byte b : utf8) {
                escaped(b);
            }
        }

        private void escaped(byte b) {
            switch (b) {
                case '\\' -> put((byte) '\\', (byte) '\\');
                case '\t' -> put((byte) '\\', (byte) 't');
                case '\n' -> put((byte) '\\', (byte) 'n');
                case 0 -> put((byte) '\\', (byte) '0');
                default -> bytes[length++] = b;
            }
        }

        private void put(byte a, byte b) {
            bytes[length++] = a;
            bytes[length++] = b;
        }

        private Bytes ascii(String s) {
            room(s.length());
            for (int i = 0; i < s.length(); i++) {
                bytes[length++] = (byte) s.charAt(i);
            }
            return this;
        }

        private Bytes tab() {
            room(1);
            bytes[length++] = '\t';
            return this;
        }

        /** Ends the line: its last field's tab becomes the newline. */
        void end() {
            bytes[length - 1] = '\n';
        }

        private void room(int n) {
            if (length + n > bytes.length) {
                bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, length + n));
            }
        }

        @Override
        public String toString() {
            return new String(bytes, 0, length, StandardCharsets.UTF_8);
        }
    }

    /** A row from its line, or null for a line that is not a complete row. */
    static Journal.Row parse(String line) {
        String[] f = line.split("\t", -1);
        if (f.length != 18) {
            return null;
        }
        try {
            Reservation reservation = new Reservation(Long.parseLong(f[0]), Long.parseLong(f[1]), Long.parseLong(f[2]),
                    unescape(f[3]), unescape(f[4]), unescape(f[5]), unescape(f[6]), Long.parseLong(f[8]));
            var usage = new dev.tollgate.providers.usage.Usage(Long.parseLong(f[10]), Long.parseLong(f[11]), Long.parseLong(f[12]),
                    Long.parseLong(f[13]), Long.parseLong(f[14]));
            return new Journal.Row(reservation, Journal.Row.Status.of(unescape(f[7])), new Charge(Long.parseLong(f[9]), usage, f[15].equals("1")),
                    Long.parseLong(f[16]), f[17].equals("1"));
        } catch (IllegalArgumentException e) {
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
                out.append(n == 't' ? '\t' : n == 'n' ? '\n' : n == '0' ? '\0' : n);
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
