package io.tributary.storage.tls;

import io.tributary.protocol.config.Settings;
import io.tributary.protocol.security.ServerTlsSettings;

/**
 * A ZooKeeper server's TLS: a secure client port beside (or instead of) the plaintext one, and optionally TLS
 * between the members of an ensemble.
 *
 * @param files the server's certificate, key, trusted CAs and whether clients must present a certificate
 * @param port the secure client port (0 picks a free one)
 * @param plaintextPortEnabled whether the plaintext client port stays open too
 * @param quorum TLS between ensemble members as well, with the same files (each certificate must be usable
 *               as a client certificate too: members authenticate each other); single servers ignore it
 */
public record ZooKeeperServerTls(ServerTlsSettings files, int port, boolean plaintextPortEnabled, boolean quorum) {
    /** The secure client port unless told otherwise (ZooKeeper's customary one). */
    public static final int DEFAULT_PORT = 2281;

    public ZooKeeperServerTls {
        if (files == null) {
            throw new IllegalArgumentException("ZooKeeper TLS needs its certificate and key files");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("zookeeper.tls.port must be in [0, 65535], was " + port);
        }
        if (quorum && files.trustCertsFile() == null) {
            throw new IllegalArgumentException("zookeeper.tls.quorum needs zookeeper.tls.trustCertsFile: members check each other's certificates");
        }
    }

    /** TLS only, on {@code port}, the plaintext port closed. */
    public static ZooKeeperServerTls only(ServerTlsSettings files, int port) {
        return new ZooKeeperServerTls(files, port, false, false);
    }

    /**
     * {@code zookeeper.tls.enabled/certFile/keyFile/trustCertsFile/clientAuth} (see {@link ServerTlsSettings#from}),
     * {@code zookeeper.tls.port} (default 2281), {@code zookeeper.tls.plaintextPortEnabled} (default true) and
     * {@code zookeeper.tls.quorum} (default false); null when {@code zookeeper.tls.enabled} is false.
     */
    public static ZooKeeperServerTls from(Settings s) {
        ServerTlsSettings files = ServerTlsSettings.from(s, "zookeeper.tls");
        if (files == null) {
            return null;
        }
        return new ZooKeeperServerTls(files, s.getInt("zookeeper.tls.port", DEFAULT_PORT),
                s.getBoolean("zookeeper.tls.plaintextPortEnabled", true), s.getBoolean("zookeeper.tls.quorum", false));
    }
}
