package io.tributary.protocol.security;

import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The client end's certificate, key and trusted CAs, re-read when their files change, so a
 * long-lived client (a broker calling other brokers, the proxy calling brokers) presents a rotated
 * certificate and trusts a rotated CA on its next connection without a restart.
 *
 * <p>The files are looked at when a handshake needs them, at most once a second: a client makes few
 * connections, and reading a few kilobytes of local files then costs less than a thread per
 * channel. A change is any difference in a file's resolved path (Kubernetes swaps a {@code ..data}
 * symlink), time, size or content. Files that do not read whole, or a key that is not the
 * certificate's, are refused with one warning and the files read before keep being used.
 */
final class ReloadingClientMaterial {
    private static final System.Logger LOG = System.getLogger(ClientTls.class.getName());
    private static final long CHECK_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final TlsFiles files;
    private volatile Loaded current;
    private volatile Loaded previous;
    private volatile long nextCheck;
    // guarded by this
    private List<Stamp> lastSeen;
    private long generation;
    private boolean failing;

    private ReloadingClientMaterial(TlsFiles files, Loaded first, List<Stamp> stamps) {
        this.files = files;
        this.current = first;
        this.lastSeen = stamps;
        this.generation = 1;
        this.nextCheck = System.nanoTime() + CHECK_INTERVAL_NANOS;
    }

    /** Reads {@code files} now, failing with a message naming the bad file. */
    static ReloadingClientMaterial read(TlsFiles files) throws IOException {
        List<Stamp> stamps = look(files);
        return new ReloadingClientMaterial(files, load(files, stamps, 0), stamps);
    }

    X509ExtendedKeyManager keyManager() {
        return new KeyManager();
    }

    X509ExtendedTrustManager trustManager() {
        return new TrustManager();
    }

    private void maybeReload() {
        long now = System.nanoTime();
        if (now - nextCheck < 0) {
            return;
        }
        synchronized (this) {
            if (now - nextCheck < 0) {
                return;
            }
            nextCheck = now + CHECK_INTERVAL_NANOS;
            List<Stamp> stamps = look(files);
            if (stamps.equals(lastSeen)) {
                return;
            }
            lastSeen = stamps;
            try {
                Loaded next = load(files, stamps, generation++);
                previous = current;
                current = next;
                failing = false;
                LOG.log(System.Logger.Level.INFO, "client TLS files {0} changed and were read again", files);
            } catch (IOException | RuntimeException e) {
                if (!failing) {
                    LOG.log(System.Logger.Level.WARNING, "client TLS files " + files + " changed but cannot be used; "
                            + "still using the ones read before, will try again when they change: " + e.getMessage());
                }
                failing = true;
            }
        }
    }

    private static Loaded load(TlsFiles files, List<Stamp> stamps, long generation) throws IOException {
        X509Certificate[] chain = null;
        PrivateKey key = null;
        X509ExtendedTrustManager trust = null;
        for (Stamp s : stamps) {
            byte[] content = s.contentOrThrow();
            if (s.path.equals(files.certFile()) && chain == null) {
                chain = PemFiles.certificates(s.path, content);
            }
            if (s.path.equals(files.keyFile()) && key == null) {
                key = PemFiles.privateKey(s.path, content);
            }
            if (s.path.equals(files.trustCertsFile()) && trust == null) {
                trust = trustManager(s.path, PemFiles.certificates(s.path, content));
            }
        }
        if (chain != null && !PemFiles.belongTogether(key, chain[0].getPublicKey())) {
            throw new IOException("the private key in " + files.keyFile() + " is not the key of the first certificate in "
                    + files.certFile() + " (a rotation half done, or a certificate file that does not start with this client's own)");
        }
        return new Loaded("tributary-client-" + generation, chain, key, trust);
    }

    private static String keyAlgorithm(PrivateKey key) {
        return key.getAlgorithm().equals("ECDSA") ? "EC" : key.getAlgorithm();
    }

    private static X509ExtendedTrustManager trustManager(Path file, X509Certificate[] cas) throws IOException {
        try {
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            for (int i = 0; i < cas.length; i++) {
                store.setCertificateEntry("ca-" + i, cas[i]);
            }
            TrustManagerFactory f = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            f.init(store);
            for (javax.net.ssl.TrustManager tm : f.getTrustManagers()) {
                if (tm instanceof X509ExtendedTrustManager x) {
                    return x;
                }
            }
            throw new IOException("the JDK's trust manager factory made no X509ExtendedTrustManager");
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot trust the certificates in " + file + ": " + e.getMessage(), e);
        }
    }

    private static List<Stamp> look(TlsFiles files) {
        List<Stamp> stamps = new ArrayList<>(3);
        for (Path p : new Path[] {files.certFile(), files.keyFile(), files.trustCertsFile()}) {
            if (p != null) {
                stamps.add(Stamp.look(p));
            }
        }
        return stamps;
    }

    /** One reading of the files; its alias is new at each reading so a handshake never mixes two. */
    private record Loaded(String alias, X509Certificate[] chain, PrivateKey key, X509ExtendedTrustManager trust) {}

