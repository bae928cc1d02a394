package io.tributary.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tributary.broker.Broker;
import io.tributary.client.Consumer;
import io.tributary.client.Message;
import io.tributary.client.Producer;
import io.tributary.client.Schema;
import io.tributary.client.SubscriptionInitialPosition;
import io.tributary.client.TributaryClient;
import io.tributary.proxy.BrokerDiscoverySettings;
import io.tributary.proxy.ProxyConfig;
import io.tributary.proxy.ProxyServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A proxy that discovers brokers from ZooKeeper follows them as they come and go: configured with no
 * broker address at all, it keeps serving when every broker it started with is gone.
 */
class ProxyDiscoveryTest {
    @TempDir
    Path dir;

    @Test
    void theProxyKeepsServingWhenEveryBrokerItStartedWithIsReplaced() throws Exception {
        try (InProcessCluster cluster = new InProcessCluster(dir.toFile())) {
            Broker first = cluster.addBroker(c -> c);
            ProxyConfig config = new ProxyConfig.Builder().bindAddress("127.0.0.1").port(0).metricsPort(0)
                    .discovery(BrokerDiscoverySettings.of(cluster.zk.connectString())).build();
            try (ProxyServer proxy = new ProxyServer(config).start();
                 TributaryClient client = TributaryClient.builder().serviceUrl("127.0.0.1:" + proxy.port())
                         .operationTimeout(Duration.ofSeconds(60)).build()) {
                String topic = "public/default/followed";
                Consumer<String> consumer = client.newConsumer(Schema.STRING).topic(topic).subscriptionName("s")
                        .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe();
                Producer<String> producer = client.newProducer(Schema.STRING).topic(topic).create();
                producer.send("before");
                assertThat(receive(consumer)).isEqualTo("before");

                // a second broker comes, the first goes (handing its bundles over): the proxy was never told of either change
                cluster.addBroker(c -> c);
                cluster.brokers.remove(first);
                first.close();

                producer.send("after");
                assertThat(receive(consumer)).isEqualTo("after");
                // a new topic is looked up through the broker the proxy learned of
                try (Producer<String> other = client.newProducer(Schema.STRING).topic("public/default/new-after").create()) {
                    other.send("fresh");
                }
                HttpClient http = HttpClient.newHttpClient();
                await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(http.send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy.metricsPort() + "/health/ready")).build(),
                        HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200));
                producer.close();
                consumer.close();
            }
        }
    }

    private static String receive(Consumer<String> consumer) throws Exception {
        Message<String> m = consumer.receive(60, TimeUnit.SECONDS);
        assertThat(m).as("a message within 60 s").isNotNull();
        consumer.acknowledge(m);
        return m.getValue();
    }
}
