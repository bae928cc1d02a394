package io.tributary.security.tls;

import io.tributary.protocol.security.PemFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.List;

/**
 * Reading and writing the PEM files of certificates and keys. Reading is {@link PemFiles}'s, shared
 * with the clients (every private key encoding OpenSSL and cert-manager write: PKCS#8, PKCS#1 and
 * SEC1), with its failures as {@link IllegalArgumentException}s; the JDK's providers make the key
 * and certificate objects, so TLS itself never depends on a BC provider.
 */
final class Pem {
    private Pem() {}

    /** The certificates in {@code content} (read from {@code file}), in file order; at least one. */
    static List<X509Certificate> certificates(Path file, byte[] content) {
        try {
            return List.of(PemFiles.certificates(file, content));
        } catch (IOException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /** The private key in {@code content} (read from {@code file}): PKCS#8, PKCS#1 (RSA) or SEC1 (EC). */
    static PrivateKey privateKey(Path file, byte[] content) {
        try {
            return PemFiles.privateKey(file, content);
        } catch (IOException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /** Whether {@code key} is the private half of {@code publicKey}. */
    static boolean belongTogether(PrivateKey key, PublicKey publicKey) {
        return PemFiles.belongTogether(key, publicKey);
    }

    /** {@code der} as a PEM block of {@code type} (CERTIFICATE, PRIVATE KEY, ...). */
    static String encode(String type, byte[] der) {
        String body = Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der);
        return "-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n";
    }

    /**
     * Writes {@code text} to {@code file} through a temporary file renamed over it, so a reader never
     * sees half of it; {@code secret} files are readable by their owner only where the file system
     * has POSIX permissions.
     */
    static void write(Path file, String text, boolean secret) {
        Path dir = file.toAbsolutePath().getParent();
        try {
            Files.createDirectories(dir);
            Path tmp = dir.resolve("." + file.getFileName() + ".tmp");
            Files.deleteIfExists(tmp);
            boolean posix = dir.getFileSystem().supportedFileAttributeViews().contains("posix");
            if (secret && posix) {
                Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            } else {
                Files.createFile(tmp);
            }
            Files.writeString(tmp, text, StandardCharsets.US_ASCII);
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (FileAlreadyExistsException e) {
            throw new IllegalStateException("cannot write " + file + ": its temporary file " + e.getFile() + " is in the way", e);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write " + file + ": " + describe(e), e);
        }
    }

    static String describe(Throwable e) {
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
    }
}
