package io.tributary.storage.tls;

import io.tributary.protocol.security.ServerTlsSettings;
import io.tributary.protocol.security.TlsFiles;
import org.apache.bookkeeper.conf.ClientConfiguration;
import org.apache.bookkeeper.conf.ServerConfiguration;
import org.apache.bookkeeper.tls.TLSContextFactory;

/**
 * BookKeeper's own TLS between clients and bookies (4.17: the client upgrades each bookie connection with
 * START_TLS), from PEM files.
 *
 * <p>Rotation: both ends check their files' modification times when they open a new connection, at most once
 * per {@link #REFRESH_SECONDS}, and rebuild their TLS context when one changed; open connections keep the
 * certificate they started with.
 */
public final class BookKeeperTls {
    /** How often a new connection may look at the certificate files for a change. */
    static final long REFRESH_SECONDS = 5;

    private BookKeeperTls() {}

    /** Makes a BookKeeper client connect to every bookie over TLS, verifying the bookie's host name. */
    public static void configureClient(ClientConfiguration conf, TlsFiles tls) {
        if (tls.trustCertsFile() == null) {
            throw new IllegalArgumentException("TLS to the bookies needs a trustCertsFile (the CA their certificates chain to)");
        }
        conf.setTLSProviderFactoryClass(TLSContextFactory.class.getName());
        // the JDK's TLS, not OpenSSL's: the same behaviour on every machine, whatever native libraries it has
        conf.setTLSProvider("JDK");
        conf.setTLSTrustStoreType("PEM");
        conf.setTLSTrustStore(tls.trustCertsFile().toString());
        if (tls.certFile() != null) {
            conf.setTLSClientAuthentication(true);
            conf.setTLSKeyStoreType("PEM");
            conf.setTLSKeyStore(tls.keyFile().toString());
            conf.setTLSCertificatePath(tls.certFile().toString());
        }
        conf.setHostnameVerificationEnabled(true);
        conf.setTLSCertFilesRefreshDurationSeconds(REFRESH_SECONDS);
    }

    /**
     * Makes a bookie serve TLS and refuse every request that does not come over it (BookKeeper alone would
     * still serve a client that never asks for TLS).
     *
     * @throws IllegalArgumentException for {@code clientAuth=optional}, which BookKeeper does not have
     */
    public static void configureBookie(ServerConfiguration conf, ServerTlsSettings tls) {
        if (tls.clientAuth() == ServerTlsSettings.ClientAuth.OPTIONAL) {
            throw new IllegalArgumentException("bookie.tls.clientAuth=optional is not supported by BookKeeper: use none or require");
        }
        conf.setTLSProviderFactoryClass(TLSContextFactory.class.getName());
        conf.setTLSProvider("JDK");
        conf.setTLSKeyStoreType("PEM");
        conf.setTLSKeyStore(tls.keyFile().toString());
        conf.setTLSCertificatePath(tls.certFile().toString());
        if (tls.clientAuth() == ServerTlsSettings.ClientAuth.REQUIRE) {
            conf.setTLSClientAuthentication(true);
            conf.setTLSTrustStoreType("PEM");
            conf.setTLSTrustStore(tls.trustCertsFile().toString());
        }
        conf.setTLSCertFilesRefreshDurationSeconds(REFRESH_SECONDS);
        conf.setBookieAuthProviderFactoryClass(TlsOnlyBookieAuth.class.getName());
    }
}
