package io.tributary.storage.tls;

import io.tributary.protocol.security.ServerTlsSettings;
import io.tributary.protocol.security.TlsFiles;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.zookeeper.ClientCnxnSocketNetty;
import org.apache.zookeeper.client.ZKClientConfig;
import org.apache.zookeeper.common.ClientX509Util;
import org.apache.zookeeper.common.QuorumX509Util;
import org.apache.zookeeper.server.auth.ProviderRegistry;
import org.apache.zookeeper.server.auth.X509AuthenticationProvider;

/**
 * ZooKeeper's own TLS (3.9: Netty client and server, PEM key and trust stores), set up from our PEM files.
 *
 * <p>Where ZooKeeper lets us, the settings go to one client only ({@link #clientConfig}, for Curator). Two
 * places read them from JVM-wide system properties and nowhere else: ZooKeeper's server (its Netty connection
 * factory reads {@code zookeeper.ssl.*} at each new connection) and the ZooKeeper client BookKeeper creates
 * for its metadata ({@code new ZooKeeper(...)} without a client config). For those, {@link #serverProperties}
 * and {@link #jvmClientProperties} set them for as long as the returned lease is open, and refuse to change a
 * value another holder in the process relies on.
 *
 * <p>Rotation: the server re-reads its key, certificate and trusted CAs for every new TLS handshake, but
 * checks client certificates (when it asks for them) against the CAs it read at start-up. A client
 * reads its files when its ZooKeeper handle is created (Curator makes a new one after a session expires), not
 * when it reconnects within a session.
 */
public final class ZooKeeperTls {
    /** An open claim on JVM-wide settings; closing it restores what was there before (once no one else needs them). */
    public interface Lease extends AutoCloseable {
        @Override
        void close();
    }

    private static final String X509_PROVIDER_PROPERTY = ProviderRegistry.AUTHPROVIDER_PROPERTY_PREFIX + "x509";

    private ZooKeeperTls() {}

    /** A client configuration that connects over TLS with {@code tls}, whatever the JVM-wide properties say. */
    public static ZKClientConfig clientConfig(TlsFiles tls) {
        ZKClientConfig config = new ZKClientConfig();
        clientProperties(tls, true).forEach(config::setProperty);
        return config;
    }

    /**
     * Makes every ZooKeeper client of this process that takes its settings from the JVM (BookKeeper's) connect
     * over TLS with {@code tls}, until the lease closes. Its certificate, if any, is used only when no ZooKeeper
     * server in this process has set one already (they share the property).
     */
    public static Lease jvmClientProperties(TlsFiles tls) {
        return lease("a ZooKeeper client with TLS", clientProperties(tls, false));
    }

    /** Makes ZooKeeper servers started in this process serve TLS with {@code tls}, until the lease closes. */
    public static Lease serverProperties(ServerTlsSettings tls) {
        Map<String, String> p = new LinkedHashMap<>();
        try (ClientX509Util x = new ClientX509Util()) {
            p.put(x.getSslKeystoreLocationProperty(), PemBundle.of(tls.certFile(), tls.keyFile()).toString());
            p.put(x.getSslKeystoreTypeProperty(), "PEM");
            if (tls.trustCertsFile() != null) {
                p.put(x.getSslTruststoreLocationProperty(), absolute(tls.trustCertsFile()));
                p.put(x.getSslTruststoreTypeProperty(), "PEM");
            }
            // ZooKeeper's default is "need": say "none" explicitly when no client certificate is asked for
            p.put(x.getSslClientAuthProperty(), switch (tls.clientAuth()) {
                case NONE -> "none";
                case OPTIONAL -> "want";
                case REQUIRE -> "need";
            });
        }
        if (tls.clientAuth() == ServerTlsSettings.ClientAuth.NONE) {
            return lease("a ZooKeeper server with TLS", p);
        }
        // after a handshake with a client certificate, the server hands the connection to the "x509"
        // authentication provider, which it finds only when registered by this property
        p.put(X509_PROVIDER_PROPERTY, X509AuthenticationProvider.class.getName());
        Lease lease = lease("a ZooKeeper server with TLS", p);
        try {
            // (re)made now, so it checks client certificates against this server's trusted CAs
            ProviderRegistry.addOrUpdateProvider(X509_PROVIDER_PROPERTY);
        } catch (RuntimeException e) {
            lease.close();
            throw e;
        }
        return lease;
    }

    /**
     * Makes an ensemble member of this process serve TLS as {@code tls} says, until the lease closes: its secure
     * client port (ZooKeeper's Netty connection factory, named JVM-wide) and, with {@link ZooKeeperServerTls#quorum},
     * TLS between members ({@code zookeeper.ssl.quorum.*}; the member's config must also say {@code sslQuorum=true}).
     */
    public static Lease peerProperties(ZooKeeperServerTls tls) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("zookeeper.serverCnxnFactory", "org.apache.zookeeper.server.NettyServerCnxnFactory");
        if (tls.quorum()) {
            try (QuorumX509Util x = new QuorumX509Util()) {
                p.put(x.getSslKeystoreLocationProperty(), PemBundle.of(tls.files().certFile(), tls.files().keyFile()).toString());
                p.put(x.getSslKeystoreTypeProperty(), "PEM");
                p.put(x.getSslTruststoreLocationProperty(), absolute(tls.files().trustCertsFile()));
                p.put(x.getSslTruststoreTypeProperty(), "PEM");
            }
        }
        Lease member = lease("a ZooKeeper ensemble member with TLS", p);
        try {
            Lease server = serverProperties(tls.files());
            return () -> {
                server.close();
                member.close();
            };
        } catch (RuntimeException e) {
            member.close();
            throw e;
        }
    }

    private static Map<String, String> clientProperties(TlsFiles tls, boolean explicitNoKey) {
        if (tls.trustCertsFile() == null) {
            throw new IllegalArgumentException("TLS to ZooKeeper needs a trustCertsFile (the CA its certificate chains to)");
        }
        Map<String, String> p = new LinkedHashMap<>();
        p.put(ZKClientConfig.SECURE_CLIENT, "true");
        p.put(ZKClientConfig.ZOOKEEPER_CLIENT_CNXN_SOCKET, ClientCnxnSocketNetty.class.getName());
        try (ClientX509Util x = new ClientX509Util()) {
            p.put(x.getSslTruststoreLocationProperty(), absolute(tls.trustCertsFile()));
            p.put(x.getSslTruststoreTypeProperty(), "PEM");
            if (tls.certFile() != null) {
                p.put(x.getSslKeystoreLocationProperty(), PemBundle.of(tls.certFile(), tls.keyFile()).toString());
                p.put(x.getSslKeystoreTypeProperty(), "PEM");
            } else if (explicitNoKey) {
                // a server in this JVM may have set its own key JVM-wide: this client presents none
                p.put(x.getSslKeystoreLocationProperty(), "");
            }
        }
        return p;
    }

    private static Lease lease(String what, Map<String, String> properties) {
        AutoCloseable held = JvmProperties.acquire(what, properties);
        return () -> {
            try {
                held.close();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        };
    }

    private static String absolute(Path p) {
        return p.toAbsolutePath().normalize().toString();
    }
}
