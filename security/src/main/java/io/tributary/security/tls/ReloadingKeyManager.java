package io.tributary.security.tls;

import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.function.Supplier;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * The server side of a listener's key material: offers the certificate and key of the latest
 * reading of the files to each new handshake. Each reading has its own alias; a handshake that chose
 * an alias just before a reload still gets that reading's chain and key (the previous reading is
 * kept), so the chain and key it sends always belong together.
 */
final class ReloadingKeyManager extends X509ExtendedKeyManager {
    private final Supplier<TlsMaterial> current;
    private final Supplier<TlsMaterial> previous;

    ReloadingKeyManager(Supplier<TlsMaterial> current, Supplier<TlsMaterial> previous) {
        this.current = current;
        this.previous = previous;
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
        return choose(keyType);
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
        return choose(keyType);
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
        String alias = choose(keyType);
        return alias == null ? null : new String[] {alias};
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
        TlsMaterial m = find(alias);
        return m == null ? null : m.chain().clone();
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
        TlsMaterial m = find(alias);
        return m == null ? null : m.key();
    }

    // a listener never acts as a TLS client
    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
        return null;
    }

    @Override
    public String chooseClientAlias(String[] keyTypes, Principal[] issuers, Socket socket) {
        return null;
    }

    @Override
    public String chooseEngineClientAlias(String[] keyTypes, Principal[] issuers, SSLEngine engine) {
        return null;
    }

    private String choose(String keyType) {
        TlsMaterial m = current.get();
        return matches(keyType, m.key()) ? m.alias() : null;
    }

    private TlsMaterial find(String alias) {
        TlsMaterial m = current.get();
        if (m.alias().equals(alias)) {
            return m;
        }
        TlsMaterial p = previous.get();
        return p != null && p.alias().equals(alias) ? p : null;
    }

    /**
     * Whether a key can serve a handshake that asks for {@code keyType}: the JDK asks for "RSA" or
     * "EC"; Netty's OpenSSL engine for "RSA", "EC", or "EC_EC"/"EC_RSA" (the key's algorithm, then
     * the algorithm its issuer signed with, which is not checked here). "RSASSA-PSS" (an RSA-PSS key)
     * and "DH_RSA" never match the RSA and EC keys read here.
     */
    static boolean matches(String keyType, PrivateKey key) {
        if (keyType == null) {
            return false;
        }
        int underscore = keyType.indexOf('_');
        String wanted = underscore < 0 ? keyType : keyType.substring(0, underscore);
        String have = key.getAlgorithm();
        return wanted.equals(have) || (wanted.equals("EC") && have.equals("ECDSA"));
    }
}
