package io.tributary.protocol.security;

import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NegotiationType;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLException;

/**
 * TLS for a client channel (SDK, proxy to broker, broker to broker) from PEM files.
 *
 * <p>The client key may be PKCS#8 ({@code BEGIN PRIVATE KEY}, what Tributary's CA and cert-manager
 * write by default), PKCS#1 ({@code BEGIN RSA PRIVATE KEY}) or SEC1 ({@code BEGIN EC PRIVATE KEY},
 * what {@code openssl ecparam -genkey} writes); Netty reads only the first, so the other two are
 * rewrapped as PKCS#8 here, without Bouncy Castle (the SDK does not carry it). Encrypted keys are not
 * read. The files are read when the context is made: a client picks up rotated files when it makes a
 * new context.
 */
public final class ClientTls {
    private static final Pattern TRADITIONAL_KEY = Pattern.compile(
            "-----BEGIN (RSA|EC) PRIVATE KEY-----\\s*([A-Za-z0-9+/=\\s]+?)\\s*-----END \\1 PRIVATE KEY-----");
    // DER of the AlgorithmIdentifier OIDs: rsaEncryption 1.2.840.113549.1.1.1 and id-ecPublicKey 1.2.840.10045.2.1
    private static final byte[] RSA_ENCRYPTION = {0x06, 0x09, 0x2A, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xF7, 0x0D, 0x01, 0x01, 0x01};
    private static final byte[] EC_PUBLIC_KEY = {0x06, 0x07, 0x2A, (byte) 0x86, 0x48, (byte) 0xCE, 0x3D, 0x02, 0x01};
    private static final byte[] DER_NULL = {0x05, 0x00};

    private ClientTls() {}

    /** A client TLS context: trusts {@code files.trustCertsFile()}, presents {@code files.certFile()} if set. */
    public static SslContext context(TlsFiles files) {
        try {
            SslContextBuilder b = GrpcSslContexts.forClient();
            if (files.trustCertsFile() != null) {
                b.trustManager(files.trustCertsFile().toFile());
            }
            if (files.certFile() != null) {
                PrivateKey traditional = traditionalKey(files.keyFile());
                if (traditional == null) {
                    b.keyManager(files.certFile().toFile(), files.keyFile().toFile());
                } else {
                    b.keyManager(traditional, certificates(files.certFile()));
                }
            }
            return b.build();
        } catch (SSLException e) {
            throw new UncheckedIOException("cannot read the TLS files " + files + ": " + e.getMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException(new IOException("cannot read the TLS files " + files + ": " + e.getMessage(), e));
        } catch (IllegalArgumentException e) {
            throw new UncheckedIOException(new IOException("cannot read the TLS files " + files + ": " + e.getMessage(), e));
        }
    }

    /** TLS with {@code files}, or plaintext when {@code files} is null. */
    public static NettyChannelBuilder apply(NettyChannelBuilder builder, TlsFiles files) {
        if (files == null) {
            return builder.usePlaintext();
        }
        return builder.negotiationType(NegotiationType.TLS).sslContext(context(files));
    }

    /** The PKCS#1 or SEC1 key in {@code file}, or null when it holds another kind (left to Netty). */
    static PrivateKey traditionalKey(Path file) throws IOException {
        Matcher m = TRADITIONAL_KEY.matcher(Files.readString(file, StandardCharsets.US_ASCII));
        if (!m.find()) {
            return null;
        }
        byte[] der;
        try {
            der = Base64.getMimeDecoder().decode(m.group(2));
        } catch (IllegalArgumentException e) {
            throw new IOException("the " + m.group(1) + " private key in " + file + " is not valid base64", e);
        }
        try {
            if (m.group(1).equals("RSA")) {
                // PrivateKeyInfo { version 0, { rsaEncryption, NULL }, OCTET STRING { RSAPrivateKey } }
                byte[] pkcs8 = tlv(0x30, concat(tlv(0x02, new byte[] {0}), tlv(0x30, concat(RSA_ENCRYPTION, DER_NULL)), tlv(0x04, der)));
                return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
            }
            // PrivateKeyInfo { version 0, { id-ecPublicKey, the curve named in the SEC1 key }, OCTET STRING { ECPrivateKey } }
            byte[] curve = sec1Curve(der);
            if (curve == null) {
                throw new IOException("the EC private key in " + file + " does not name its curve");
            }
            byte[] pkcs8 = tlv(0x30, concat(tlv(0x02, new byte[] {0}), tlv(0x30, concat(EC_PUBLIC_KEY, curve)), tlv(0x04, der)));
            return KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
        } catch (GeneralSecurityException | IndexOutOfBoundsException e) {
            throw new IOException("cannot read the " + m.group(1) + " private key in " + file + ": " + e.getMessage(), e);
        }
    }

    private static X509Certificate[] certificates(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return CertificateFactory.getInstance("X.509").generateCertificates(in).stream()
                    .map(c -> (X509Certificate) c).toArray(X509Certificate[]::new);
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot read the certificates in " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * The curve OID (a whole TLV) in the parameters [0] of a SEC1 ECPrivateKey
     * {@code SEQUENCE { INTEGER 1, OCTET STRING key, [0] OID curve OPTIONAL, [1] BIT STRING OPTIONAL }}.
     */
    private static byte[] sec1Curve(byte[] der) {
        int[] seq = header(der, 0);
        if (der[0] != 0x30) {
            return null;
        }
        int pos = seq[0];
        int end = seq[0] + seq[1];
        while (pos < end) {
            int[] h = header(der, pos);
            if ((der[pos] & 0xFF) == 0xA0) {
                byte[] oid = new byte[h[1]];
                System.arraycopy(der, h[0], oid, 0, h[1]);
                return oid[0] == 0x06 ? oid : null;
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
