package io.tributary.security.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.util.JSONObjectUtils;
import com.nimbusds.jwt.JWT;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.JWTParser;
import com.nimbusds.jwt.SignedJWT;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.interfaces.ECPrivateKey;
import java.security.spec.ECGenParameterSpec;
import java.text.ParseException;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Mints keys and tokens ({@code tributary tokens ...}). Secret keys are 256 random bits in base64;
 * key pairs are RSA 2048 (RS256) or EC P-256 (ES256) as PEM, the private half PKCS#8 and the
 * public half SubjectPublicKeyInfo, so openssl and every JWT library read them. Key files are
 * created readable by their owner only where the file system allows, and never overwritten.
 */
public final class Tokens {
    private Tokens() {}

    /** Writes a new random HS256 secret key (base64) to {@code file}, readable by its owner only. */
    public static void createSecretKey(Path file) {
        byte[] secret = new byte[KeyFiles.MIN_SECRET_BYTES];
        new SecureRandom().nextBytes(secret);
        writePrivate(file, Base64.getEncoder().encodeToString(secret) + "\n");
    }

    /** Writes a new key pair for {@code algorithm} (RS256 or ES256) as PEM: private to {@code privateFile}, public to {@code publicFile}. */
    public static void createKeyPair(String algorithm, Path privateFile, Path publicFile) {
        KeyPair pair;
        try {
            switch (algorithm.toUpperCase(Locale.ROOT)) {
                case "RS256" -> {
                    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
                    g.initialize(2048);
                    pair = g.generateKeyPair();
                }
                case "ES256" -> {
                    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
                    g.initialize(new ECGenParameterSpec("secp256r1"));
                    pair = g.generateKeyPair();
                }
                default -> throw new IllegalArgumentException("the algorithm must be RS256 or ES256, got '" + algorithm + "'");
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JVM cannot make " + algorithm + " keys: " + e.getMessage(), e);
        }
        writePrivate(privateFile, KeyFiles.pem("PRIVATE KEY", pair.getPrivate().getEncoded()));
        write(publicFile, KeyFiles.pem("PUBLIC KEY", pair.getPublic().getEncoded()), false);
    }

    /**
     * A token for {@code subject} signed with the key in {@code keyFile} (a secret key or a private
     * key, told apart by its contents); {@code expiry} null for no expiry; {@code issuer} and
     * {@code audience} may be null.
     */
    public static String create(String subject, Duration expiry, Path keyFile, String issuer, String audience) {
        if (subject == null || subject.isBlank()) {
            throw new IllegalArgumentException("a token needs a subject (the role)");
        }
        if (expiry != null && (expiry.isNegative() || expiry.isZero())) {
            throw new IllegalArgumentException("the expiry must be positive, got " + expiry);
        }
        JWSAlgorithm alg;
        JWSSigner signer;
        try {
            if (KeyFiles.isPem(keyFile)) {
                PrivateKey key = KeyFiles.readPrivateKey(keyFile);
                alg = JWSAlgorithm.parse(KeyFiles.algorithmOf(key, keyFile));
                signer = key instanceof ECPrivateKey ec ? new ECDSASigner(ec) : new RSASSASigner(key);
            } else {
                alg = JWSAlgorithm.HS256;
                signer = new MACSigner(KeyFiles.readSecret(keyFile));
            }
        } catch (JOSEException e) {
            throw new IllegalArgumentException("cannot sign with the key in " + keyFile + ": " + e.getMessage(), e);
        }
        Instant now = Instant.now();
        JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder().subject(subject.trim()).issueTime(Date.from(now));
        if (expiry != null) {
            claims.expirationTime(Date.from(now.plus(expiry)));
        }
        if (issuer != null) {
            claims.issuer(issuer);
        }
        if (audience != null) {
            claims.audience(audience);
        }
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(alg).type(com.nimbusds.jose.JOSEObjectType.JWT).build(), claims.build());
        try {
            jwt.sign(signer);
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot sign the token: " + e.getMessage(), e);
        }
        return jwt.serialize();
    }

    /** The header and claims of {@code token} as JSON, not verified. */
    public static String show(String token) {
        JWT jwt;
        try {
            jwt = JWTParser.parse(token.trim());
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("header", jwt.getHeader().toJSONObject());
            out.put("claims", jwt.getJWTClaimsSet().toJSONObject());
            return JSONObjectUtils.toJSONString(out);
        } catch (ParseException e) {
            throw new IllegalArgumentException("not a JWT (three base64url parts separated by dots)", e);
        }
    }

    private static void writePrivate(Path file, String text) {
        write(file, text, true);
    }

    private static void write(Path file, String text, boolean ownerOnly) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            if (ownerOnly && file.getFileSystem().supportedFileAttributeViews().contains("posix")) {
                // Created with its final permissions, so the key is never readable by others, not even briefly.
                Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                Files.writeString(file, text, StandardCharsets.US_ASCII, StandardOpenOption.TRUNCATE_EXISTING);
            } else {
                Files.writeString(file, text, StandardCharsets.US_ASCII, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            }
        } catch (FileAlreadyExistsException e) {
            throw new IllegalArgumentException(file + " already exists: remove it first (keys are never overwritten)", e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }
}
