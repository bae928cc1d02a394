package io.tributary.storage.tls;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.zookeeper.util.PemReader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A private key and its certificate chain in one PEM file, kept equal to their separate source files.
 *
 * <p>ZooKeeper reads a PEM "key store" from a single file holding both the key and the chain, while our
 * settings (like cert-manager's secrets) keep them apart. The bundle is written, owner-only, to the temporary
 * directory and rewritten (whole, by a rename) within {@link #REFRESH} of a change of either source, once the
 * key fits the certificate again (a rotation may replace one file before the other), so ZooKeeper's next read
 * of it sees the rotated pair. One bundle per source pair lives as long as the
 * JVM and is deleted when it exits.
 */
final class PemBundle {
    private static final Logger LOG = LoggerFactory.getLogger(PemBundle.class);
    static final java.time.Duration REFRESH = java.time.Duration.ofSeconds(1);

    private static final boolean POSIX = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
    private static final java.util.Set<java.nio.file.attribute.PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");
    private static final Map<List<Path>, PemBundle> BUNDLES = new ConcurrentHashMap<>();
    private static final ScheduledExecutorService REFRESHER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "tributary-pem-bundle");
        t.setDaemon(true);
        return t;
    });

    private final Path certFile;
    private final Path keyFile;
    private final Path bundle;
    private byte[] written = new byte[0];
    private boolean warned;

    private PemBundle(Path certFile, Path keyFile, Path bundle) {
        this.certFile = certFile;
        this.keyFile = keyFile;
        this.bundle = bundle;
    }

    /**
     * The bundle file of {@code certFile} and {@code keyFile}, written now (failing with a message naming the
     * unreadable file) and kept current from then on. The same file when the key and the chain are one file.
     */
    static Path of(Path certFile, Path keyFile) {
        Path cert = certFile.toAbsolutePath().normalize();
        Path key = keyFile.toAbsolutePath().normalize();
        if (cert.equals(key)) {
            return cert;
        }
        return BUNDLES.computeIfAbsent(List.of(cert, key), k -> create(cert, key)).bundle;
    }

    private static PemBundle create(Path cert, Path key) {
        try {
            Path file = POSIX
                    ? Files.createTempFile("tributary-tls-", ".pem", PosixFilePermissions.asFileAttribute(OWNER_ONLY))
                    : Files.createTempFile("tributary-tls-", ".pem");
            file.toFile().deleteOnExit();
            PemBundle b = new PemBundle(cert, key, file);
            b.refresh(true);
            REFRESHER.scheduleWithFixedDelay(() -> b.refresh(false), REFRESH.toMillis(), REFRESH.toMillis(), TimeUnit.MILLISECONDS);
            return b;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write a PEM bundle of " + cert + " and " + key + ": " + e.getMessage(), e);
        }
    }

    private synchronized void refresh(boolean first) {
        byte[] content;
        try {
            byte[] key = read(keyFile);
            byte[] cert = read(certFile);
            content = new byte[key.length + 1 + cert.length];
            System.arraycopy(key, 0, content, 0, key.length);
            content[key.length] = '\n';
            System.arraycopy(cert, 0, content, key.length + 1, cert.length);
        } catch (IOException e) {
            if (first) {
                throw new UncheckedIOException(e.getMessage(), e);
            }
            if (!warned) {
                // mid-rotation a file may be missing for a moment: keep serving the last good pair
                LOG.warn("keeping the previous TLS key and certificate: {}", e.getMessage());
                warned = true;
            }
            return;
        }
        if (Arrays.equals(content, written)) {
            warned = false;
            return;
        }
        String mismatch = mismatch(certFile, keyFile);
        if (mismatch != null) {
            if (first) {
                throw new IllegalArgumentException(mismatch);
            }
            if (!warned) {
                // a rotation that has replaced one file and not yet the other: wait for the second
                LOG.warn("keeping the previous TLS key and certificate for now: {}", mismatch);
                warned = true;
            }
            return;
        }
        warned = false;
        try {
            Path tmp = bundle.resolveSibling(bundle.getFileName() + ".tmp");
            // the private key is in it: owner-only from the start, never readable by others for a moment
            Files.deleteIfExists(tmp);
            if (POSIX) {
                Files.createFile(tmp, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
            }
            Files.write(tmp, content);
            try {
                Files.move(tmp, bundle, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, bundle, StandardCopyOption.REPLACE_EXISTING);
            }
            if (!first) {
                LOG.info("TLS certificate {} or key {} changed: new connections use the new pair", certFile, keyFile);
            }
            written = content;
        } catch (IOException e) {
            if (first) {
                throw new UncheckedIOException("cannot write " + bundle + ": " + e.getMessage(), e);
            }
            LOG.warn("cannot rewrite {}: {}", bundle, e.toString());
        }
    }

    /** Why the key of {@code keyFile} is not the one of {@code certFile}'s first certificate, or null if it is. */
    private static String mismatch(Path certFile, Path keyFile) {
        PrivateKey key;
        List<X509Certificate> chain;
        try {
            key = PemReader.loadPrivateKey(keyFile.toFile(), Optional.empty());
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            return "cannot read a private key (PKCS#8 PEM, unencrypted) from " + keyFile + ": " + e.getMessage();
        }
        try {
            chain = PemReader.readCertificateChain(certFile.toFile());
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            return "cannot read certificates (PEM) from " + certFile + ": " + e.getMessage();
        }
        if (chain.isEmpty()) {
            return "no certificate in " + certFile;
        }
        String algorithm = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            default -> null; // other kinds are left for the TLS handshake to check
        };
        if (algorithm == null) {
            return null;
        }
        try {
            byte[] probe = "tributary-key-check".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(probe);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(chain.get(0).getPublicKey());
            verifier.update(probe);
            return verifier.verify(signature) ? null : "the key in " + keyFile + " is not the key of the certificate in " + certFile;
        } catch (GeneralSecurityException e) {
            return "the key in " + keyFile + " does not fit the certificate in " + certFile + ": " + e.getMessage();
        }
    }

    private static byte[] read(Path file) throws IOException {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new IOException("cannot read " + file + ": " + e, e);
        }
    }
}
