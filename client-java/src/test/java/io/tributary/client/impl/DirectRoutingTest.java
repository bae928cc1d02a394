package io.tributary.client.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.stub.StreamObserver;
import io.tributary.api.v1.ErrorReason;
import io.tributary.api.v1.LookupRequest;
import io.tributary.api.v1.LookupResponse;
import io.tributary.api.v1.LookupServiceGrpc;
import io.tributary.client.ConnectionMode;
import io.tributary.client.Consumer;
import io.tributary.client.Message;
import io.tributary.client.Producer;
import io.tributary.client.Schema;
import io.tributary.client.SubscriptionInitialPosition;
import io.tributary.client.TributaryClient;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The routing of a {@link ConnectionMode#DIRECT} client's streams against fake brokers: a service URL
 * that answers Lookup with {@link #owner}, and two brokers. Which fake saw the opens proves where each
 * stream went; the same checks on a PROXY client show they can fail.
 */
class DirectRoutingTest {
    private static final String TOPIC = "public/default/direct";

    private final AtomicReference<String> owner = new AtomicReference<>();
    /** When set, the owner named by the lookups after the first {@link #lookupsBeforeChange}. */
    private final AtomicReference<String> ownerAfterFirstLookup = new AtomicReference<>();
    private volatile int lookupsBeforeChange = 1;
    private final AtomicInteger lookups = new AtomicInteger();
    private FakeBroker service;
    private FakeBroker first;
    private FakeBroker second;

    @BeforeEach
    void start() throws Exception {
        LookupServiceGrpc.LookupServiceImplBase lookup = new LookupServiceGrpc.LookupServiceImplBase() {
            @Override
            public void lookup(LookupRequest request, StreamObserver<LookupResponse> out) {
                String answer = owner.get();
                if (lookups.incrementAndGet() > lookupsBeforeChange && ownerAfterFirstLookup.get() != null) {
                    answer = ownerAfterFirstLookup.get();
                }
                out.onNext(LookupResponse.newBuilder().setTopic(request.getTopic()).setBrokerAddress(answer).build());
                out.onCompleted();
            }
        };
        service = new FakeBroker(b -> b.addService(lookup), TOPIC);
        first = new FakeBroker(TOPIC);
        second = new FakeBroker(TOPIC);
        owner.set(first.url());
    }

    @AfterEach
    void stop() throws Exception {
        service.close();
        first.close();
        second.close();
    }

    private TributaryClient client(ConnectionMode mode) throws Exception {
        return TributaryClient.builder().serviceUrl(service.url()).connectionMode(mode)
                .operationTimeout(Duration.ofSeconds(10)).build();
    }

    private static void produceAndConsume(TributaryClient client) throws Exception {
        try (Consumer<String> consumer = client.newConsumer(Schema.STRING).topic(TOPIC).subscriptionName("s")
                .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe();
             Producer<String> producer = client.newProducer(Schema.STRING).topic(TOPIC).create()) {
            producer.send("one");
            Message<String> m = consumer.receive(Duration.ofSeconds(10));
            assertThat(m).isNotNull();
            assertThat(m.getValue()).isEqualTo("one");
            consumer.acknowledge(m);
        }
    }

    @Test
    void streamsOpenOnTheLookedUpOwnerAndNotOnTheServiceUrl() throws Exception {
        try (TributaryClient client = client(ConnectionMode.DIRECT)) {
            produceAndConsume(client);
        }
        synchronized (first) {
            assertThat(first.publishOpens).isEqualTo(1);
            assertThat(first.subscribeOpens).isEqualTo(1);
        }
        synchronized (service) {
            assertThat(service.publishOpens).isZero();
            assertThat(service.subscribeOpens).isZero();
        }
        assertThat(lookups.get()).isEqualTo(2); // one per stream

        // the same checks fail for a client through the service URL
        try (TributaryClient client = client(ConnectionMode.PROXY)) {
            produceAndConsume(client);
        }
        synchronized (service) {
            assertThat(service.publishOpens).isEqualTo(1);
            assertThat(service.subscribeOpens).isEqualTo(1);
        }
        assertThat(lookups.get()).isEqualTo(2);
    }

    @Test
    void aRefusalNamingTheOwnerIsFollowedWithoutAnotherLookup() throws Exception {
        synchronized (first) {
            first.refusePublishOpens = 1;
            first.refusePublishOpensWith = ErrorReason.NOT_OWNER;
            first.refusePublishOpensOwner = second.url();
        }
        try (TributaryClient client = client(ConnectionMode.DIRECT);
             Producer<String> producer = client.newProducer(Schema.STRING).topic(TOPIC).create()) {
            producer.send("moved");
        }
        assertThat(lookups.get()).isEqualTo(1);
        assertThat(second.entryCount(TOPIC)).isEqualTo(1);
        assertThat(first.entryCount(TOPIC)).isZero();
        assertThat(service.entryCount(TOPIC)).isZero();
    }

    @Test
    void refusalsThatKeepNamingAStaleOwnerEndInALookup() throws Exception {
        synchronized (first) {
            first.refusePublishOpens = 100;
            first.refusePublishOpensWith = ErrorReason.NOT_OWNER;
            first.refusePublishOpensOwner = first.url(); // itself, as a broker with stale knowledge might
        }
        ownerAfterFirstLookup.set(second.url());
        try (TributaryClient client = client(ConnectionMode.DIRECT);
             Producer<String> producer = client.newProducer(Schema.STRING).topic(TOPIC).create()) {
            producer.send("found");
        }
        synchronized (first) {
            assertThat(first.refusePublishOpens).as("refused the open, then %d redirects", TopicRoute.MAX_REDIRECTS)
                    .isEqualTo(100 - 1 - TopicRoute.MAX_REDIRECTS);
        }
        assertThat(lookups.get()).isEqualTo(2);
        assertThat(second.entryCount(TOPIC)).isEqualTo(1);
    }

    @Test
    void aRefusalWithoutAnAddressLooksTheTopicUpAgain() throws Exception {
        synchronized (first) {
            first.refusePublishOpens = 1;
            first.refusePublishOpensWith = ErrorReason.NOT_OWNER;
        }
        ownerAfterFirstLookup.set(second.url());
        try (TributaryClient client = client(ConnectionMode.DIRECT);
             Producer<String> producer = client.newProducer(Schema.STRING).topic(TOPIC).create()) {
            producer.send("again");
        }
        assertThat(lookups.get()).isEqualTo(2);
        assertThat(second.entryCount(TOPIC)).isEqualTo(1);
        assertThat(first.entryCount(TOPIC)).isZero();
    }

    @Test
    void aBrokerThatWentAwayIsLookedUpAgainUntilTheNewOwnerIsNamedWithoutFallingBack() throws Exception {
        // the first two lookups name the first broker: the second is answered after it went away (as while
        // its ZooKeeper session lives on), so the reconnect is refused; the third names the second broker
        lookupsBeforeChange = 2;
        ownerAfterFirstLookup.set(second.url());
        try (TributaryClient client = client(ConnectionMode.DIRECT);
             Producer<String> producer = client.newProducer(Schema.STRING).topic(TOPIC).create()) {
            producer.send("one");
            first.close();
            producer.send("two");
        }
        assertThat(lookups.get()).isEqualTo(3);
        assertThat(first.entryCount(TOPIC)).isEqualTo(1);
        assertThat(second.entryCount(TOPIC)).isEqualTo(1);
        assertThat(service.entryCount(TOPIC)).as("a broker it reached before is no reason to fall back").isZero();
    }

    @Test
    void anAddressThatCannotBeReachedFallsBackToTheServiceUrl() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        owner.set("127.0.0.1:" + closedPort);
        try (TributaryClient client = client(ConnectionMode.DIRECT)) {
            produceAndConsume(client);
            // a second producer of the topic starts over with a lookup and falls back again
            try (Producer<String> p = client.newProducer(Schema.STRING).topic(TOPIC).create()) {
                p.send("two");
            }
        }
        assertThat(service.entryCount(TOPIC)).isEqualTo(2);
        synchronized (service) {
            assertThat(service.subscribeOpens).isEqualTo(1);
        }
    }

    @Test
    void aServiceUrlThatDoesNotAnswerLookupCarriesTheStreams() throws Exception {
        try (TributaryClient client = TributaryClient.builder().serviceUrl(first.url())
                .connectionMode(ConnectionMode.DIRECT).build();
             Producer<String> producer = client.newProducer(Schema.STRING).topic(TOPIC).create()) {
            producer.send("plain");
        }
        assertThat(first.entryCount(TOPIC)).isEqualTo(1);
    }
}
