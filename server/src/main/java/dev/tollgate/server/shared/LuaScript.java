package dev.tollgate.server.shared;

import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** A Lua script from the class path, run by its SHA-1 and sent whole only when Redis lacks it (a restarted Redis). */
public record LuaScript(String body, String sha) {

    public static LuaScript load(Class<?> near, String name) {
        try (InputStream in = near.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing script " + name + " next to " + near.getName());
            }
            String body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(body.getBytes(StandardCharsets.UTF_8)));
            return new LuaScript(body, sha);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** @throws StoreUnreachable when Redis does not answer */
    public <T> T run(SharedStore store, ScriptOutputType type, String[] keys, String... args) {
        return store.call(redis -> {
            try {
                return redis.evalsha(sha, type, keys, args);
            } catch (RedisNoScriptException e) {
                return redis.eval(body, type, keys, args);
            }
        });
    }
}
