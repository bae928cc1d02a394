package io.tributary.broker.service;

import io.tributary.api.v1.ErrorReason;
import io.tributary.api.v1.SendRequest;
import io.tributary.api.v1.SendResponse;
import io.tributary.broker.cluster.BrokerClients;
import io.tributary.broker.namespace.NamespaceService;
import io.tributary.broker.ownership.OwnershipService;
import io.tributary.protocol.ErrorReasons;
import io.tributary.protocol.TopicName;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * A {@code Send} made by this broker to a topic's owner, wherever it is: here (the local handler), or another
 * broker (its control service's {@code Send}). What a dead-letter redrive and a transaction's commit use to
 * store messages in someone else's topic.
 */
public final class OwnerSend {
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(30);
    private static final long MOVE_RETRY_MS = 200;

    private final NamespaceService namespaces;
    private final OwnershipService ownership;
    private final BrokerClients brokers;
    private final Function<SendRequest, CompletableFuture<SendResponse>> localSend;

    public OwnerSend(NamespaceService namespaces, OwnershipService ownership, BrokerClients brokers,
                     MessagingServiceImpl messaging) {
        this.namespaces = namespaces;
        this.ownership = ownership;
        this.brokers = brokers;
        this.localSend = messaging::sendHere;
    }

    /** Whether a Send failed only because the topic is moving or its owner is not ready: worth sending again. */
    public static boolean isMoving(Throwable e) {
        ErrorReason why = ErrorReasons.detailOf(e).getReason();
        return why == ErrorReason.NOT_OWNER || why == ErrorReason.BUNDLE_MOVING
                || why == ErrorReason.TOPIC_FENCED || why == ErrorReason.SERVICE_NOT_READY;
    }

    /** Sends through the topic's owner, again on a move (NOT_OWNER, BUNDLE_MOVING, ...), up to {@code attempts} times. */
    public CompletableFuture<SendResponse> send(TopicName to, SendRequest send, int attempts) {
        CompletableFuture<SendResponse> sent = namespaces.bundleOf(to).thenCompose(ownership::lookup)
                .thenCompose(owner -> owner.brokerId().equals(ownership.brokerId()) ? localSend.apply(send)
                        : brokers.control(owner.brokerId(), CALL_TIMEOUT, stub -> stub.send(send)));
        return sent.exceptionallyCompose(e -> {
            if (!isMoving(e) || attempts <= 1) {
                return CompletableFuture.failedFuture(e);
            }
            return CompletableFuture.runAsync(() -> { }, CompletableFuture.delayedExecutor(MOVE_RETRY_MS, TimeUnit.MILLISECONDS))
                    .thenCompose(v -> send(to, send, attempts - 1));
        });
    }
}