    /** What a file looked like at one look: its resolved path, time, size and content hash. */
    private static final class Stamp {
        static final long MAX_SIZE = 1 << 20;
        final Path path;
        private final Path realPath;
        private final FileTime modified;
        private final long size;
        private final byte[] content;
        private final byte[] hash;
        private final String error;

        private Stamp(Path path, Path realPath, FileTime modified, long size, byte[] content, String error) {
            this.path = path;
            this.realPath = realPath;
            this.modified = modified;
            this.size = size;
            this.content = content;
            this.error = error;
            byte[] h = null;
            if (content != null) {
                try {
                    h = MessageDigest.getInstance("SHA-256").digest(content);
                } catch (GeneralSecurityException e) {
                    h = content.clone();
                }
            }
            this.hash = h;
        }

        static Stamp look(Path path) {
            try {
                Path real = path.toRealPath();
                BasicFileAttributes a = Files.readAttributes(real, BasicFileAttributes.class);
                // a device or a huge file given by mistake must not hang or fill the heap
                if (!a.isRegularFile() || a.size() > MAX_SIZE) {
                    String why = !a.isRegularFile() ? "not a regular file" : "larger than " + MAX_SIZE + " bytes, not a PEM file";
                    return new Stamp(path, real, a.lastModifiedTime(), a.size(), null, why);
                }
                return new Stamp(path, real, a.lastModifiedTime(), a.size(), Files.readAllBytes(real), null);
            } catch (IOException | SecurityException e) {
                return new Stamp(path, null, null, -1, null, e instanceof NoSuchFileException ? "no such file" : e.toString());
            }
        }

        byte[] contentOrThrow() throws IOException {
            if (content == null) {
                throw new IOException("cannot read " + path + ": " + error);
            }
            return content;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Stamp s && path.equals(s.path) && Objects.equals(realPath, s.realPath)
                    && Objects.equals(modified, s.modified) && size == s.size && Arrays.equals(hash, s.hash)
                    && Objects.equals(error, s.error);
        }

        @Override
        public int hashCode() {
            return Objects.hash(path, realPath, size);
        }
    }

    /** Presents the certificate of the latest reading. */
    private final class KeyManager extends X509ExtendedKeyManager {
        @Override
        public String chooseEngineClientAlias(String[] keyTypes, Principal[] issuers, SSLEngine engine) {
            return choose(keyTypes);
        }

        @Override
        public String chooseClientAlias(String[] keyTypes, Principal[] issuers, Socket socket) {
            return choose(keyTypes);
        }

        @Override
        public String[] getClientAliases(String keyType, Principal[] issuers) {
            String alias = choose(new String[] {keyType});
            return alias == null ? null : new String[] {alias};
        }

        @Override
        public X509Certificate[] getCertificateChain(String alias) {
            Loaded l = find(alias);
            return l == null || l.chain() == null ? null : l.chain().clone();
        }

        @Override
        public PrivateKey getPrivateKey(String alias) {
            Loaded l = find(alias);
            return l == null ? null : l.key();
        }

        @Override
        public String[] getServerAliases(String keyType, Principal[] issuers) {
            return null;
        }

        @Override
        public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
            return null;
        }

        @Override
        public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
            return null;
        }

        private String choose(String[] keyTypes) {
            maybeReload();
            Loaded l = current;
            if (l.key() == null || keyTypes == null) {
                return null;
            }
            String have = keyAlgorithm(l.key());
            for (String keyType : keyTypes) {
                // "RSA", "EC", or Netty's "EC_EC"/"EC_RSA" (key algorithm, then its issuer's)
                int underscore = keyType == null ? -1 : keyType.indexOf('_');
                String wanted = keyType == null ? "" : underscore < 0 ? keyType : keyType.substring(0, underscore);
                if (wanted.equals(have)) {
                    return l.alias();
                }
            }
            return null;
        }

        private Loaded find(String alias) {
            Loaded l = current;
            if (l.alias().equals(alias)) {
                return l;
            }
            Loaded p = previous;
            return p != null && p.alias().equals(alias) ? p : null;
        }
    }

    /** Checks servers against the CAs of the latest reading, host name included (the JDK's check, with the engine). */
    private final class TrustManager extends X509ExtendedTrustManager {
        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            delegate().checkServerTrusted(chain, authType, engine);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            delegate().checkServerTrusted(chain, authType, socket);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            delegate().checkServerTrusted(chain, authType);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            throw new CertificateException("a client's trust manager checks servers only");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            throw new CertificateException("a client's trust manager checks servers only");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("a client's trust manager checks servers only");
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            X509ExtendedTrustManager t = current.trust();
            return t == null ? new X509Certificate[0] : t.getAcceptedIssuers();
        }

        private X509ExtendedTrustManager delegate() throws CertificateException {
            maybeReload();
            X509ExtendedTrustManager t = current.trust();
            if (t == null) {
                throw new CertificateException("no trustCertsFile to check the server against");
            }
            return t;
        }
    }
}
