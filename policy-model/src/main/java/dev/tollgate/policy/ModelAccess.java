package dev.tollgate.policy;

import java.util.List;
import java.util.regex.Pattern;

/**
 * Which model names a customer, team or key may use, as globs ({@code *} any run, {@code ?} one
 * character). A deny wins over an allow; no allow list means every model.
 */
public record ModelAccess(List<String> allow, List<String> deny) {

    public static final ModelAccess ANY = new ModelAccess(List.of(), List.of());

    public ModelAccess {
        allow = List.copyOf(allow);
        deny = List.copyOf(deny);
    }

    public boolean permits(String model) {
        if (deny.stream().anyMatch(g -> matches(g, model))) {
            return false;
        }
        return allow.isEmpty() || allow.stream().anyMatch(g -> matches(g, model));
    }

    static boolean matches(String glob, String name) {
        StringBuilder regex = new StringBuilder();
        for (char c : glob.toCharArray()) {
            switch (c) {
                case '*' -> regex.append(".*");
                case '?' -> regex.append('.');
                default -> regex.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.matches(regex.toString(), name);
    }
}
