package io.tributary.client.impl.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import io.tributary.api.v1.ErrorReason;
import io.tributary.api.v1.MessagingServiceGrpc;
import io.tributary.api.v1.ProducerOpen;
import io.tributary.api.v1.ProducerOpened;
import io.tributary.api.v1.PublishRequest;
import io.tributary.api.v1.PublishResponse;
import io.tributary.client.TributaryClientException;
import io.tributary.client.impl.ClientContext;
import io.tributary.client.impl.ClientResource;
import io.tributary.client.impl.MemoryLimiter;
import io.tributary.client.impl.TopicLookup;
import io.tributary.protocol.ErrorReasons;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The lifecycle of one stream against a scripted Publish service. */
class StreamSessionTest {
    /** How the service treats a new call: by the number of the call, 1 first. */
    private enum Script { ANSWER, SILENT, FAIL_RETRIABLE_AFTER_OPEN, REFUSE }

    private final List<Script> scripts = new CopyOnWriteArrayList<>();
    private final AtomicInteger calls = new AtomicInteger();
    private final AtomicInteger halfCloses = new AtomicInteger();
    private Server server;
    private ManagedChannel channel;
    private ScheduledExecutorService timers;
    private Duration operationTimeout = Duration.ofSeconds(5);

    @BeforeEach
    void start() throws Exception {
        server = NettyServerBuilder.forPort(0).addService(new MessagingServiceGrpc.MessagingServiceImplBase() {
            @Override
            public StreamObserver<PublishRequest> publish(StreamObserver<PublishResponse> responses) {
                int n = calls.incrementAndGet();
                Script script = n <= scripts.size() ? scripts.get(n - 1) : Script.ANSWER;
                return new StreamObserver<PublishRequest>() {
                    @Override
                    public void onNext(PublishRequest r) {
                        if (!r.hasOpen()) {
                            return;
                        }
                        switch (script) {
                            case ANSWER -> responses.onNext(opened("p-" + n));
                            case FAIL_RETRIABLE_AFTER_OPEN -> {
                                responses.onNext(opened("p-" + n));
                                responses.onError(ErrorReasons.toStatus(
                                        ErrorReasons.detail(ErrorReason.BROKER_UNAVAILABLE, "restarting")));
                            }
                            case REFUSE -> responses.onError(ErrorReasons.toStatus(
                                    ErrorReasons.detail(ErrorReason.NOT_AUTHORIZED, "no")));
                            case SILENT -> { }
                        }
                    }

                    @Override
                    public void onError(Throwable t) {
                    }

                    @Override
                    public void onCompleted() {
                        halfCloses.incrementAndGet();
                        responses.onCompleted();
                    }
                };
            }
        }).build().start();
        channel = NettyChannelBuilder.forTarget("localhost:" + server.getPort()).usePlaintext().build();
        timers = Executors.newSingleThreadScheduledExecutor();
    }

    @AfterEach
    void stop() throws Exception {
        channel.shutdownNow();
        server.shutdownNow();
        timers.shutdownNow();
        channel.awaitTermination(5, TimeUnit.SECONDS);
        server.awaitTermination(5, TimeUnit.SECONDS);
    }

    private static PublishResponse opened(String name) {
        return PublishResponse.newBuilder().setOpened(ProducerOpened.newBuilder().setProducerName(name)).build();
    }

    /** A session that records what its hooks saw. */
    private final class Recording extends StreamSession<PublishRequest, PublishResponse> {
        final List<String> events = new CopyOnWriteArrayList<>();
        /** What ran from the Completions that the hooks were handed, after the lock was released. */
        final List<String> completed = new CopyOnWriteArrayList<>();
        volatile TributaryClientException failure;

        Recording(ReentrantLock lock) {
            super(lock, context());
        }

        @Override
        protected void startCall(ClientResponseObserver<PublishRequest, PublishResponse> observer) {
            MessagingServiceGrpc.newStub(channel).publish(observer);
        }

        @Override
        protected PublishRequest openRequest() {
            return PublishRequest.newBuilder().setOpen(ProducerOpen.newBuilder().setTopic("t")).build();
        }

        @Override
        protected void onResponse(PublishResponse response, Completions done) {
            if (response.hasOpened() && opened()) {
                events.add("opened " + response.getOpened().getProducerName() + " gen " + generation());
            }
        }

        @Override
        protected void onDisconnected(io.tributary.api.v1.ErrorDetail cause, Completions done) {
            events.add("disconnected " + cause.getReason());
        }

        @Override
        protected void onFailed(TributaryClientException e, Completions done) {
            failure = e;
            events.add("failed");
        }

        @Override
        protected void onClosed(Completions done) {
            events.add("closed");
            done.add(() -> completed.add("closed"));
        }

        @Override
        protected String describe() {
            return "open the test stream";
        }
    }

