package io.tributary.security.tls;

import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.netty.handler.ssl.ClientAuth;
import io.grpc.netty.shaded.io.netty.handler.ssl.OpenSslSessionContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.OpenSslSessionTicketKey;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslProvider;
import io.tributary.protocol.security.ServerTlsSettings;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSessionContext;
import javax.net.ssl.TrustManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The TLS of one listener, whose certificate, key and trusted CAs are re-read when their files
 * change (cert-manager rotation needs no restart). Build the server with
 * {@code NettyServerBuilder.sslContext(tls.sslContext())}; close it when the server stops.
 *
 * <p>A daemon thread looks at the files once a second (never on a Netty thread). A change is any
 * difference in a file's resolved path (a Kubernetes secret volume swaps a {@code ..data} symlink),
 * time, size or content. New files are taken only when they read whole and the key belongs to the
 * certificate; otherwise the listener keeps serving what it had, logs one warning, and tries again
 * when the files change next (a half-written file, or a certificate replaced before its key). Only
 * new handshakes see new files: connections already open keep the certificate they agreed on.
 * Cached TLS sessions are dropped at each reload, so a client cannot resume its way past a rotated
 * CA.
 *
 * <p>A JDK server ({@code HttpsServer}, the metrics endpoint) takes {@link #jdkSslContext()} instead,
 * from {@link #startJdk}: the same files, watched and reloaded the same way.
 */
public final class ServerTls implements AutoCloseable {
    /** How often the files are looked at. */
    public static final Duration CHECK_INTERVAL = Duration.ofSeconds(1);
    private static final Logger LOG = LoggerFactory.getLogger(ServerTls.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final ServerTlsSettings settings;
    // exactly one of the two: Netty's for gRPC listeners, the JDK's for HttpsServer
    private final SslContext sslContext;
    private final SSLContext jdkSslContext;
    private final ScheduledExecutorService watcher;
    private final AtomicLong reloads = new AtomicLong();
    private final AtomicLong failedReloads = new AtomicLong();
    private volatile TlsMaterial current;
    private volatile TlsMaterial previous;
    // the files as last tried (loaded or refused), guarded by this
    private TlsMaterial.Files3 lastSeen;
    private long generation;
    private boolean failing;

    private ServerTls(ServerTlsSettings settings, Duration interval, SslProvider provider, boolean jdk) {
        this.settings = settings;
        TlsMaterial.Files3 files = TlsMaterial.Files3.look(settings);
        try {
            current = TlsMaterial.build(settings, files, generation++);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("TLS: " + e.getMessage(), e);
        }
        lastSeen = files;
        warnIfNotValid(current);
        sslContext = jdk ? null : buildContext(provider);
        jdkSslContext = jdk ? buildJdkContext() : null;
        watcher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "tls-watch-" + settings.certFile().getFileName());
            t.setDaemon(true);
            return t;
        });
        long ms = Math.max(1, interval.toMillis());
        watcher.scheduleWithFixedDelay(this::checkQuietly, ms, ms, TimeUnit.MILLISECONDS);
        LOG.info("TLS serving {} (subject {}, expires {}) from {}{}", settings.certFile(),
                current.leaf().getSubjectX500Principal().getName(), current.leaf().getNotAfter().toInstant(), settings.keyFile(),
                settings.trustCertsFile() == null ? "" : ", client certificates " + settings.clientAuth().name().toLowerCase()
                        + " against " + settings.trustCertsFile());
    }

    /** Reads the files of {@code settings} (failing with a message naming the bad file) and starts watching them. */
    public static ServerTls start(ServerTlsSettings settings) {
        return start(settings, CHECK_INTERVAL);
    }

    /** As {@link #start(ServerTlsSettings)}, looking at the files every {@code interval}. */
    public static ServerTls start(ServerTlsSettings settings, Duration interval) {
        return new ServerTls(settings, interval, null, false);
    }

    /**
     * As {@link #start(ServerTlsSettings)} for a server made with the JDK's TLS ({@code HttpsServer}):
     * use {@link #jdkSslContext()}. Client certificates are asked for by the server's
     * {@code SSLParameters} ({@code setNeedClientAuth}, {@code setWantClientAuth}) after
     * {@link ServerTlsSettings#clientAuth()}; this context checks them against the trust file.
     */
    public static ServerTls startJdk(ServerTlsSettings settings) {
        return startJdk(settings, CHECK_INTERVAL);
    }

    /** As {@link #startJdk(ServerTlsSettings)}, looking at the files every {@code interval}. */
    public static ServerTls startJdk(ServerTlsSettings settings, Duration interval) {
        return new ServerTls(settings, interval, null, true);
    }

    /** With the TLS implementation {@code provider} (null: OpenSSL where Netty has it, else the JDK's), for tests. */
    static ServerTls start(ServerTlsSettings settings, Duration interval, SslProvider provider) {
        return new ServerTls(settings, interval, provider, false);
    }

    /** The context to build the server with; new handshakes use the files as last read. */
    public SslContext sslContext() {
        if (sslContext == null) {
            throw new IllegalStateException("this TLS was started for the JDK's TLS (startJdk): use jdkSslContext()");
        }
        return sslContext;
    }

    /** The JDK context of a {@link #startJdk} server; new handshakes use the files as last read. */
    public SSLContext jdkSslContext() {
        if (jdkSslContext == null) {
            throw new IllegalStateException("this TLS was started for Netty (start): use sslContext()");
        }
        return jdkSslContext;
    }

    /**
     * Looks at the files now instead of waiting for the watcher; true when they had changed and were
     * taken, false when nothing changed or the new files were refused (the old ones still serve).
     */
    public synchronized boolean reloadNow() {
        TlsMaterial.Files3 files = TlsMaterial.Files3.look(settings);
        if (files.sameAs(lastSeen)) {
            return false;
        }
        List<java.nio.file.Path> changed = files.changedSince(lastSeen);
        lastSeen = files;
        TlsMaterial next;
        try {
            next = TlsMaterial.build(settings, files, generation++);
        } catch (RuntimeException e) {
            failedReloads.incrementAndGet();
            if (!failing) {
                LOG.warn("TLS files {} changed but cannot be used; still serving the certificate read before (subject {}), "
                        + "will try again when they change: {}", changed, current.leaf().getSubjectX500Principal().getName(),
                        e.getMessage());
            } else {
                LOG.debug("TLS files {} changed and still cannot be used: {}", changed, e.getMessage());
            }
            failing = true;
            return false;
        }
        previous = current;
        current = next;
        failing = false;
        reloads.incrementAndGet();
        dropSessions();
        LOG.info("TLS reloaded {} (changed: {}): now serving subject {}, serial {}, expires {}", settings.certFile(), changed,
                next.leaf().getSubjectX500Principal().getName(), next.leaf().getSerialNumber().toString(16),
                next.leaf().getNotAfter().toInstant());
        warnIfNotValid(next);
        return true;
    }

    /** How many times new files were taken since start (for metrics). */
    public long reloads() {
        return reloads.get();
    }

    /** How many times changed files were refused since start (for metrics: non-zero means a rotation went wrong). */
    public long failedReloads() {
        return failedReloads.get();
    }

    /** The certificate new handshakes are served (for metrics: its expiry). */
    public X509Certificate certificate() {
        return current.leaf();
    }

    /** Stops watching the files; the context keeps the material last read. */
    @Override
    public void close() {
        watcher.shutdownNow();
    }

    private SslContext buildContext(SslProvider provider) {
        SslContextBuilder b = SslContextBuilder.forServer(new ReloadingKeyManager(() -> current, () -> previous));
        if (settings.trustCertsFile() != null) {
            b.trustManager(new ReloadingTrustManager(() -> current));
        }
        b.clientAuth(switch (settings.clientAuth()) {
            case NONE -> ClientAuth.NONE;
            case OPTIONAL -> ClientAuth.OPTIONAL;
            case REQUIRE -> ClientAuth.REQUIRE;
        });
        try {
            return (provider == null ? GrpcSslContexts.configure(b) : GrpcSslContexts.configure(b, provider)).build();
        } catch (SSLException e) {
            throw new IllegalArgumentException("TLS: cannot make a server context from " + settings.certFile() + " and "
                    + settings.keyFile() + ": " + Pem.describe(e), e);
        }
    }

    private SSLContext buildJdkContext() {
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            TrustManager[] trust = settings.trustCertsFile() == null ? null
                    : new TrustManager[] {new ReloadingTrustManager(() -> current)};
            context.init(new KeyManager[] {new ReloadingKeyManager(() -> current, () -> previous)}, trust, RANDOM);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("TLS: cannot make a server context from " + settings.certFile() + " and "
                    + settings.keyFile() + ": " + Pem.describe(e), e);
        }
    }

    private void checkQuietly() {
        try {
            reloadNow();
        } catch (RuntimeException e) {
            // the watcher must outlive any surprise; the next look tries again
            LOG.warn("TLS: looking at {} failed: {}", settings.certFile(), e.toString());
        }
    }

    /**
     * Forgets cached sessions and the keys of session tickets handed out, so every client's next
     * connection makes a full handshake against the new certificate and CAs.
     */
    private void dropSessions() {
        SSLSessionContext sessions = sslContext != null ? sslContext.sessionContext() : jdkSslContext.getServerSessionContext();
        if (sessions == null) {
            return;
        }
        try {
            for (byte[] id : Collections.list(sessions.getIds())) {
                SSLSession s = sessions.getSession(id);
                if (s != null) {
                    s.invalidate();
                }
            }
            if (sessions instanceof OpenSslSessionContext openSsl) {
                byte[] name = new byte[16];
                byte[] hmac = new byte[16];
                byte[] aes = new byte[16];
                RANDOM.nextBytes(name);
                RANDOM.nextBytes(hmac);
                RANDOM.nextBytes(aes);
                openSsl.setTicketKeys(new OpenSslSessionTicketKey(name, hmac, aes));
            }
        } catch (RuntimeException e) {
            LOG.debug("TLS: could not drop cached sessions: {}", e.toString());
        }
    }

    private void warnIfNotValid(TlsMaterial m) {
        String problem = m.validityProblem();
        if (problem != null) {
            LOG.warn("TLS certificate in {} (subject {}) is {}: clients will refuse it", settings.certFile(),
                    m.leaf().getSubjectX500Principal().getName(), problem);
        }
    }
}
