package io.tributary.security.tls;

import io.tributary.protocol.security.ServerTlsSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * One reading of a listener's files: the certificate chain and key it serves and the trust manager
 * that checks client certificates, with the state of each file it came from, so the watcher can
 * tell when a file changed since.
 *
 * @param alias the name the key manager gives this reading, new at each reload, so a handshake that
 *              chose an alias before a reload still gets the chain and key of that alias
 * @param chain the served chain, leaf first
 * @param key the leaf's private key
 * @param trust checks client certificates against the trusted CAs (null: no trustCertsFile)
 */
record TlsMaterial(String alias, X509Certificate[] chain, PrivateKey key, X509ExtendedTrustManager trust) {

    /** Reads the files of {@code settings} as {@code files} last saw them; fails naming the bad file. */
    static TlsMaterial build(ServerTlsSettings settings, Files3 files, long generation) {
        List<X509Certificate> chain = Pem.certificates(settings.certFile(), files.cert.contentOrThrow("certificate"));
        PrivateKey key = Pem.privateKey(settings.keyFile(), files.key.contentOrThrow("private key"));
        if (!Pem.belongTogether(key, chain.get(0).getPublicKey())) {
            throw new IllegalArgumentException("the private key in " + settings.keyFile()
                    + " is not the key of the first certificate in " + settings.certFile()
                    + " (a rotation half done, or a certificate file that does not start with the listener's own certificate)");
        }
        X509ExtendedTrustManager trust = null;
        if (settings.trustCertsFile() != null) {
            List<X509Certificate> cas = Pem.certificates(settings.trustCertsFile(), files.trust.contentOrThrow("trusted CA certificates"));
            trust = trustManager(settings.trustCertsFile(), cas);
        }
        return new TlsMaterial("tributary-" + generation, chain.toArray(X509Certificate[]::new), key, trust);
    }

    /** The served certificate. */
    X509Certificate leaf() {
        return chain[0];
    }

    /** Why the served certificate would be refused by a client now, or null when it is within its validity. */
    String validityProblem() {
        Instant now = Instant.now();
        if (now.isAfter(leaf().getNotAfter().toInstant())) {
            return "expired at " + leaf().getNotAfter().toInstant();
        }
        if (now.isBefore(leaf().getNotBefore().toInstant())) {
            return "not valid before " + leaf().getNotBefore().toInstant();
        }
        return null;
    }

    private static X509ExtendedTrustManager trustManager(Path file, List<X509Certificate> cas) {
        try {
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            for (int i = 0; i < cas.size(); i++) {
                store.setCertificateEntry("ca-" + i, cas.get(i));
            }
            TrustManagerFactory f = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            f.init(store);
            for (TrustManager tm : f.getTrustManagers()) {
                if (tm instanceof X509ExtendedTrustManager x) {
                    return x;
                }
            }
            throw new IllegalStateException("the JDK's " + f.getAlgorithm() + " trust manager factory made no X509ExtendedTrustManager");
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalArgumentException("cannot trust the certificates in " + file + ": " + Pem.describe(e), e);
        }
    }

    /** The state of the (up to) three files of a listener at one look. */
    static final class Files3 {
        final FileState cert;
        final FileState key;
        final FileState trust;

        private Files3(FileState cert, FileState key, FileState trust) {
            this.cert = cert;
            this.key = key;
            this.trust = trust;
        }

        static Files3 look(ServerTlsSettings s) {
            return new Files3(FileState.look(s.certFile()), FileState.look(s.keyFile()),
                    s.trustCertsFile() == null ? null : FileState.look(s.trustCertsFile()));
        }

        boolean sameAs(Files3 other) {
            return other != null && cert.sameAs(other.cert) && key.sameAs(other.key)
                    && (trust == null ? other.trust == null : trust.sameAs(other.trust));
        }

        /** The files that differ from {@code before}, for the log. */
        List<Path> changedSince(Files3 before) {
            List<Path> changed = new ArrayList<>();
            if (before == null || !cert.sameAs(before.cert)) {
                changed.add(cert.path);
            }
            if (before == null || !key.sameAs(before.key)) {
                changed.add(key.path);
            }
            if (trust != null && (before == null || !trust.sameAs(before.trust))) {
                changed.add(trust.path);
            }
            return changed;
        }
    }

    /**
     * What one file looked like: where its path resolved to (Kubernetes secret volumes swap a
     * {@code ..data} symlink, so the path stays and its target changes), its time and size, and a
     * hash of its content (a rewrite within the file system's time resolution, of the same size,
     * still differs).
     */
    static final class FileState {
        static final long MAX_SIZE = 1 << 20;
        final Path path;
        private final Path realPath;
        private final FileTime modified;
        private final long size;
        private final byte[] hash;
        private final byte[] content;
        private final String error;

        private FileState(Path path, Path realPath, FileTime modified, long size, byte[] content, String error) {
            this.path = path;
            this.realPath = realPath;
            this.modified = modified;
            this.size = size;
            this.content = content;
            this.hash = content == null ? null : sha256(content);
            this.error = error;
        }

        static FileState look(Path path) {
            try {
                Path real = path.toRealPath();
                BasicFileAttributes a = Files.readAttributes(real, BasicFileAttributes.class);
                // a device or a huge file given by mistake must not hang or fill the heap
                if (!a.isRegularFile() || a.size() > MAX_SIZE) {
                    String why = !a.isRegularFile() ? "not a regular file" : "larger than " + MAX_SIZE + " bytes, not a PEM file";
                    return new FileState(path, real, a.lastModifiedTime(), a.size(), null, why);
                }
                return new FileState(path, real, a.lastModifiedTime(), a.size(), Files.readAllBytes(real), null);
            } catch (IOException | SecurityException e) {
                String why = e instanceof java.nio.file.NoSuchFileException ? "no such file" : Pem.describe(e);
                return new FileState(path, null, null, -1, null, why);
            }
        }

        byte[] contentOrThrow(String what) {
            if (content == null) {
                throw new IllegalArgumentException("cannot read the " + what + " file " + path + ": " + error);
            }
            return content;
        }

        boolean sameAs(FileState o) {
            return o != null && Objects.equals(realPath, o.realPath) && Objects.equals(modified, o.modified)
                    && size == o.size && Arrays.equals(hash, o.hash) && Objects.equals(error, o.error);
        }

        private static byte[] sha256(byte[] content) {
            try {
                return MessageDigest.getInstance("SHA-256").digest(content);
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("this JDK has no SHA-256", e);
            }
        }
    }
}
