package io.tributary.it.chart;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tributary.client.Consumer;
import io.tributary.client.Message;
import io.tributary.client.MessageId;
import io.tributary.client.Producer;
import io.tributary.client.Schema;
import io.tributary.client.SubscriptionInitialPosition;
import io.tributary.client.TributaryClient;
import io.tributary.it.chart.PodCluster.Pod;
import io.tributary.it.image.UnpackedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The chart's default values run: every pod of {@code helm template} (with two brokers and one proxy, to
 * spare a 2-core machine) started as processes from the image with what Kubernetes would give it
 * ({@link PodCluster}). Messages go through the proxy Service's port, and a broker stopped as Kubernetes
 * scales a Deployment down (SIGTERM) hands its topics over without a client error; every pod deleted and
 * recreated on the same claims finds every message and subscription again. A setting the chart renders but a
 * process refuses fails here.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ChartProcessesTest {
    private static PodCluster cluster;
    private static Path values;

    @BeforeAll
    static void renderAndStart() throws Exception {
        // the init Job an ordinary Job: no Helm here to run hooks
        values = Files.createTempFile("chart-processes", ".yaml");
        Files.writeString(values, "broker:\n  replicas: 2\nproxy:\n  replicas: 1\ninitJob:\n  helmHook: false\n");
        cluster = new PodCluster(UnpackedImage.get(), RenderedChart.render(values), "tribchart", "10.254.0.");
        cluster.start();
    }

    @AfterAll
    static void stopAll() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
        if (values != null) {
            Files.deleteIfExists(values);
        }
    }

    @Test
    @Order(0)
    void theCommandsTheInstallPrintsWorkThroughAPortForward() throws Exception {
        cluster.runClientCommandsOf(RenderedChart.notes(values), Map.of());
    }

    @Test
    @Order(1)
    void messagesGoThroughTheProxyServiceAndABrokerScaledDownHandsItsTopicsOver() throws Exception {
        String topic = "public/default/chart-" + System.nanoTime();
        try (TributaryClient client = client();
             Consumer<String> consumer = client.newConsumer(Schema.STRING).topic(topic).subscriptionName("chart")
                     .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe();
             Producer<String> producer = client.newProducer(Schema.STRING).topic(topic).create()) {
            for (int i = 0; i < 20; i++) {
                producer.send("message " + i);
            }
            receive(consumer, 0, 20);

            // Kubernetes scales the brokers down by one: the one owning the topic gets SIGTERM and drains
            Pod owner = await().atMost(Duration.ofSeconds(30)).until(() -> owner(topic), o -> o != null);
            long grace = owner.template.getSpec().getTerminationGracePeriodSeconds();
            owner.pid1().destroy();
            List<CompletableFuture<MessageId>> sends = new ArrayList<>();
            for (int i = 20; owner.process.isAlive() && i < 2_000; i++) {
                sends.add(producer.sendAsync("message " + i));
                if (i % 10 == 0) {
                    producer.flush();
                }
            }
            assertThat(owner.process.waitFor(grace, TimeUnit.SECONDS))
                    .as("the broker stopped within the pod's termination grace period (%d s)", grace).isTrue();
            assertThat(owner.process.exitValue()).as("its exit status; " + owner.log).isZero();
            assertThat(Files.readString(owner.log)).contains("draining broker");
            for (int i = 20 + sends.size(); i < 40 + sends.size(); i++) {
                producer.send("message " + i);
            }
            CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
            receive(consumer, 20, 40 + sends.size());
            Pod other = await().atMost(Duration.ofSeconds(30)).until(() -> owner(topic), o -> o != null);
            assertThat(other).isNotSameAs(owner);
        }
    }

    @Test
    @Order(2)
    void everyPodDeletedAndRecreatedOnTheSameClaimsKeepsMessagesAndSubscriptions() throws Exception {
        // what a backup of the claims restores, and what an upgrade that replaces every pod keeps
        String topic = "public/default/claims-" + System.nanoTime();
        try (TributaryClient client = client();
             Consumer<String> consumer = client.newConsumer(Schema.STRING).topic(topic).subscriptionName("kept")
                     .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe();
             Producer<String> producer = client.newProducer(Schema.STRING).topic(topic).create()) {
            for (int i = 0; i < 20; i++) {
                producer.send("message " + i);
            }
            receive(consumer, 0, 10);
        }

        cluster.stop();
        cluster.start();

        try (TributaryClient client = client();
             Consumer<String> consumer = client.newConsumer(Schema.STRING).topic(topic).subscriptionName("kept").subscribe();
             Consumer<String> fromTheStart = client.newConsumer(Schema.STRING).topic(topic).subscriptionName("new")
                     .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe()) {
            receive(consumer, 10, 20);
            receive(fromTheStart, 0, 20);
        }
    }

    private static TributaryClient client() throws Exception {
        return TributaryClient.builder().serviceUrl(cluster.serviceAddress("tributary-proxy")).operationTimeout(Duration.ofSeconds(60))
                .build();
    }

    /** Receives and acknowledges {@code "message " + i} for i in [from, to), in order. */
    static void receive(Consumer<String> consumer, int from, int to) throws Exception {
        for (int i = from; i < to; i++) {
            Message<String> m = consumer.receive(60, TimeUnit.SECONDS);
            assertThat(m).as("message " + i).isNotNull();
            assertThat(m.getValue()).isEqualTo("message " + i);
            consumer.acknowledge(m);
        }
    }

    /** The running broker pod whose metrics count messages stored on {@code topic}, or null. */
    private static Pod owner(String topic) throws Exception {
        for (Pod p : cluster.pods("broker")) {
            if (p.process.isAlive() && p.metrics("http").lines()
                    .anyMatch(l -> l.startsWith("tributary_topic_messages_in_total{") && l.contains(topic))) {
                return p;
            }
        }
        return null;
    }
}
