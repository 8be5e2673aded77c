package dev.tollgate.conformance;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A Google service-account key made at run time (no private key lives in the repository): the JSON
 * the gateway reads, and the public half the simulator's token endpoint verifies with.
 */
record ServiceAccountKey(KeyPair pair, String email) {

    private static final ObjectMapper JSON = new ObjectMapper();

    static ServiceAccountKey generate(String name) throws Exception {
        KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
        rsa.initialize(2048);
        return new ServiceAccountKey(rsa.generateKeyPair(), name + "@tollgate-test.iam.gserviceaccount.com");
    }

    /** The key file as Google hands it out, its token_uri pointing where the test says. */
    String json(String tokenUri) throws Exception {
        Map<String, String> key = new LinkedHashMap<>();
        key.put("type", "service_account");
        key.put("project_id", "tollgate-test");
        key.put("private_key_id", "k" + Integer.toHexString(pair.getPublic().hashCode()));
        key.put("private_key", pem("PRIVATE KEY", pair.getPrivate().getEncoded()));
        key.put("client_email", email);
        key.put("client_id", "1000000000000");
        key.put("token_uri", tokenUri);
        return JSON.writeValueAsString(key);
    }

    String publicKeyPem() {
        return pem("PUBLIC KEY", pair.getPublic().getEncoded());
    }

    private static String pem(String label, byte[] der) {
        String dashes = "-----";
        return dashes + "BEGIN " + label + dashes + "\n" + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(der)
                + "\n" + dashes + "END " + label + dashes + "\n";
    }
}
