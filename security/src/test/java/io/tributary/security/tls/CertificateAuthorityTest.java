package io.tributary.security.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CertificateAuthorityTest {
    @TempDir
    Path dir;

    @Test
    void anIssuedCertificateChainsToTheCaAndNamesItsHosts() throws Exception {
        CertificateAuthority ca = CertificateAuthority.create("test CA", Duration.ofDays(1));
        CertificateAuthority.Issued issued = ca.issue(dir, "server", "broker-1", List.of("localhost", "broker-1.example"),
                List.of("127.0.0.1", "::1"));

        List<X509Certificate> chain = Pem.certificates(issued.certFile(), Files.readAllBytes(issued.certFile()));
        assertThat(chain).hasSize(2);
        X509Certificate leaf = chain.get(0);
        assertThat(chain.get(1)).isEqualTo(ca.certificate());
        assertThat(leaf.getSubjectX500Principal().getName()).isEqualTo("CN=broker-1");
        assertThat(leaf.getSubjectAlternativeNames()).extracting(san -> (Object) san.get(1))
                .containsExactlyInAnyOrder((Object) "localhost", "broker-1.example", "127.0.0.1", "0:0:0:0:0:0:0:1");
        assertThat(leaf.getExtendedKeyUsage()).containsExactlyInAnyOrder("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2");
        assertThat(leaf.getBasicConstraints()).isEqualTo(-1);
        assertThat(ca.certificate().getBasicConstraints()).isGreaterThanOrEqualTo(0);
        assertThat(ca.certificate().getKeyUsage()[5]).as("keyCertSign").isTrue();

        PKIXParameters params = new PKIXParameters(Set.of(new TrustAnchor(ca.certificate(), null)));
        params.setRevocationEnabled(false);
        CertPathValidator.getInstance("PKIX").validate(CertificateFactory.getInstance("X.509").generateCertPath(List.of(leaf)), params);

        assertThat(Pem.privateKey(issued.keyFile(), Files.readAllBytes(issued.keyFile())).getAlgorithm()).isEqualTo("EC");
        assertThat(Files.readString(issued.keyFile())).startsWith("-----BEGIN PRIVATE KEY-----");
        if (dir.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            assertThat(Files.getPosixFilePermissions(issued.keyFile()))
                    .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
        }
    }

    @Test
    void aNegativeValidityMakesAnExpiredCertificate() throws Exception {
        CertificateAuthority ca = CertificateAuthority.create("test CA", Duration.ofDays(1));
        CertificateAuthority.Issued issued = ca.issue(dir, "old", "old", List.of("localhost"), List.of(),
                Instant.now(), Duration.ofHours(-1));
        X509Certificate leaf = Pem.certificates(issued.certFile(), Files.readAllBytes(issued.certFile())).get(0);
        assertThatThrownBy(leaf::checkValidity).isInstanceOf(CertificateExpiredException.class);
    }

    @Test
    void aCaWrittenBeforeIsReusedAfterARestart() throws Exception {
        CertificateAuthority first = CertificateAuthority.loadOrCreate(dir, "standalone CA", Duration.ofDays(30));
        CertificateAuthority again = CertificateAuthority.loadOrCreate(dir, "standalone CA", Duration.ofDays(30));
        assertThat(again.certificate()).isEqualTo(first.certificate());
        // and it still signs: a certificate it issues chains to the CA written before
        CertificateAuthority.Issued issued = again.issueClient(dir, "client", "app");
        X509Certificate leaf = Pem.certificates(issued.certFile(), Files.readAllBytes(issued.certFile())).get(0);
        leaf.verify(first.certificate().getPublicKey());
    }

    @Test
    void aKeyThatIsNotTheCertificatesIsRefusedWhenLoadingACa() {
        CertificateAuthority a = CertificateAuthority.create("a", Duration.ofDays(1));
        CertificateAuthority b = CertificateAuthority.create("b", Duration.ofDays(1));
        Path cert = a.writeCertificate(dir.resolve("a.crt"));
        Path key = b.writeKey(dir.resolve("b.key"));
        assertThatThrownBy(() -> CertificateAuthority.load(cert, key))
                .hasMessageContaining("b.key").hasMessageContaining("not the key");
    }

    @Test
    void anRsaCaIssuesRsaCertificates() throws Exception {
        CertificateAuthority ca = CertificateAuthority.create("rsa CA", Duration.ofDays(1), CertificateAuthority.KeyAlgorithm.RSA);
        CertificateAuthority.Issued issued = ca.issue(dir, "server", "localhost", List.of("localhost"), List.of(),
                Instant.now(), Duration.ofDays(1), CertificateAuthority.KeyAlgorithm.RSA);
        X509Certificate leaf = Pem.certificates(issued.certFile(), Files.readAllBytes(issued.certFile())).get(0);
        assertThat(leaf.getPublicKey().getAlgorithm()).isEqualTo("RSA");
        leaf.verify(ca.certificate().getPublicKey());
    }
}
