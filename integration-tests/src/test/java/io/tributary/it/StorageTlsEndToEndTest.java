package io.tributary.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.cli.Standalone;
import io.tributary.client.Consumer;
import io.tributary.client.Message;
import io.tributary.client.Producer;
import io.tributary.client.Schema;
import io.tributary.client.SubscriptionInitialPosition;
import io.tributary.client.SubscriptionType;
import io.tributary.client.TributaryClient;
import io.tributary.protocol.security.ServerTlsSettings;
import io.tributary.protocol.security.TlsFiles;
import io.tributary.security.tls.CertificateAuthority;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A whole standalone cluster whose brokers reach ZooKeeper and the bookies over TLS only, with client certificates. */
class StorageTlsEndToEndTest {
    @TempDir
    Path dir;

    @Test
    void aBrokerStoresAndReadsThroughTlsZooKeeperAndBookies() throws Exception {
        CertificateAuthority ca = CertificateAuthority.create("storage-ca", Duration.ofDays(1));
        Path caFile = ca.writeCertificate(dir.resolve("ca.crt"));
        Path certs = dir.resolve("certs");
        Instant now = Instant.now().minusSeconds(60);
        CertificateAuthority.Issued zk = ca.issue(certs, "zookeeper", "localhost", List.of("localhost"), List.of("127.0.0.1"), now,
                Duration.ofDays(1));
        CertificateAuthority.Issued bookie = ca.issue(certs, "bookie", "localhost", List.of("localhost"), List.of("127.0.0.1"), now,
                Duration.ofDays(1));
        CertificateAuthority.Issued broker = ca.issue(certs, "broker", "broker", List.of(), List.of(), now, Duration.ofDays(1));
        // both servers require client certificates
        Standalone.StorageTlsSetup tls = new Standalone.StorageTlsSetup(
                new ServerTlsSettings(zk.certFile(), zk.keyFile(), caFile, ServerTlsSettings.ClientAuth.REQUIRE),
                new ServerTlsSettings(bookie.certFile(), bookie.keyFile(), caFile, ServerTlsSettings.ClientAuth.REQUIRE),
                new TlsFiles(broker.certFile(), broker.keyFile(), caFile));

        try (Standalone standalone = new Standalone(TestClusters.options(dir.resolve("data").toFile(), UnaryOperator.identity())
                .withStorageTls(tls)).start();
             TributaryClient client = TributaryClient.builder().serviceUrl(standalone.serviceUrl()).build()) {
            String topic = "public/default/over-tls";
            try (Consumer<String> consumer = client.newConsumer(Schema.STRING).topic(topic).subscriptionName("s")
                    .subscriptionType(SubscriptionType.Exclusive).subscriptionInitialPosition(SubscriptionInitialPosition.Earliest)
                    .subscribe();
                 Producer<String> producer = client.newProducer(Schema.STRING).topic(topic).create()) {
                for (int i = 0; i < 20; i++) {
                    producer.send("m" + i);
                }
                for (int i = 0; i < 20; i++) {
                    Message<String> m = consumer.receive(30, TimeUnit.SECONDS);
                    assertThat(m).as("message %d", i).isNotNull();
                    assertThat(m.getValue()).isEqualTo("m" + i);
                    consumer.acknowledge(m);
                }
            }

            // ZooKeeper has no plaintext port: a plaintext client of it never connects (said explicitly: this JVM's
            // ZooKeeper clients default to TLS while the cluster runs, for BookKeeper's sake)
            assertThat(TestClusters.plaintextZooKeeperClientConnects(standalone.zookeeperConnect())).isFalse();
        }
    }
}
