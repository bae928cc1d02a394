package io.tributary.client.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.tributary.client.Authentication;
import io.tributary.client.Consumer;
import io.tributary.client.Message;
import io.tributary.client.MessageId;
import io.tributary.client.Producer;
import io.tributary.client.Schema;
import io.tributary.client.SubscriptionInitialPosition;
import io.tributary.client.TributaryClient;
import io.tributary.client.TributaryClientException.NotAuthenticatedException;
import io.tributary.security.auth.AuthenticationInterceptor;
import io.tributary.security.auth.AuthenticationSettings;
import io.tributary.security.auth.Tokens;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client against the brokers' real token verifier (AuthenticationInterceptor, HS256), which
 * ends a stream with UNAUTHENTICATED when the token it was opened with expires: tokens here live
 * two seconds, so streams are ended while the test runs.
 */
class TokenExpiryWithRealVerifierTest {
    private static final String TOPIC = "acme/orders/created";
    private static final Duration TOKEN_LIFE = Duration.ofSeconds(2);

    @TempDir
    Path dir;
    private Path key;
    private FakeBroker broker;
    private TributaryClient client;
    private final AtomicInteger publishCalls = new AtomicInteger();

    @BeforeEach
    void start() throws Exception {
        key = dir.resolve("secret.key");
        Tokens.createSecretKey(key);
        AuthenticationInterceptor verifier = AuthenticationInterceptor.create(AuthenticationSettings.withSecretKey(key));
        // the counter sees every call, also those the verifier refuses (the last interceptor added runs first)
        broker = new FakeBroker(b -> b.intercept(verifier).intercept(new ServerInterceptor() {
            @Override
            public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                               ServerCallHandler<Q, R> next) {
                if (call.getMethodDescriptor().getBareMethodName().equals("Publish")) {
                    publishCalls.incrementAndGet();
                }
                return next.startCall(call, headers);
            }
        }), TOPIC);
    }

    @AfterEach
    void stop() throws Exception {
        if (client != null) {
            client.close();
        }
        broker.close();
    }

    private int publishOpens() {
        synchronized (broker) {
            return broker.publishOpens;
        }
    }

    @Test
    void aProducerOutlivesItsShortLivedTokens() throws Exception {
        client = TributaryClient.builder().serviceUrl(broker.url()).operationTimeout(Duration.ofSeconds(5))
                .authentication(Authentication.token(() -> Tokens.create("app", TOKEN_LIFE, key, null, null))).build();
        try (Producer<String> producer = client.newProducer(Schema.STRING).topic(TOPIC).producerName("p").create()) {
            producer.send("first");
            // the broker ends the stream at each token's expiry; the producer reopens with the next token
            await().atMost(Duration.ofSeconds(20)).until(() -> publishOpens() >= 3);
            assertThat(producer.send("second")).isNotNull();
        }
        assertThat(broker.entryCount(TOPIC)).isEqualTo(2);
    }

    @Test
    void aConsumerOutlivesItsShortLivedTokens() throws Exception {
        client = TributaryClient.builder().serviceUrl(broker.url()).operationTimeout(Duration.ofSeconds(5))
                .authentication(Authentication.token(() -> Tokens.create("app", TOKEN_LIFE, key, null, null))).build();
        try (Consumer<String> consumer = client.newConsumer(Schema.STRING).topic(TOPIC).subscriptionName("s")
                     .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe();
             Producer<String> producer = client.newProducer(Schema.STRING).topic(TOPIC).create()) {
            producer.send("before");
            Message<String> before = consumer.receive(5, TimeUnit.SECONDS);
            assertThat(before.getValue()).isEqualTo("before");
            consumer.acknowledge(before);
            await().atMost(Duration.ofSeconds(20)).until(() -> {
                synchronized (broker) {
                    return broker.subscribeOpens >= 3;
                }
            });
            producer.send("after");
            Message<String> after = consumer.receive(5, TimeUnit.SECONDS);
            assertThat(after).isNotNull();
            // "before" may come again if its acknowledgement was on a stream that ended: at least once
            if (after.getValue().equals("before")) {
                after = consumer.receive(5, TimeUnit.SECONDS);
            }
            assertThat(after.getValue()).isEqualTo("after");
        }
    }

    @Test
    void aTokenRenewedWithAnInvalidOneIsRefusedMidStream() throws Exception {
        Path otherKey = dir.resolve("other.key");
        Tokens.createSecretKey(otherKey);
        AtomicReference<Path> signingKey = new AtomicReference<>(key);
        client = TributaryClient.builder().serviceUrl(broker.url()).operationTimeout(Duration.ofSeconds(5))
                .authentication(Authentication.token(() -> Tokens.create("app", TOKEN_LIFE, signingKey.get(), null, null)))
                .build();
        Producer<String> producer = client.newProducer(Schema.STRING).topic(TOPIC).producerName("p").create();
        producer.send("accepted");
        broker.holdAcks = true;
        CompletableFuture<MessageId> pending = producer.sendAsync("pending when the token expires");

        // from now on the application's token source signs with a key the broker does not trust
        int callsBefore = publishCalls.get();
        signingKey.set(otherKey);

        assertThatThrownBy(() -> pending.get(20, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(NotAuthenticatedException.class).hasMessageContaining("bad signature");
        assertThat(producer.isConnected()).isFalse();
        // one reopen with the renewed (invalid) token when the stream's token expired: no retry loop
        assertThat(publishCalls.get()).isEqualTo(callsBefore + 1);
        producer.closeAsync();
    }
}
