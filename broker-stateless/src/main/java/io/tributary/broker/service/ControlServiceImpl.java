package io.tributary.broker.service;

import io.grpc.stub.StreamObserver;
import io.tributary.api.v1.DeadLetterTopic;
import io.tributary.api.v1.ErrorReason;
import io.tributary.api.v1.SendRequest;
import io.tributary.api.v1.SendResponse;
import io.tributary.broker.loadmanager.LoadManager;
import io.tributary.broker.namespace.NamespaceService;
import io.tributary.broker.ownership.BundleMover;
import io.tributary.broker.ownership.OwnershipService;
import io.tributary.internal.v1.AcquireBundleRequest;
import io.tributary.internal.v1.AssignBundleRequest;
import io.tributary.internal.v1.BrokerControlServiceGrpc;
import io.tributary.internal.v1.BundleOwner;
import io.tributary.internal.v1.DescribeDeadLettersRequest;
import io.tributary.internal.v1.DrainBrokerRequest;
import io.tributary.internal.v1.DrainBrokerResponse;
import io.tributary.internal.v1.PrepareBundleRequest;
import io.tributary.internal.v1.PrepareBundleResponse;
import io.tributary.internal.v1.SplitBundleRequest;
import io.tributary.internal.v1.SplitBundleResponse;
import io.tributary.internal.v1.UnloadBundleRequest;
import io.tributary.internal.v1.UnloadBundleResponse;
import io.tributary.protocol.TributaryException;
import java.util.concurrent.CompletableFuture;

/**
 * The calls brokers make to each other to assign, hand over, split and drain bundles, and for a
 * dead-letter redrive or listing, to store messages on and describe topics another broker owns.
 */
public final class ControlServiceImpl extends BrokerControlServiceGrpc.BrokerControlServiceImplBase {
    private final NamespaceService namespaces;
    private final OwnershipService ownership;
    private final BundleMover mover;
    private final LoadManager loadManager;

    private final MessagingServiceImpl messaging;
    private final DeadLetterAdmin deadLetters;

    public ControlServiceImpl(NamespaceService namespaces, OwnershipService ownership, BundleMover mover, LoadManager loadManager,
                              MessagingServiceImpl messaging, DeadLetterAdmin deadLetters) {
        this.messaging = messaging;
        this.deadLetters = deadLetters;
        this.namespaces = namespaces;
        this.ownership = ownership;
        this.mover = mover;
        this.loadManager = loadManager;
    }

    @Override
    public void assignBundle(AssignBundleRequest req, StreamObserver<BundleOwner> out) {
        Replies.reply(out, () -> {
            if (!loadManager.isLeader()) {
                throw new TributaryException(ErrorReason.SERVICE_NOT_READY,
                        "broker " + ownership.brokerId() + " is not the load manager leader");
            }
            return namespaces.bundle(req.getNamespace(), req.getBundle())
                    .thenCompose(loadManager::assignAsLeader).thenApply(BundleMover::toProto);
        });
    }

    @Override
    public void acquireBundle(AcquireBundleRequest req, StreamObserver<BundleOwner> out) {
        Replies.reply(out, () -> {
            if (loadManager.reporter().isDraining()) {
                throw new TributaryException(ErrorReason.SERVICE_NOT_READY,
                        "broker " + ownership.brokerId() + " is draining and takes no bundles");
            }
            return namespaces.bundle(req.getNamespace(), req.getBundle())
                    .thenCompose(b -> ownership.acquire(b, req.getPreviousBrokerId()))
                    .thenApply(owner -> {
                        mover.preload(req.getTopicsList());
                        return BundleMover.toProto(owner);
                    });
        });
    }

    @Override
    public void prepareBundle(PrepareBundleRequest req, StreamObserver<PrepareBundleResponse> out) {
        Replies.reply(out, () -> namespaces.bundle(req.getNamespace(), req.getBundle()).thenApply(b -> {
            ownership.prepare(b, Math.max(1000, req.getTimeoutMs()));
            return PrepareBundleResponse.getDefaultInstance();
        }));
    }

    @Override
    public void unloadBundle(UnloadBundleRequest req, StreamObserver<UnloadBundleResponse> out) {
        Replies.reply(out, () -> namespaces.bundle(req.getNamespace(), req.getBundle())
                .thenCompose(b -> mover.unloadTo(b, loadManager.destination(b, req.getDestinationBrokerId(),
                        java.util.Set.of(ownership.brokerId())), req.getReason().isEmpty() ? "admin" : req.getReason()))
                .thenApply(o -> UnloadBundleResponse.newBuilder().setNewOwner(BundleMover.toProto(o)).build()));
    }

    @Override
    public void splitBundle(SplitBundleRequest req, StreamObserver<SplitBundleResponse> out) {
        Replies.reply(out, () -> namespaces.bundle(req.getNamespace(), req.getBundle())
                .thenCompose(b -> mover.split(b, req.getReason().isEmpty() ? "admin" : req.getReason()))
                .thenApply(bs -> SplitBundleResponse.newBuilder()
                        .addAllBundles(bs.stream().map(io.tributary.broker.namespace.Bundle::name).toList()).build()));
    }

    @Override
    public void drainBroker(DrainBrokerRequest req, StreamObserver<DrainBrokerResponse> out) {
        Replies.reply(out, () -> {
            if (!req.getBrokerId().isEmpty() && !req.getBrokerId().equals(ownership.brokerId())) {
                return CompletableFuture.failedFuture(new TributaryException(ErrorReason.INVALID_REQUEST,
                        "this is broker " + ownership.brokerId() + ", not " + req.getBrokerId()));
            }
            return loadManager.drainSelf().thenApply(n -> DrainBrokerResponse.newBuilder().setBundlesMoved(n).build());
        });
    }

    @Override
    public void send(SendRequest req, StreamObserver<SendResponse> out) {
        Replies.reply(out, () -> messaging.sendHere(req));
    }

    @Override
    public void describeDeadLetters(DescribeDeadLettersRequest req, StreamObserver<DeadLetterTopic> out) {
        Replies.reply(out, () -> deadLetters.describe(req.getTopic()));
    }
}
