package io.tributary.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import io.tributary.api.v1.AcknowledgeRequest;
import io.tributary.api.v1.AdminServiceGrpc;
import io.tributary.api.v1.CreateTopicRequest;
import io.tributary.api.v1.DeleteTopicRequest;
import io.tributary.api.v1.ErrorDetail;
import io.tributary.api.v1.ErrorReason;
import io.tributary.api.v1.Flow;
import io.tributary.api.v1.ListTenantsRequest;
import io.tributary.api.v1.LookupRequest;
import io.tributary.api.v1.LookupResponse;
import io.tributary.api.v1.LookupServiceGrpc;
import io.tributary.api.v1.MessageId;
import io.tributary.api.v1.MessagingServiceGrpc;
import io.tributary.api.v1.ProducerOpen;
import io.tributary.api.v1.PublishBatch;
import io.tributary.api.v1.PublishRequest;
import io.tributary.api.v1.PublishResponse;
import io.tributary.api.v1.ReceiveRequest;
import io.tributary.api.v1.ReceiveResponse;
import io.tributary.api.v1.SubscribeOpen;
import io.tributary.api.v1.SubscribeRequest;
import io.tributary.api.v1.SubscribeResponse;
import io.tributary.protocol.ErrorReasons;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ProxyServerTest {
    private static final int LARGE = 256 * 1024;

    private FakeBroker brokerA;
    private FakeBroker brokerB;
    private ProxyServer proxy;
    private ManagedChannel client;
    private final List<AutoCloseable> toClose = new ArrayList<>();

    @BeforeEach
    void setUp() throws IOException {
        brokerA = new FakeBroker("A");
        brokerB = new FakeBroker("B");
        startProxy(brokerA.address);
    }

    private void startProxy(String brokerServiceUrl) throws IOException {
        startProxy(ProxyConfig.withBrokers(brokerServiceUrl));
    }

    private void startProxy(ProxyConfig config) throws IOException {
        if (proxy != null) {
            client.shutdownNow();
            proxy.close();
        }
        proxy = new ProxyServer(config.withBindAddress("127.0.0.1").withPort(0).withMetrics(-1, null))
                .start();
        client = NettyChannelBuilder.forAddress("127.0.0.1", proxy.port())
                .usePlaintext()
                .maxInboundMessageSize(16 * 1024 * 1024)
                .build();
    }

    @AfterEach
    void tearDown() throws Exception {
        client.shutdownNow();
        proxy.close();
        brokerA.close();
        brokerB.close();
        for (AutoCloseable c : toClose) {
            c.close();
        }
    }

    private MessagingServiceGrpc.MessagingServiceStub messaging() {
        return MessagingServiceGrpc.newStub(client);
    }

    private MessagingServiceGrpc.MessagingServiceBlockingStub messagingBlocking() {
        return MessagingServiceGrpc.newBlockingStub(client).withDeadlineAfter(20, TimeUnit.SECONDS);
    }

    private static PublishRequest open(String topic) {
        return PublishRequest.newBuilder().setOpen(ProducerOpen.newBuilder().setTopic(topic).setProducerName("p1"))
                .build();
    }

    private static PublishRequest batch(long sequenceId, int size) {
        return PublishRequest.newBuilder().setBatch(PublishBatch.newBuilder().setSequenceId(sequenceId)
                .setMessageCount(1).setEntry(ByteString.copyFrom(new byte[size]))).build();
    }

    private static SubscribeRequest subscribe(String topic) {
        return SubscribeRequest.newBuilder().setOpen(SubscribeOpen.newBuilder().setTopic(topic)
                .setSubscription("sub").setInitialPermits(1000)).build();
    }

    private static ErrorDetail detailOf(StatusRuntimeException e) {
        return Recorder.detailOf(e);
    }

    // ---- (1) a Publish stream end to end ----

    @Test
    void publishStreamIsForwardedInOrderBothWays() {
        Recorder<PublishResponse> responses = new Recorder<>();
        StreamObserver<PublishRequest> requests = messaging().publish(responses);
        requests.onNext(open("persistent://t/n/orders"));
        for (int i = 0; i < 20; i++) {
            requests.onNext(batch(i, 100 + i));
        }
        requests.onCompleted();

        responses.awaitCompleted();
        assertThat(responses.values).hasSize(21);
        assertThat(responses.values.get(0).getOpened().getProducerName()).isEqualTo("p1");
        for (int i = 0; i < 20; i++) {
            assertThat(responses.values.get(i + 1).getAck().getSequenceId()).isEqualTo(i);
        }
        assertThat(brokerA.publishRequests).hasSize(21);
        assertThat(brokerA.publishRequests.get(0).getOpen().getTopic()).isEqualTo("persistent://t/n/orders");
        for (int i = 0; i < 20; i++) {
            assertThat(brokerA.publishRequests.get(i + 1).getBatch().getSequenceId()).isEqualTo(i);
            assertThat(brokerA.publishRequests.get(i + 1).getBatch().getEntry().size()).isEqualTo(100 + i);
        }
        assertThat(brokerA.publishHalfClosed).isTrue();
        assertThat(brokerA.lookups).hasValue(1);
    }

    @Test
    void aBatchAboveFourMibPassesTheProxySoTheBrokerDecides() {
        Recorder<PublishResponse> responses = new Recorder<>();
        StreamObserver<PublishRequest> requests = messaging().publish(responses);
        requests.onNext(open("t/n/big"));
        requests.onNext(batch(1, 6 * 1024 * 1024));
        requests.onCompleted();
        responses.awaitCompleted();
        assertThat(responses.values).hasSize(2);
        assertThat(brokerA.publishRequests.get(1).getBatch().getEntry().size()).isEqualTo(6 * 1024 * 1024);
    }

    @Test
    void subscribeStreamIsForwardedAndCompletesWithTheBroker() {
        Recorder<SubscribeResponse> responses = new Recorder<>();
        StreamObserver<SubscribeRequest> requests = messaging().subscribe(responses);
        requests.onNext(subscribe("t/n/s"));
        requests.onNext(SubscribeRequest.newBuilder().setFlow(Flow.newBuilder().setPermits(5)).build());
        responses.awaitValues(1);
        assertThat(responses.values.get(0).getSubscribed().getConsumerName()).isEqualTo("A-consumer");
        requests.onCompleted();
        responses.awaitCompleted();
        assertThat(brokerA.subscribeRequests).hasSize(2);
        assertThat(brokerA.subscribeRequests.get(1).getFlow().getPermits()).isEqualTo(5);
    }

    // ---- (2) flow control ----

    /** Waits until the flooding side has been blocked, without progress, for ten polls in a row. */
    private static int awaitStall(AtomicInteger sent, AtomicBoolean blocked) {
        int[] last = {-1};
        int[] stable = {0};
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> {
            int now = sent.get();
            stable[0] = blocked.get() && now == last[0] ? stable[0] + 1 : 0;
            last[0] = now;
            return stable[0] >= 10;
        });
        return last[0];
    }

    @Test
    void brokerIsThrottledWhileTheClientReadsNothing() {
        int total = 400;
        brokerA.floodCount = total;
        brokerA.floodSize = LARGE;
        AtomicReference<ClientCallStreamObserver<SubscribeRequest>> call = new AtomicReference<>();
        Recorder<SubscribeResponse> responses = new Recorder<>();
        StreamObserver<SubscribeRequest> requests = messaging().subscribe(
                new ForwardingResponseObserver<SubscribeRequest, SubscribeResponse>(responses) {
                    @Override
                    public void beforeStart(ClientCallStreamObserver<SubscribeRequest> requestStream) {
                        call.set(requestStream);
                        requestStream.disableAutoRequestWithInitial(1); // the Subscribed reply, then nothing
                    }
                });
        requests.onNext(subscribe("t/n/flood"));
        responses.awaitValues(1);

        int sentWhileStalled = awaitStall(brokerA.flood.sent, brokerA.flood.blocked);
        // a few windows' worth (HTTP/2 windows on two hops, one message in the proxy), far from all 100 MiB
        assertThat(sentWhileStalled).isGreaterThan(0).isLessThan(total / 4);
        assertThat(responses.values).hasSize(1);

        call.get().request(Integer.MAX_VALUE);
        responses.awaitCompleted();
        assertThat(responses.values).hasSize(total + 1);
        for (int i = 0; i < total; i++) {
            assertThat(responses.values.get(i + 1).getMessages().getMessageId().getEntryId()).isEqualTo(i);
        }
        assertThat(brokerA.flood.blockedCount.get()).isGreaterThan(0);
    }

    @Test
    void clientIsThrottledWhileTheBrokerReadsNothing() {
        int total = 400;
        brokerA.manualPublishReads = true;
        AtomicInteger sent = new AtomicInteger();
        AtomicBoolean blocked = new AtomicBoolean();
        Recorder<PublishResponse> responses = new Recorder<>();
        AtomicReference<Runnable> pumpRef = new AtomicReference<>();
        messaging().publish(new ForwardingResponseObserver<PublishRequest, PublishResponse>(responses) {
            @Override
            public void beforeStart(ClientCallStreamObserver<PublishRequest> requestStream) {
                Runnable pump = new Runnable() {
                    boolean opened;
                    boolean done;

                    @Override
                    public synchronized void run() {
                        if (done) {
                            return;
                        }
                        if (!opened) {
                            opened = true;
                            requestStream.onNext(open("t/n/slow"));
                        }
                        blocked.set(false);
                        while (requestStream.isReady() && sent.get() < total) {
                            requestStream.onNext(batch(sent.get(), LARGE));
                            sent.incrementAndGet();
                        }
                        if (sent.get() >= total) {
                            done = true;
                            requestStream.onCompleted();
                        } else {
                            blocked.set(true);
                        }
                    }
                };
                pumpRef.set(pump);
                requestStream.setOnReadyHandler(pump);
            }
        });
        pumpRef.get().run();

        int sentWhileStalled = awaitStall(sent, blocked);
        assertThat(sentWhileStalled).isLessThan(total / 4);
        assertThat(brokerA.publishRequests).hasSize(1); // the open only

        brokerA.requestPublish(10 * total);
        responses.awaitCompleted();
        assertThat(brokerA.publishRequests).hasSize(total + 1);
        for (int i = 0; i < total; i++) {
            assertThat(brokerA.publishRequests.get(i + 1).getBatch().getSequenceId()).isEqualTo(i);
        }
        assertThat(responses.values).hasSize(total + 1);
    }

    // ---- (3) errors relayed with status and trailers ----

    @Test
    void aStreamRefusedWithNotOwnerFollowsToTheNamedOwnerWithoutAnError() {
        ErrorDetail moved = ErrorDetail.newBuilder().setReason(ErrorReason.NOT_OWNER).setMessage("bundle moved")
                .setOwnerAddress(brokerB.address).build();
        brokerA.publishOpenErrors = t -> t.equals("t/n/moved") ? ErrorReasons.toStatus(moved) : null;

        Recorder<PublishResponse> responses = new Recorder<>();
        StreamObserver<PublishRequest> requests = messaging().publish(responses);
        requests.onNext(open("t/n/moved"));
        // the proxy re-opened the stream at the named owner: the client sees B's answer, no error
        responses.awaitValues(1);
        assertThat(responses.values.get(0).getOpened().getProducerName()).isEqualTo("p1");
        assertThat(brokerB.publishRequests.get(0).getOpen().getTopic()).isEqualTo("t/n/moved");
        requests.onNext(batch(0, 10));
        responses.awaitValues(2);
        assertThat(responses.values.get(1).getAck().getSequenceId()).isZero();
        assertThat(responses.error.get()).isNull();
        requests.onCompleted();
        responses.awaitCompleted();

        // the broker named the new owner: the next stream goes straight there, with no lookup
        int lookups = brokerA.lookups.get();
        Recorder<PublishResponse> again = new Recorder<>();
        messaging().publish(again).onNext(open("t/n/moved"));
        await().atMost(Duration.ofSeconds(10)).until(() -> brokerB.publishRequests.size() == 3);
        assertThat(brokerB.publishRequests.get(2).getOpen().getTopic()).isEqualTo("t/n/moved");
        assertThat(brokerA.lookups.get()).isEqualTo(lookups);
    }

    @Test
    void aStreamWhoseOwnerDiesIsReopenedOnTheNextOwnerWithItsUnansweredBatches() throws Exception {
        // B owns the topic; A answers lookups (and will own it once B is gone)
        brokerA.owners = t -> brokerB.address;
        brokerB.manualPublishReads = true;
        Recorder<PublishResponse> responses = new Recorder<>();
        StreamObserver<PublishRequest> requests = messaging().publish(responses);
        requests.onNext(open("t/n/dies"));
        responses.awaitValues(1);
        brokerB.requestPublish(1);
        requests.onNext(batch(0, 10));
        responses.awaitValues(2);
        requests.onNext(batch(1, 10)); // B never reads it: unanswered when B dies
        await().atMost(Duration.ofSeconds(10)).until(() -> brokerB.publishRequests.size() == 2);

        // B dies (its connection fails); the first lookups after it fail as if no broker owned the topic yet
        AtomicInteger refusals = new AtomicInteger();
        brokerA.lookupErrors = t -> refusals.incrementAndGet() <= 2
                ? ErrorReasons.toStatus(ErrorReasons.detail(ErrorReason.SERVICE_NOT_READY, "no owner yet")) : null;
        brokerA.owners = t -> null;
        brokerB.close();

        responses.awaitValues(3);
        assertThat(responses.values.get(2).getAck().getSequenceId()).isEqualTo(1);
        assertThat(responses.error.get()).isNull();
        // A got the producer under its name again and the batch B never answered; the client saw one opened
        assertThat(brokerA.publishRequests.get(0).getOpen().getProducerName()).isEqualTo("p1");
        assertThat(brokerA.publishRequests.get(1).getBatch().getSequenceId()).isEqualTo(1);
        assertThat(responses.values.stream().filter(PublishResponse::hasOpened)).hasSize(1);
        assertThat(refusals.get()).isGreaterThanOrEqualTo(3);
        requests.onNext(batch(2, 10));
        responses.awaitValues(4);
        requests.onCompleted();
        responses.awaitCompleted();
    }

    @Test
    void withResumptionOffAStreamRefusedWithNotOwnerFailsWithTheBrokersStatus() throws IOException {
        startProxy(ProxyConfig.withBrokers(brokerA.address).toBuilder().streamResumeTimeout(Duration.ZERO).build());
        ErrorDetail moved = ErrorDetail.newBuilder().setReason(ErrorReason.NOT_OWNER).setMessage("bundle moved")
                .setOwnerAddress(brokerB.address).build();
        brokerA.publishOpenErrors = t -> t.equals("t/n/moved") ? ErrorReasons.toStatus(moved) : null;

        Recorder<PublishResponse> responses = new Recorder<>();
        messaging().publish(responses).onNext(open("t/n/moved"));
        StatusRuntimeException e = responses.awaitError();
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(e.getStatus().getDescription()).isEqualTo("NOT_OWNER: bundle moved");
        assertThat(detailOf(e)).isEqualTo(moved);
        assertThat(brokerB.publishRequests).isEmpty();
    }

    @Test
    void otherBackendErrorsKeepTheCachedOwner() {
        ErrorDetail busy = ErrorReasons.detail(ErrorReason.PRODUCER_BUSY, "p1 is connected elsewhere");
        brokerA.publishOpenErrors = t -> ErrorReasons.toStatus(busy);
        for (int i = 0; i < 2; i++) {
            Recorder<PublishResponse> responses = new Recorder<>();
            messaging().publish(responses).onNext(open("t/n/busy"));
            StatusRuntimeException e = responses.awaitError();
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
            assertThat(detailOf(e)).isEqualTo(busy);
        }
        assertThat(brokerA.lookups).hasValue(1);
    }

    @Test
    void lookupFailureFailsTheStreamWithTheLookupStatus() {
        ErrorDetail missing = ErrorReasons.detail(ErrorReason.TOPIC_NOT_FOUND, "no such topic");
        brokerA.lookupErrors = t -> t.equals("t/n/missing") ? ErrorReasons.toStatus(missing) : null;
        for (int i = 1; i <= 2; i++) {
            Recorder<SubscribeResponse> responses = new Recorder<>();
            messaging().subscribe(responses).onNext(subscribe("t/n/missing"));
            StatusRuntimeException e = responses.awaitError();
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
            assertThat(detailOf(e)).isEqualTo(missing);
            assertThat(brokerA.lookups).hasValue(i); // failures are not cached
        }
        assertThat(brokerA.subscribeRequests).isEmpty();
    }

    // ---- (4) the first request must be open ----

    @Test
    void firstRequestThatIsNotOpenIsRefused() {
        Recorder<PublishResponse> pub = new Recorder<>();
        messaging().publish(pub).onNext(batch(1, 10));
        StatusRuntimeException e = pub.awaitError();
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(detailOf(e).getReason()).isEqualTo(ErrorReason.INVALID_REQUEST);

        Recorder<SubscribeResponse> sub = new Recorder<>();
        messaging().subscribe(sub).onNext(
                SubscribeRequest.newBuilder().setFlow(Flow.newBuilder().setPermits(1)).build());
        e = sub.awaitError();
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(detailOf(e).getReason()).isEqualTo(ErrorReason.INVALID_REQUEST);

        assertThat(brokerA.lookups).hasValue(0);
        assertThat(brokerA.publishRequests).isEmpty();
    }

    // ---- (5) topic names are checked by the proxy ----

    @Test
    void invalidTopicNameIsRefusedWithInvalidTopicName() {
        Recorder<PublishResponse> pub = new Recorder<>();
        messaging().publish(pub).onNext(open("not-a-topic"));
        StatusRuntimeException e = pub.awaitError();
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(detailOf(e).getReason()).isEqualTo(ErrorReason.INVALID_TOPIC_NAME);

        assertThatThrownBy(() -> messagingBlocking().receive(
                ReceiveRequest.newBuilder().setTopic("t/n/bad topic").setSubscription("s").build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, ex -> {
                    assertThat(ex.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                    assertThat(detailOf(ex).getReason()).isEqualTo(ErrorReason.INVALID_TOPIC_NAME);
                });
        assertThatThrownBy(() -> LookupServiceGrpc.newBlockingStub(client).lookup(
                LookupRequest.newBuilder().setTopic("").build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, ex ->
                        assertThat(detailOf(ex).getReason()).isEqualTo(ErrorReason.INVALID_TOPIC_NAME));
        assertThat(brokerA.lookups).hasValue(0);
    }

    // ---- (6) unary calls follow NOT_OWNER once ----

    private static StatusRuntimeException notOwner(String ownerAddress) {
        return ErrorReasons.toStatus(ErrorDetail.newBuilder().setReason(ErrorReason.NOT_OWNER)
                .setMessage("not mine").setOwnerAddress(ownerAddress).build());
    }

    @Test
    void receiveIsRetriedOnceAtTheOwnerNamedByNotOwner() {
        brokerA.receiveErrors = r -> notOwner(brokerB.address);
        ReceiveRequest request = ReceiveRequest.newBuilder().setTopic("t/n/r").setSubscription("s")
                .setMaxMessages(10).setMaxWaitMs(100).build();

        ReceiveResponse response = messagingBlocking().receive(request);
        assertThat(response.getMessages(0).getValue().toStringUtf8()).isEqualTo("B");
        assertThat(brokerA.receives).hasValue(1);
        assertThat(brokerB.receives).hasValue(1);
        // both attempts carried the client's deadline (20s)
        assertThat(brokerA.lastReceiveDeadline.get()).isNotNull();
        assertThat(brokerB.lastReceiveDeadline.get().timeRemaining(TimeUnit.SECONDS)).isBetween(1L, 20L);

        // the proxy remembers the new owner
        response = messagingBlocking().receive(request);
        assertThat(response.getMessages(0).getValue().toStringUtf8()).isEqualTo("B");
        assertThat(brokerA.receives).hasValue(1);
        assertThat(brokerB.receives).hasValue(2);
        assertThat(brokerA.lookups).hasValue(1);
    }

    @Test
    void receiveIsRetriedAfterAFreshLookupWhenNotOwnerNamesNoOwner() {
        AtomicReference<String> owner = new AtomicReference<>(brokerA.address);
        brokerA.owners = t -> owner.get();
        brokerA.receiveErrors = r -> {
            owner.set(brokerB.address); // the bundle moved to B
            return notOwner("");
        };
        ReceiveResponse response = messagingBlocking().receive(
                ReceiveRequest.newBuilder().setTopic("t/n/r").setSubscription("s").build());
        assertThat(response.getMessages(0).getValue().toStringUtf8()).isEqualTo("B");
        assertThat(brokerA.lookups).hasValue(2);
        assertThat(brokerA.receives).hasValue(1);
        assertThat(brokerB.receives).hasValue(1);
    }

    @Test
    void receiveIsRetriedOnlyOnce() {
        brokerA.receiveErrors = r -> notOwner(brokerB.address);
        brokerB.receiveErrors = r -> notOwner(brokerA.address);
        assertThatThrownBy(() -> messagingBlocking().receive(
                ReceiveRequest.newBuilder().setTopic("t/n/r").setSubscription("s").build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
                    assertThat(detailOf(e).getReason()).isEqualTo(ErrorReason.NOT_OWNER);
                    assertThat(detailOf(e).getOwnerAddress()).isEqualTo(brokerA.address);
                });
        assertThat(brokerA.receives).hasValue(1);
        assertThat(brokerB.receives).hasValue(1);
    }

    @Test
    void acknowledgeIsForwardedToTheOwner() {
        brokerA.owners = t -> brokerB.address;
        messagingBlocking().acknowledge(AcknowledgeRequest.newBuilder().setTopic("t/n/a").setSubscription("s")
                .addMessageIds(MessageId.newBuilder().setLedgerId(1).setEntryId(2)).build());
        assertThat(brokerB.acks).hasValue(1);
        assertThat(brokerA.acks).hasValue(0);
    }

    // ---- cancellation ----

    @Test
    void clientCancelCancelsTheBrokerStream() {
        AtomicReference<ClientCallStreamObserver<SubscribeRequest>> call = new AtomicReference<>();
        Recorder<SubscribeResponse> responses = new Recorder<>();
        StreamObserver<SubscribeRequest> requests = messaging().subscribe(
                new ForwardingResponseObserver<SubscribeRequest, SubscribeResponse>(responses) {
                    @Override
                    public void beforeStart(ClientCallStreamObserver<SubscribeRequest> requestStream) {
                        call.set(requestStream);
                    }
                });
        requests.onNext(subscribe("t/n/c"));
        responses.awaitValues(1);
        call.get().cancel("test is done", null);
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(brokerA.streamsCancelled).hasValue(1));
    }

    // ---- lookup and admin ----

    @Test
    void lookupIsForwardedAsIsAndFailsOverToTheNextBroker() throws IOException {
        int deadPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            deadPort = s.getLocalPort();
        }
        startProxy("127.0.0.1:" + deadPort + "," + brokerA.address);
        brokerA.owners = t -> brokerB.address;
        for (int i = 0; i < 3; i++) { // whichever broker a call starts at, it ends at A
            LookupResponse r = LookupServiceGrpc.newBlockingStub(client).withDeadlineAfter(20, TimeUnit.SECONDS)
                    .lookup(LookupRequest.newBuilder().setTopic("persistent://t/n/l").build());
            assertThat(r.getTopic()).isEqualTo("persistent://t/n/l");
            assertThat(r.getBrokerId()).isEqualTo("A");
            assertThat(r.getBrokerAddress()).isEqualTo(brokerB.address);
        }
        assertThat(brokerA.lookups).hasValue(3);
        // the answer is cached: a stream on that topic goes straight to B
        Recorder<PublishResponse> responses = new Recorder<>();
        StreamObserver<PublishRequest> requests = messaging().publish(responses);
        requests.onNext(open("t/n/l"));
        requests.onCompleted();
        responses.awaitCompleted();
        assertThat(brokerB.publishRequests).hasSize(1);
        assertThat(brokerA.lookups).hasValue(3);
    }

    @Test
    void adminCallsGoToABrokerAndDeleteTopicToTheOwner() {
        AdminServiceGrpc.AdminServiceBlockingStub admin =
                AdminServiceGrpc.newBlockingStub(client).withDeadlineAfter(20, TimeUnit.SECONDS);
        assertThat(admin.listTenants(ListTenantsRequest.getDefaultInstance()).getTenantsList())
                .containsExactly("public", "A");
        assertThatThrownBy(() -> admin.createTopic(CreateTopicRequest.newBuilder().setTopic("t/n/exists").build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.ALREADY_EXISTS);
                    assertThat(detailOf(e).getReason()).isEqualTo(ErrorReason.TOPIC_ALREADY_EXISTS);
                });
        brokerA.owners = t -> brokerB.address;
        admin.deleteTopic(DeleteTopicRequest.newBuilder().setTopic("t/n/gone").build());
        assertThat(brokerB.adminCalls).containsExactly("DeleteTopic t/n/gone");
        assertThat(brokerA.adminCalls).containsExactly("ListTenants", "CreateTopic t/n/exists");
    }

    @Test
    void healthServiceReportsServing() {
        HealthGrpc.HealthBlockingStub health = HealthGrpc.newBlockingStub(client);
        assertThat(health.check(HealthCheckRequest.getDefaultInstance()).getStatus())
                .isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
        assertThat(health.check(HealthCheckRequest.newBuilder().setService(MessagingServiceGrpc.SERVICE_NAME)
                .build()).getStatus()).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
    }

    /** A ClientResponseObserver that hands responses to a Recorder. */
    private abstract static class ForwardingResponseObserver<ReqT, RespT> implements ClientResponseObserver<ReqT, RespT> {
        private final Recorder<RespT> recorder;

        ForwardingResponseObserver(Recorder<RespT> recorder) {
            this.recorder = recorder;
        }

        @Override
        public void onNext(RespT value) {
            recorder.onNext(value);
        }

        @Override
        public void onError(Throwable t) {
            recorder.onError(t);
        }

        @Override
        public void onCompleted() {
            recorder.onCompleted();
        }
    }
}