    private Recording started() {
        ReentrantLock lock = new ReentrantLock();
        Recording s = new Recording(lock);
        lock.lock();
        try {
            s.start();
        } finally {
            lock.unlock();
        }
        return s;
    }

    @Test
    void opensAndIsOpenOnceTheSubclassRecognisesTheAnswer() {
        Recording s = started();
        await().atMost(Duration.ofSeconds(10)).until(s::isOpen);
        assertThat(s.events).containsExactly("opened p-1 gen 1");
        assertThat(s.everOpened()).isTrue();
    }

    @Test
    void aRetriableLossOpensANewCallWithTheNextGeneration() {
        scripts.add(Script.FAIL_RETRIABLE_AFTER_OPEN);
        Recording s = started();
        await().atMost(Duration.ofSeconds(10)).until(() -> s.events.size() >= 3);
        assertThat(s.events).containsExactly("opened p-1 gen 1", "disconnected BROKER_UNAVAILABLE", "opened p-2 gen 2");
        assertThat(s.isOpen()).isTrue();
        assertThat(calls.get()).isEqualTo(2);
    }

    @Test
    void aFailureThatIsNotRetriableFailsTheSessionWithoutReconnecting() {
        scripts.add(Script.REFUSE);
        Recording s = started();
        await().atMost(Duration.ofSeconds(10)).until(() -> s.state() == StreamSession.State.FAILED);
        assertThat(s.events).containsExactly("failed");
        assertThat(s.failure.reason()).isEqualTo(ErrorReason.NOT_AUTHORIZED);
        assertThat(calls.get()).isEqualTo(1);
    }

    @Test
    void aFirstOpenNotAnsweredWithinTheOperationTimeoutFailsWithATimeout() {
        operationTimeout = Duration.ofMillis(300);
        scripts.add(Script.SILENT);
        Recording s = started();
        await().atMost(Duration.ofSeconds(10)).until(() -> s.state() == StreamSession.State.FAILED);
        assertThat(s.failure).isInstanceOf(TributaryClientException.TimeoutException.class)
                .hasMessageContaining("could not open the test stream within");
    }

    @Test
    void closeHalfClosesAndEndsWhenTheServerEndsTheCall() {
        Recording s = started();
        await().atMost(Duration.ofSeconds(10)).until(s::isOpen);
        s.lock.lock();
        Completions done = new Completions();
        try {
            s.close(done);
            assertThat(s.state()).isEqualTo(StreamSession.State.CLOSING);
            assertThat(s.send(PublishRequest.getDefaultInstance())).as("nothing is sent after the half-close").isFalse();
        } finally {
            s.lock.unlock();
        }
        done.run();
        await().atMost(Duration.ofSeconds(10)).until(() -> s.state() == StreamSession.State.CLOSED);
        assertThat(s.events).containsExactly("opened p-1 gen 1", "closed");
        assertThat(halfCloses.get()).isEqualTo(1);
    }

    @Test
    void whatOnClosedCompletesRunsWhenTheServerEndsAHalfClosedCall() {
        Recording s = started();
        await().atMost(Duration.ofSeconds(10)).until(s::isOpen);
        Completions done = new Completions();
        s.lock.lock();
        try {
            s.close(done);
        } finally {
            s.lock.unlock();
        }
        done.run();
        // a consumer completes its close future from there: if it never runs, close() never returns
        await().atMost(Duration.ofSeconds(10)).until(() -> s.completed.contains("closed"));
    }

    @Test
    void closingBeforeTheCallIsOpenEndsAtOnce() {
        scripts.add(Script.SILENT);
        Recording s = started();
        s.lock.lock();
        try {
            s.close(new Completions());
            assertThat(s.state()).isEqualTo(StreamSession.State.CLOSED);
        } finally {
            s.lock.unlock();
        }
        assertThat(s.events).containsExactly("closed");
    }

    private ClientContext context() {
        return new ClientContext() {
            @Override
            public MessagingServiceGrpc.MessagingServiceStub stub() {
                return MessagingServiceGrpc.newStub(channel);
            }

            @Override
            public ScheduledExecutorService scheduler() {
                return timers;
            }

            @Override
            public ScheduledFuture<?> schedule(Runnable task, long delay, TimeUnit unit) {
                return timers.schedule(task, delay, unit);
            }

            @Override
            public ScheduledFuture<?> scheduleWithFixedDelay(Runnable task, long period, TimeUnit unit) {
                return timers.scheduleWithFixedDelay(task, period, period, unit);
            }

            @Override
            public MemoryLimiter memory() {
                throw new UnsupportedOperationException();
            }

            @Override
            public TopicLookup topicLookup() {
                throw new UnsupportedOperationException();
            }

            @Override
            public Duration operationTimeout() {
                return operationTimeout;
            }

            @Override
            public boolean isClosed() {
                return false;
            }

            @Override
            public boolean register(ClientResource resource) {
                return true;
            }

            @Override
            public void unregister(ClientResource resource) {
            }
        };
    }
}
