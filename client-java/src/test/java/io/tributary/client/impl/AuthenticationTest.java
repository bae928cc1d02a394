package io.tributary.client.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.tributary.api.v1.AdminServiceGrpc;
import io.tributary.api.v1.ErrorReason;
import io.tributary.api.v1.LookupServiceGrpc;
import io.tributary.client.Authentication;
import io.tributary.client.Consumer;
import io.tributary.client.Message;
import io.tributary.client.MessageId;
import io.tributary.client.Producer;
import io.tributary.client.Schema;
import io.tributary.client.SubscriptionInitialPosition;
import io.tributary.client.TributaryClient;
import io.tributary.client.TributaryClientException;
import io.tributary.client.TributaryClientException.NotAuthenticatedException;
import io.tributary.client.admin.TributaryAdmin;
import io.tributary.protocol.security.AuthHeaders;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client's token against a real gRPC server on loopback that records the {@code authorization}
 * header of every call and refuses the tokens a test revokes, as a broker would.
 */
class AuthenticationTest {
    private static final String TOPIC = "acme/orders/created";

    /** The server side: what each call carried, and which tokens it refuses. */
    static final class Gate implements ServerInterceptor {
        /** "method token" for each call, in order; token "-" when the call carried none. */
        final List<String> calls = new CopyOnWriteArrayList<>();
        final Set<String> refused = ConcurrentHashMap.newKeySet();

        @Override
        public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                           ServerCallHandler<Q, R> next) {
            String header = headers.get(AuthHeaders.AUTHORIZATION);
            String token = header == null ? "-" : header.substring(AuthHeaders.BEARER.length());
            calls.add(call.getMethodDescriptor().getBareMethodName() + " " + token);
            if (header == null || refused.contains(token)) {
                call.close(Status.UNAUTHENTICATED.withDescription("token refused: it expired"), new Metadata());
                return new ServerCall.Listener<>() {};
            }
            return next.startCall(call, headers);
        }

