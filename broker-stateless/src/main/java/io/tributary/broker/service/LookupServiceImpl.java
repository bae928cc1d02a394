package io.tributary.broker.service;

import io.grpc.stub.StreamObserver;
import io.tributary.api.v1.ErrorReason;
import io.tributary.api.v1.GetPartitionsRequest;
import io.tributary.api.v1.GetPartitionsResponse;
import io.tributary.api.v1.LookupRequest;
import io.tributary.api.v1.LookupResponse;
import io.tributary.api.v1.LookupServiceGrpc;
import io.tributary.broker.namespace.NamespaceService;
import io.tributary.broker.ownership.OwnershipService;
import io.tributary.broker.topic.TopicService;
import io.tributary.protocol.ErrorReasons;
import io.tributary.protocol.SystemTopics;
import io.tributary.protocol.TopicName;
import java.util.concurrent.CompletableFuture;

/**
 * Answers which broker serves a topic, assigning its bundle first if nobody owns it, and how many
 * partitions a topic has.
 */
public final class LookupServiceImpl extends LookupServiceGrpc.LookupServiceImplBase {
    private final NamespaceService namespaces;
    private final OwnershipService ownership;
    private final TopicService topics;

    public LookupServiceImpl(NamespaceService namespaces, OwnershipService ownership, TopicService topics) {
        this.namespaces = namespaces;
        this.ownership = ownership;
        this.topics = topics;
    }

    @Override
    public void lookup(LookupRequest req, StreamObserver<LookupResponse> out) {
        Replies.reply(out, () -> {
            TopicName name = TopicName.of(req.getTopic());
            // the system namespace appears with the first transaction: looking its log up creates it
            CompletableFuture<Void> ready = name.toString().equals(SystemTopics.TRANSACTION_LOG)
                    ? namespaces.ensureNamespace(SystemTopics.NAMESPACE, 1) : CompletableFuture.completedFuture(null);
            return ready.thenCompose(v -> namespaces.bundleOf(name)).thenCompose(b -> ownership.lookup(b).thenApply(owner -> LookupResponse.newBuilder()
                    .setTopic(name.toString()).setBundle(b.name())
                    .setBrokerId(owner.brokerId()).setBrokerAddress(owner.address()).build()));
        });
    }

    @Override
    public void getPartitions(GetPartitionsRequest req, StreamObserver<GetPartitionsResponse> out) {
        Replies.reply(out, () -> {
            TopicName name = TopicName.of(req.getTopic());
            GetPartitionsResponse.Builder r = GetPartitionsResponse.newBuilder().setTopic(name.toString());
            return topics.partitionsCreatingIfPartitioned(name)
                    .thenApply(n -> r.setPartitions(n).setExists(true).build())
                    .exceptionally(e -> {
                        if (ErrorReasons.detailOf(e).getReason() == ErrorReason.TOPIC_NOT_FOUND) {
                            return r.build();
                        }
                        throw ErrorReasons.asCompletion(e);
                    });
        });
    }
}
