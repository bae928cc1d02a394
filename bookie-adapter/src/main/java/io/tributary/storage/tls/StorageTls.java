package io.tributary.storage.tls;

import io.tributary.protocol.config.Settings;
import io.tributary.protocol.security.TlsFiles;
import java.nio.file.Path;

/**
 * How a process's storage clients reach ZooKeeper and the bookies: over TLS when the part is set.
 *
 * @param zookeeper TLS to ZooKeeper's secure client port (null: plaintext); its certificate is presented only
 *                  when ZooKeeper asks for one
 * @param bookkeeper TLS to the bookies (null: plaintext); its certificate is presented to every bookie
 */
public record StorageTls(TlsFiles zookeeper, TlsFiles bookkeeper) {
    /** Plaintext to both. */
    public static final StorageTls NONE = new StorageTls(null, null);

    public StorageTls {
        requireTrust(zookeeper, "ZooKeeper");
        requireTrust(bookkeeper, "BookKeeper");
    }

    private static void requireTrust(TlsFiles files, String what) {
        if (files != null && files.trustCertsFile() == null) {
            // neither library falls back to the JDK's trust store with PEM files
            throw new IllegalArgumentException("TLS to " + what + " needs a trustCertsFile (the CA its servers' certificates chain to)");
        }
    }

    /**
     * {@code <prefix>.zookeeper.tls.*} and {@code <prefix>.bookkeeper.tls.*} (e.g. {@code broker}); see
     * {@link #clientFiles(Settings, String)}.
     */
    public static StorageTls from(Settings s, String prefix) {
        return new StorageTls(clientFiles(s, prefix + ".zookeeper.tls"), clientFiles(s, prefix + ".bookkeeper.tls"));
    }

    /**
     * A client's files under {@code prefix}: {@code .trustCertsFile} (TLS is on when it is set), and an optional
     * {@code .certFile} with its {@code .keyFile}; null when {@code .trustCertsFile} is not set. A certificate
     * without trust, or a key without a certificate, is refused with a message naming the keys.
     */
    public static TlsFiles clientFiles(Settings s, String prefix) {
        String trust = s.get(prefix + ".trustCertsFile", null);
        String cert = s.get(prefix + ".certFile", null);
        String key = s.get(prefix + ".keyFile", null);
        if (trust == null) {
            if (cert != null || key != null) {
                throw new IllegalArgumentException(prefix + ".certFile/keyFile need " + prefix + ".trustCertsFile (TLS is on when it is set)");
            }
            return null;
        }
        if ((cert == null) != (key == null)) {
            throw new IllegalArgumentException(prefix + ".certFile and " + prefix + ".keyFile go together");
        }
        return new TlsFiles(cert == null ? null : Path.of(cert), key == null ? null : Path.of(key), Path.of(trust));
    }
}
