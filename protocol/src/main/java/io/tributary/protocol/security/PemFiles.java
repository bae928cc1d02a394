package io.tributary.protocol.security;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * PEM certificates and private keys, read with the JDK alone (the SDK does not carry Bouncy Castle):
 * the one reader of the clients', the listeners' and the CA's files. Keys may be PKCS#8 ({@code BEGIN PRIVATE KEY}, what Tributary's CA and
 * cert-manager write), PKCS#1 ({@code BEGIN RSA PRIVATE KEY}) or SEC1 ({@code BEGIN EC PRIVATE
 * KEY}, what {@code openssl ecparam -genkey} writes); the last two are rewrapped as PKCS#8.
 * Encrypted keys are refused.
 */
public final class PemFiles {
    private static final Pattern CERTIFICATE = Pattern.compile(
            "-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\\s]+?-----END CERTIFICATE-----");
    private static final Pattern KEY = Pattern.compile(
            "-----BEGIN ((?:RSA |EC |ENCRYPTED )?)PRIVATE KEY-----\\s*([A-Za-z0-9+/=\\s:,-]+?)\\s*-----END \\1PRIVATE KEY-----");
    // DER of the AlgorithmIdentifier OIDs: rsaEncryption 1.2.840.113549.1.1.1 and id-ecPublicKey 1.2.840.10045.2.1
    private static final byte[] RSA_ENCRYPTION = {0x06, 0x09, 0x2A, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xF7, 0x0D, 0x01, 0x01, 0x01};
    private static final byte[] EC_PUBLIC_KEY = {0x06, 0x07, 0x2A, (byte) 0x86, 0x48, (byte) 0xCE, 0x3D, 0x02, 0x01};
    private static final byte[] DER_NULL = {0x05, 0x00};

    private PemFiles() {}

    /**
     * The certificates in {@code content} (read from {@code file}), in file order; at least one. Other
     * blocks (a key kept in the same file) and text around the blocks are skipped.
     */
    public static X509Certificate[] certificates(Path file, byte[] content) throws IOException {
        List<X509Certificate> certs = new ArrayList<>();
        Matcher m = CERTIFICATE.matcher(new String(content, StandardCharsets.US_ASCII));
        try {
            CertificateFactory factory = CertificateFactory.getInstance("X.509");
            while (m.find()) {
                certs.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(
                        m.group().getBytes(StandardCharsets.US_ASCII))));
            }
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new IOException("cannot read the certificates in " + file + ": " + e.getMessage(), e);
        }
        if (certs.isEmpty()) {
            throw new IOException("no PEM certificate (-----BEGIN CERTIFICATE-----) in " + file);
        }
        return certs.toArray(X509Certificate[]::new);
    }

    /** The private key in {@code content} (read from {@code file}). */
    public static PrivateKey privateKey(Path file, byte[] content) throws IOException {
        Matcher m = KEY.matcher(new String(content, StandardCharsets.US_ASCII));
        if (!m.find()) {
            throw new IOException("no PEM private key (-----BEGIN PRIVATE KEY-----, RSA PRIVATE KEY or EC PRIVATE KEY) in " + file);
        }
        String kind = m.group(1).trim();
        if (kind.equals("ENCRYPTED") || m.group(2).contains("Proc-Type")) {
            throw new IOException("the private key in " + file + " is encrypted; give an unencrypted key and protect the file instead");
        }
        byte[] der;
        try {
            der = Base64.getMimeDecoder().decode(m.group(2));
        } catch (IllegalArgumentException e) {
            throw new IOException("the private key in " + file + " is not valid base64 (cut short?)", e);
        }
        try {
            switch (kind) {
                case "RSA" -> {
                    // PrivateKeyInfo { version 0, { rsaEncryption, NULL }, OCTET STRING { RSAPrivateKey } }
                    return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(
                            tlv(0x30, concat(tlv(0x02, new byte[] {0}), tlv(0x30, concat(RSA_ENCRYPTION, DER_NULL)), tlv(0x04, der)))));
                }
                case "EC" -> {
                    // PrivateKeyInfo { version 0, { id-ecPublicKey, the curve the SEC1 key names }, OCTET STRING { ECPrivateKey } }
                    byte[] curve = sec1Curve(der);
                    if (curve == null) {
                        throw new IOException("the EC private key in " + file + " does not name its curve");
                    }
                    return KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(
                            tlv(0x30, concat(tlv(0x02, new byte[] {0}), tlv(0x30, concat(EC_PUBLIC_KEY, curve)), tlv(0x04, der)))));
                }
                default -> {
                    return pkcs8(file, der);
                }
            }
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new IOException("cannot read the private key in " + file + ": " + e.getMessage(), e);
        }
    }

    /** Whether {@code key} is the private half of {@code publicKey}: it signs what the public key verifies. */
    public static boolean belongTogether(PrivateKey key, PublicKey publicKey) {
        String algorithm = switch (publicKey.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "Ed25519", "EdDSA" -> "Ed25519";
            default -> null;
        };
        if (algorithm == null) {
            return key.getAlgorithm().equals(publicKey.getAlgorithm());
        }
        try {
            byte[] probe = "tributary key check".getBytes(StandardCharsets.US_ASCII);
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(probe);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(publicKey);
            verifier.update(probe);
            return verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    private static PrivateKey pkcs8(Path file, byte[] der) throws IOException {
        for (String algorithm : new String[] {"RSA", "EC", "Ed25519", "RSASSA-PSS"}) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (GeneralSecurityException e) {
                // not this algorithm: try the next
            }
        }
        throw new IOException("the PKCS#8 private key in " + file + " is not an RSA or EC key this JDK reads");
    }

    /**
     * The curve OID (a whole TLV) in the parameters [0] of a SEC1 ECPrivateKey
     * {@code SEQUENCE { INTEGER 1, OCTET STRING key, [0] OID curve OPTIONAL, [1] BIT STRING OPTIONAL }}.
     */
    private static byte[] sec1Curve(byte[] der) {
        if (der.length < 2 || der[0] != 0x30) {
            return null;
        }
        int[] seq = header(der, 0);
        int pos = seq[0];
        int end = Math.min(der.length, seq[0] + seq[1]);
        while (pos < end) {
            int[] h = header(der, pos);
            if ((der[pos] & 0xFF) == 0xA0) {
                byte[] oid = new byte[h[1]];
                System.arraycopy(der, h[0], oid, 0, h[1]);
                return oid.length > 0 && oid[0] == 0x06 ? oid : null;
            }
            pos = h[0] + h[1];
        }
        return null;
    }

    /** The offset of the content and its length, for the DER element at {@code pos}. */
    private static int[] header(byte[] der, int pos) {
        int first = der[pos + 1] & 0xFF;
        if (first < 0x80) {
            return new int[] {pos + 2, first};
        }
        int n = first & 0x7F;
        int len = 0;
        for (int i = 0; i < n; i++) {
            len = (len << 8) | (der[pos + 2 + i] & 0xFF);
        }
        return new int[] {pos + 2 + n, len};
    }

    private static byte[] tlv(int tag, byte[] content) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(content.length + 6);
        out.write(tag);
        int len = content.length;
        if (len < 0x80) {
            out.write(len);
        } else if (len < 0x100) {
            out.write(0x81);
            out.write(len);
        } else if (len < 0x10000) {
            out.write(0x82);
            out.write(len >> 8);
            out.write(len);
        } else {
            out.write(0x83);
            out.write(len >> 16);
            out.write(len >> 8);
            out.write(len);
        }
        out.writeBytes(content);
        return out.toByteArray();
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }
}
