package dev.tollgate.providers.json;

/** Searching raw bytes, for the scans that decide whether anything needs parsing at all. */
public final class Bytes {

    private Bytes() {
    }

    /** Where {@code needle} first occurs in {@code data} at or after {@code from}, or -1. */
    public static int indexOf(byte[] data, byte[] needle, int from) {
        outer:
        for (int i = Math.max(0, from); i <= data.length - needle.length; i++) {
            for (int k = 0; k < needle.length; k++) {
                if (data[i + k] != needle[k]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /** Where {@code needle} last occurs in {@code data} at or before {@code from}, or -1. */
    public static int lastIndexOf(byte[] data, byte[] needle, int from) {
        outer:
        for (int i = Math.min(from, data.length - needle.length); i >= 0; i--) {
            for (int k = 0; k < needle.length; k++) {
                if (data[i + k] != needle[k]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
