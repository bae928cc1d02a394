package io.tributary.security.tls;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Objects;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A small certificate authority: makes a CA and issues server and client certificates signed by it,
 * written as PEM files. Used by {@code standalone --secure} and by tests (no private key is ever
 * committed).
 *
 * <p>Keys are made and certificates signed by the JDK's providers; Bouncy Castle (the FIPS line the
 * servers already carry) only builds the X.509 structures and parses PEM. Keys are EC P-256 unless
 * {@link KeyAlgorithm#RSA} is asked for. Issued certificates serve both ends of a connection: they
 * carry serverAuth and clientAuth, the common name (a server's host or a client's role) and the
 * subject alternative names given.
 */
public final class CertificateAuthority {
    /** How long an issued certificate is valid when no validity is given. */
    public static final Duration DEFAULT_VALIDITY = Duration.ofDays(365);
    /** Certificates start this long before they are made, so a peer whose clock lags still accepts them. */
    static final Duration CLOCK_SKEW = Duration.ofMinutes(5);

    private static final SecureRandom RANDOM = new SecureRandom();

    /** The key algorithm of a CA or an issued certificate. */
    public enum KeyAlgorithm {
        /** EC on the P-256 curve, signed with SHA256withECDSA: small and fast to make. */
        EC,
        /** RSA 2048, signed with SHA256withRSA: for peers that need RSA. */
        RSA
    }

    private final X509Certificate certificate;
    private final PrivateKey key;

    private CertificateAuthority(X509Certificate certificate, PrivateKey key) {
        this.certificate = certificate;
        this.key = key;
    }

    /** A new self-signed CA named {@code commonName} with an EC P-256 key, valid for {@code validity}. */
    public static CertificateAuthority create(String commonName, Duration validity) {
        return create(commonName, validity, KeyAlgorithm.EC);
    }

    /** A new self-signed CA named {@code commonName} with a key of {@code algorithm}, valid for {@code validity}. */
    public static CertificateAuthority create(String commonName, Duration validity, KeyAlgorithm algorithm) {
        Objects.requireNonNull(commonName, "commonName");
        if (validity.isNegative() || validity.isZero()) {
            throw new IllegalArgumentException("a CA's validity must be positive, got " + validity);
        }
        KeyPair pair = generate(algorithm);
        Instant now = Instant.now();
        X500Principal name = name(commonName);
        try {
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name, serial(), Date.from(now.minus(CLOCK_SKEW)),
                    Date.from(now.plus(validity)), name, pair.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
                    .addExtension(Extension.keyUsage, true,
                            new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign | KeyUsage.digitalSignature))
                    .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pair.getPublic()));
            return new CertificateAuthority(sign(b, pair.getPrivate()), pair.getPrivate());
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot make the CA certificate: " + Pem.describe(e), e);
        }
    }

    /**
     * The CA written before with {@link #writeCertificate} and {@link #writeKey}, so a restarted
     * standalone keeps the CA its clients already trust.
     */
    public static CertificateAuthority load(Path certFile, Path keyFile) {
        X509Certificate cert = Pem.certificates(certFile, read(certFile)).get(0);
        PrivateKey key = Pem.privateKey(keyFile, read(keyFile));
        if (cert.getBasicConstraints() < 0) {
            throw new IllegalArgumentException("the certificate in " + certFile + " is not a CA certificate");
        }
        if (!Pem.belongTogether(key, cert.getPublicKey())) {
            throw new IllegalArgumentException("the key in " + keyFile + " is not the key of the certificate in " + certFile);
        }
        return new CertificateAuthority(cert, key);
    }

    /**
     * The CA in {@code dir} ({@code ca.crt} and {@code ca.key}) if it is there and not about to
     * expire; otherwise a new one named {@code commonName} valid for {@code validity}, written there.
     */
    public static CertificateAuthority loadOrCreate(Path dir, String commonName, Duration validity) {
        Path cert = dir.resolve("ca.crt");
        Path key = dir.resolve("ca.key");
        if (Files.exists(cert) && Files.exists(key)) {
            CertificateAuthority ca = load(cert, key);
            // a CA that expires within a day would issue certificates that outlive it
            if (ca.certificate.getNotAfter().toInstant().isAfter(Instant.now().plus(Duration.ofDays(1)))) {
                return ca;
            }
        }
        CertificateAuthority ca = create(commonName, validity);
        ca.writeKey(key);
        ca.writeCertificate(cert);
        return ca;
    }

    /** The CA's own certificate. */
    public X509Certificate certificate() {
        return certificate;
    }

    /** Writes the CA's certificate (PEM) to {@code file}; what clients and servers put in their trustCertsFile. */
    public Path writeCertificate(Path file) {
        Pem.write(file, pem(certificate), false);
        return file;
    }

    /** Writes the CA's private key (PKCS#8 PEM, owner-only permissions) to {@code file}, for {@link #load}. */
    public Path writeKey(Path file) {
        Pem.write(file, Pem.encode("PRIVATE KEY", key.getEncoded()), true);
        return file;
    }

    /**
     * Issues a certificate for {@code commonName} (a server's host or a client's role) with the
     * given DNS names and IP addresses as subject alternative names, valid from {@code notBefore}
     * for {@code validity} (a negative window makes an expired certificate, for tests), and writes
     * {@code name}.crt (chain: leaf, then this CA) and {@code name}.key (PKCS#8) into {@code dir}.
     *
     * <p>A negative {@code validity} ends the window at {@code notBefore} instead of starting it
     * there: {@code issue(..., Instant.now(), Duration.ofDays(-1))} is a certificate that expired
     * just now. Issuing again under the same name replaces the files (each renamed into place whole).
     */
    public Issued issue(Path dir, String name, String commonName, List<String> dnsNames, List<String> ipAddresses,
                        Instant notBefore, Duration validity) {
        return issue(dir, name, commonName, dnsNames, ipAddresses, notBefore, validity, KeyAlgorithm.EC);
    }

    /** As {@link #issue(Path, String, String, List, List, Instant, Duration)}, with a key of {@code algorithm}. */
    public Issued issue(Path dir, String name, String commonName, List<String> dnsNames, List<String> ipAddresses,
                        Instant notBefore, Duration validity, KeyAlgorithm algorithm) {
        Objects.requireNonNull(commonName, "commonName");
        if (validity.isZero()) {
            throw new IllegalArgumentException("a certificate's validity must not be zero");
        }
        Instant from = validity.isNegative() ? notBefore.plus(validity) : notBefore;
        Instant to = validity.isNegative() ? notBefore : notBefore.plus(validity);
        KeyPair pair = generate(algorithm);
        List<GeneralName> sans = new ArrayList<>();
        for (String dns : dnsNames == null ? List.<String>of() : dnsNames) {
            sans.add(new GeneralName(GeneralName.dNSName, dns));
        }
        for (String ip : ipAddresses == null ? List.<String>of() : ipAddresses) {
            sans.add(new GeneralName(GeneralName.iPAddress, ip));
        }
        // RFC 5480: an EC key signs (ECDHE does the key exchange); only an RSA key may encipher
        int usage = pair.getPublic().getAlgorithm().equals("RSA")
                ? KeyUsage.digitalSignature | KeyUsage.keyEncipherment
                : KeyUsage.digitalSignature;
        X509Certificate leaf;
        try {
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(certificate, serial(), Date.from(from), Date.from(to),
                    name(commonName), pair.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(usage))
                    .addExtension(Extension.extendedKeyUsage, false,
                            new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}))
                    .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pair.getPublic()))
                    .addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(certificate));
            if (!sans.isEmpty()) {
                b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(sans.toArray(GeneralName[]::new)));
            }
            leaf = sign(b, key);
        } catch (GeneralSecurityException | IOException | IllegalArgumentException e) {
            throw new IllegalArgumentException("cannot issue a certificate for " + commonName + " (DNS " + dnsNames
                    + ", IP " + ipAddresses + "): " + Pem.describe(e), e);
        }
        Path keyFile = dir.resolve(name + ".key");
        Path certFile = dir.resolve(name + ".crt");
        Pem.write(keyFile, Pem.encode("PRIVATE KEY", pair.getPrivate().getEncoded()), true);
        Pem.write(certFile, pem(leaf) + pem(certificate), false);
        return new Issued(certFile, keyFile);
    }

    /**
     * A server or client certificate valid from now for {@link #DEFAULT_VALIDITY}, or until the CA
     * expires if that is sooner (a certificate outliving its CA would not be trusted anyway).
     */
    public Issued issue(Path dir, String name, String commonName, List<String> dnsNames, List<String> ipAddresses) {
        Instant from = Instant.now().minus(CLOCK_SKEW);
        Duration untilCaExpires = Duration.between(from, certificate.getNotAfter().toInstant());
        Duration validity = untilCaExpires.compareTo(DEFAULT_VALIDITY) < 0 && !untilCaExpires.isNegative() && !untilCaExpires.isZero()
                ? untilCaExpires : DEFAULT_VALIDITY;
        return issue(dir, name, commonName, dnsNames, ipAddresses, from, validity);
    }

    /** A client certificate for {@code role} (its common name), without alternative names, valid for {@link #DEFAULT_VALIDITY}. */
    public Issued issueClient(Path dir, String name, String role) {
        return issue(dir, name, role, List.of(), List.of());
    }

    /** The files of an issued certificate. */
    public record Issued(Path certFile, Path keyFile) {}

    private static KeyPair generate(KeyAlgorithm algorithm) {
        try {
            if (algorithm == KeyAlgorithm.RSA) {
                KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
                g.initialize(2048, RANDOM);
                return g.generateKeyPair();
            }
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JDK cannot make " + algorithm + " keys: " + Pem.describe(e), e);
        }
    }

    private static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey signer) throws GeneralSecurityException {
        String alg = signer.getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA";
        try {
            return new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder(alg).build(signer)));
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException("cannot sign with " + alg + ": " + Pem.describe(e), e);
        }
    }

    private static X500Principal name(String commonName) {
        // through BC's builder so a common name with commas or quotes is escaped, not parsed
        try {
            return new X500Principal(new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, commonName).build().getEncoded());
        } catch (IOException e) {
            throw new IllegalArgumentException("bad common name '" + commonName + "'", e);
        }
    }

    private static BigInteger serial() {
        // random and positive, at most 16 bytes: unique without a counter kept anywhere
        return new BigInteger(127, RANDOM).add(BigInteger.ONE);
    }

    private static String pem(X509Certificate cert) {
        try {
            return Pem.encode("CERTIFICATE", cert.getEncoded());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot encode a certificate: " + Pem.describe(e), e);
        }
    }

    private static byte[] read(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + file + ": " + Pem.describe(e), e);
        }
    }
}
