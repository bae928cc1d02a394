package io.tributary.security.auth;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.CertificateFactory;
import java.security.interfaces.ECKey;
import java.security.interfaces.RSAKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads and writes the key files of token authentication with the JDK alone: an HS256 secret is
 * base64 text (standard or URL-safe alphabet) of at least 32 bytes, so that any editor or
 * {@code openssl rand -base64 32} can make one and nothing depends on trailing newlines; raw
 * binary secrets are refused rather than guessed at, because a verifier and an issuer that read
 * the same file differently would fail in a way no one can see. Public keys are PEM
 * SubjectPublicKeyInfo ({@code BEGIN PUBLIC KEY}, what {@code openssl pkey -pubout} writes) or a
 * certificate; private keys are PEM PKCS#8 ({@code BEGIN PRIVATE KEY}).
 */
final class KeyFiles {
    private static final Pattern PEM = Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----([^-]*)-----END \\1-----");
    static final int MIN_SECRET_BYTES = 32;

    private KeyFiles() {}

    /** Whether {@code file} holds PEM (a key pair's half) rather than a base64 secret. */
    static boolean isPem(Path file) {
        return read(file).contains("-----BEGIN ");
    }

    static byte[] readSecret(Path file) {
        String text = read(file).trim();
        byte[] secret;
        try {
            String compact = text.replaceAll("\\s", "");
            secret = (compact.indexOf('-') >= 0 || compact.indexOf('_') >= 0 ? Base64.getUrlDecoder() : Base64.getDecoder())
                    .decode(compact);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the secret key file " + file + " is not base64 text"
                    + " (make one with 'tributary tokens create-secret-key')");
        }
        if (secret.length < MIN_SECRET_BYTES) {
            throw new IllegalArgumentException("the secret key in " + file + " has " + secret.length * 8
                    + " bits; HS256 needs at least 256 (make one with 'tributary tokens create-secret-key')");
        }
        return secret;
    }

    static PublicKey readPublicKey(Path file) {
        Matcher m = PEM.matcher(read(file));
        if (!m.find()) {
            throw new IllegalArgumentException("the public key file " + file + " holds no PEM block");
        }
        String type = m.group(1);
        byte[] der = decodeBody(file, m.group(2));
        try {
            if (type.equals("CERTIFICATE")) {
                return CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der)).getPublicKey();
            }
            if (!type.equals("PUBLIC KEY")) {
                throw new IllegalArgumentException("the public key file " + file + " holds a " + type
                        + "; expected a PUBLIC KEY (SubjectPublicKeyInfo, 'openssl pkey -pubout') or a CERTIFICATE");
            }
            X509EncodedKeySpec spec = new X509EncodedKeySpec(der);
            try {
                return KeyFactory.getInstance("RSA").generatePublic(spec);
            } catch (GeneralSecurityException notRsa) {
                return KeyFactory.getInstance("EC").generatePublic(spec);
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("the public key file " + file + " holds no RSA or EC public key: " + e.getMessage(), e);
        }
    }

    static PrivateKey readPrivateKey(Path file) {
        Matcher m = PEM.matcher(read(file));
        if (!m.find()) {
            throw new IllegalArgumentException("the key file " + file + " holds no PEM block");
        }
        if (!m.group(1).equals("PRIVATE KEY")) {
            throw new IllegalArgumentException("the key file " + file + " holds a " + m.group(1)
                    + "; expected a PKCS#8 PRIVATE KEY (convert with 'openssl pkcs8 -topk8 -nocrypt')");
        }
        PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(decodeBody(file, m.group(2)));
        try {
            try {
                return KeyFactory.getInstance("RSA").generatePrivate(spec);
            } catch (GeneralSecurityException notRsa) {
                return KeyFactory.getInstance("EC").generatePrivate(spec);
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("the key file " + file + " holds no RSA or EC private key: " + e.getMessage(), e);
        }
    }

    /** RS256 for an RSA key, ES256 for a P-256 EC key; anything else is refused naming the file. */
    static String algorithmOf(java.security.Key key, Path file) {
        if (key instanceof RSAKey rsa) {
            if (rsa.getModulus().bitLength() < 2048) {
                throw new IllegalArgumentException("the RSA key in " + file + " has " + rsa.getModulus().bitLength()
                        + " bits; RS256 needs at least 2048");
            }
            return "RS256";
        }
        if (key instanceof ECKey ec) {
            if (ec.getParams().getCurve().getField().getFieldSize() != 256) {
                throw new IllegalArgumentException("the EC key in " + file + " is not on the P-256 curve, which ES256 needs");
            }
            return "ES256";
        }
        throw new IllegalArgumentException("the key in " + file + " is neither RSA nor EC");
    }

    static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    private static byte[] decodeBody(Path file, String body) {
        try {
            return Base64.getDecoder().decode(body.replaceAll("\\s", ""));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the PEM in " + file + " is not valid base64", e);
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.US_ASCII);
        } catch (java.nio.charset.MalformedInputException e) {
            throw new IllegalArgumentException("the key file " + file + " is not text (a base64 secret or PEM)", e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the key file " + file + ": " + e.getMessage(), e);
        }
    }
}
