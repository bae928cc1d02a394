package io.tributary.broker.service;

import io.grpc.stub.StreamObserver;
import io.tributary.api.v1.LookupRequest;
import io.tributary.api.v1.LookupResponse;
import io.tributary.api.v1.LookupServiceGrpc;
import io.tributary.broker.namespace.NamespaceService;
import io.tributary.broker.ownership.OwnershipService;
import io.tributary.protocol.TopicName;

/** Answers which broker serves a topic, assigning its bundle first if nobody owns it. */
public final class LookupServiceImpl extends LookupServiceGrpc.LookupServiceImplBase {
    private final NamespaceService namespaces;
    private final OwnershipService ownership;

    public LookupServiceImpl(NamespaceService namespaces, OwnershipService ownership) {
        this.namespaces = namespaces;
        this.ownership = ownership;
    }

    @Override
    public void lookup(LookupRequest req, StreamObserver<LookupResponse> out) {
        Replies.reply(out, () -> {
            TopicName name = TopicName.of(req.getTopic());
            return namespaces.bundleOf(name).thenCompose(b -> ownership.lookup(b).thenApply(owner -> LookupResponse.newBuilder()
                    .setTopic(name.toString()).setBundle(b.name())
                    .setBrokerId(owner.brokerId()).setBrokerAddress(owner.address()).build()));
        });
    }
}