        /** The tokens of the calls of {@code method}, in order. */
        List<String> tokensOf(String method) {
            return calls.stream().filter(c -> c.startsWith(method + " ")).map(c -> c.substring(method.length() + 1)).toList();
        }
    }

    @TempDir
    Path dir;
    private final Gate gate = new Gate();
    private FakeBroker broker;
    private TributaryClient client;

    @BeforeEach
    void start() throws Exception {
        // with the lookup and admin services known (unimplemented), their calls pass the gate too
        broker = new FakeBroker(b -> b.intercept(gate).addService(new LookupServiceGrpc.LookupServiceImplBase() {})
                .addService(new AdminServiceGrpc.AdminServiceImplBase() {}), TOPIC);
    }

    @AfterEach
    void stop() throws Exception {
        if (client != null) {
            client.close();
        }
        broker.close();
    }

    private TributaryClient client(Authentication auth) throws TributaryClientException {
        client = TributaryClient.builder().serviceUrl(broker.url()).operationTimeout(Duration.ofSeconds(5))
                .authentication(auth).build();
        return client;
    }

    private Producer<String> producer(String name) throws TributaryClientException {
        return client.newProducer(Schema.STRING).topic(TOPIC).producerName(name).create();
    }

    private Consumer<String> consumer() throws TributaryClientException {
        return client.newConsumer(Schema.STRING).topic(TOPIC).subscriptionName("s")
                .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe();
    }

    /** An unsigned JWT expiring at {@code exp}: the client reads its expiry, the gate only compares it. */
    private static String jwt(String subject, Instant exp) {
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        return b64.encodeToString("{\"alg\":\"HS256\"}".getBytes(StandardCharsets.UTF_8)) + "."
                + b64.encodeToString(("{\"sub\":\"" + subject + "\",\"exp\":" + exp.getEpochSecond() + "}")
                        .getBytes(StandardCharsets.UTF_8))
                + ".c2lnbmF0dXJl";
    }

    @Test
    void theClientSendsItsTokenOnEveryCall() throws Exception {
        client(Authentication.token("token-1"));
        try (Producer<String> producer = producer("p"); Consumer<String> consumer = consumer()) {
            producer.send("hello");
            assertThat(consumer.receive(5, TimeUnit.SECONDS).getValue()).isEqualTo("hello");
        }
        assertThat(gate.tokensOf("Publish")).containsOnly("token-1").isNotEmpty();
        assertThat(gate.tokensOf("Subscribe")).containsOnly("token-1").isNotEmpty();
        assertThat(gate.calls).allSatisfy(c -> assertThat(c).endsWith(" token-1"));
    }

    @Test
    void theAdminClientSendsItsTokenToo() throws Exception {
        try (TributaryAdmin admin = TributaryAdmin.builder().serviceUrl(broker.url())
                .operationTimeout(Duration.ofSeconds(5)).authentication(Authentication.token("admin-token")).build()) {
            // the fake broker has no admin service: the call fails, but only after the gate saw it
            assertThatThrownBy(() -> admin.tenants().list()).isInstanceOf(TributaryClientException.class);
        }
        assertThat(gate.calls).isNotEmpty().allSatisfy(c -> assertThat(c).endsWith(" admin-token"));
    }

    @Test
    void aClientWithoutATokenIsRefusedWithTheServersReason() throws Exception {
        client = TributaryClient.builder().serviceUrl(broker.url()).operationTimeout(Duration.ofSeconds(5)).build();
        assertThatThrownBy(() -> producer("p"))
                .isInstanceOf(NotAuthenticatedException.class)
                .hasMessageContaining("token refused");
    }

    @Test
    void aTokenFileRewrittenIsSentOnTheNextCall() throws Exception {
        Path file = dir.resolve("token");
        Files.writeString(file, "token-1\n");
        client(Authentication.tokenFile(file));
        producer("p1").close();
        assertThat(gate.tokensOf("Publish")).containsExactly("token-1");

        // a sidecar writes the renewed token beside the old one and moves it into place
        Path next = dir.resolve("token.new");
        Files.writeString(next, "token-2\n");
        Files.move(next, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        producer("p2").close();
        assertThat(gate.tokensOf("Publish")).containsExactly("token-1", "token-2");

        // rewritten in place, as a plain `echo > file` does
        Files.writeString(file, "token-three\n");
        producer("p3").close();
        assertThat(gate.tokensOf("Publish")).containsExactly("token-1", "token-2", "token-three");
    }

    @Test
    void aTokenFileThatCannotBeReadKeepsTheLastTokenUntilItExpires() throws Exception {
        Path file = dir.resolve("token");
        String valid = jwt("app", Instant.now().plus(Duration.ofHours(1)));
        Files.writeString(file, valid);
        client(Authentication.tokenFile(file));
        producer("p1").close();

        // a rotation that removes the file before writing the next one
        Files.delete(file);
        producer("p2").close();
        assertThat(gate.tokensOf("Publish")).containsExactly(valid, valid);
    }

    @Test
    void anEmptyTokenFileWithNoTokenBeforeIsRefusedSayingWhy() throws Exception {
        Path file = Files.writeString(dir.resolve("token"), "\n");
        client(Authentication.tokenFile(file));
        assertThatThrownBy(() -> producer("p"))
                .isInstanceOf(NotAuthenticatedException.class)
                .hasMessageContaining("the file is empty").hasMessageContaining(file.toString());
        assertThat(gate.calls).isEmpty();
    }

    @Test
    void aSupplierIsAskedAgainWhenItsTokenNearsExpiry() throws Exception {
        String expiringSoon = jwt("app", Instant.now().plusSeconds(20));
        String fresh = jwt("app", Instant.now().plus(Duration.ofHours(1)));
        AtomicInteger asked = new AtomicInteger();
        Supplier<String> supplier = () -> asked.incrementAndGet() == 1 ? expiringSoon : fresh;
        client(Authentication.token(supplier));

        producer("p1").close();
        producer("p2").close();
        producer("p3").close();

        // the first token, 20 s from its expiry, was used once and then renewed; the renewed one,
        // an hour from its expiry, is kept without asking again
        assertThat(gate.calls.get(0)).endsWith(" " + expiringSoon);
        assertThat(gate.calls.subList(1, gate.calls.size())).isNotEmpty().allSatisfy(c -> assertThat(c).endsWith(" " + fresh));
        assertThat(asked).hasValue(2);
    }

    @Test
    void aStreamEndedForAnExpiredTokenIsReopenedWithTheFreshToken() throws Exception {
        AtomicReference<String> current = new AtomicReference<>("token-1");
        client(Authentication.token(current::get));
        try (Producer<String> producer = producer("p"); Consumer<String> consumer = consumer()) {
            producer.send("before");
            Message<String> before = consumer.receive(5, TimeUnit.SECONDS);
            assertThat(before.getValue()).isEqualTo("before");
            consumer.acknowledge(before);
            await().atMost(Duration.ofSeconds(5)).until(() -> {
                synchronized (broker) {
                    return !broker.acks.isEmpty();
                }
            });

            // the token expires: the broker refuses it from now on and ends the streams that carry it
            current.set("token-2");
            gate.refused.add("token-1");
            broker.endProducerStreams(Status.UNAUTHENTICATED.withDescription("token expired at 12:00").asRuntimeException());
            broker.killConsumerStreams(ErrorReason.NOT_AUTHENTICATED);

            MessageId sent = producer.send("after");
            Message<String> received = consumer.receive(5, TimeUnit.SECONDS);
            assertThat(received.getValue()).isEqualTo("after");
            assertThat(received.getMessageId()).isEqualTo(sent);
        }
        assertThat(gate.tokensOf("Publish")).containsExactly("token-1", "token-2");
        assertThat(gate.tokensOf("Subscribe")).containsExactly("token-1", "token-2");
    }

    @Test
    void aRefusedFreshTokenIsReportedToTheApplication() throws Exception {
        AtomicInteger asked = new AtomicInteger();
        client(Authentication.token(() -> {
            asked.incrementAndGet();
            return "revoked-token";
        }));
        Producer<String> producer = producer("p");
        Consumer<String> consumer = consumer();
        broker.holdAcks = true;
        CompletableFuture<MessageId> pendingSend = producer.sendAsync("unanswered");
        // stored but not answered; the consumer has it, and waits for the next
        assertThat(consumer.receive(5, TimeUnit.SECONDS).getValue()).isEqualTo("unanswered");
        CompletableFuture<Message<String>> pendingReceive = consumer.receiveAsync();

        gate.refused.add("revoked-token");
        broker.endProducerStreams(Status.UNAUTHENTICATED.withDescription("token expired at 12:00").asRuntimeException());
        broker.killConsumerStreams(ErrorReason.NOT_AUTHENTICATED);

        assertThat(failure(pendingSend)).isInstanceOf(NotAuthenticatedException.class).hasMessageContaining("token refused");
        assertThat(failure(pendingReceive)).isInstanceOf(NotAuthenticatedException.class);
        assertThatThrownBy(() -> producer.send("later")).isInstanceOf(TributaryClientException.class);
        // one reopen each with a token asked afresh, not a loop
        assertThat(gate.tokensOf("Publish")).hasSize(2);
        assertThat(gate.tokensOf("Subscribe")).hasSize(2);
        // asked once at the start, and again for each refused stream (or once for both, when the
        // second refusal comes before the first reopen)
        assertThat(asked.get()).isBetween(2, 3);
        producer.closeAsync();
        consumer.closeAsync();
    }

    private static Throwable failure(CompletableFuture<?> f) {
        assertThatThrownBy(() -> f.get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class);
        return f.handle((v, t) -> t).join();
    }
}
