package io.tributary.proxy;

import io.grpc.Context;
import io.grpc.stub.StreamObserver;
import io.tributary.api.v1.LookupRequest;
import io.tributary.api.v1.LookupResponse;
import io.tributary.api.v1.LookupServiceGrpc;
import io.tributary.protocol.TopicName;

/**
 * {@code LookupService} as the proxy serves it: the topic name is checked, then the lookup goes as is to a
 * configured broker (the next one if a broker is unavailable), and the answer also refreshes the proxy's cache.
 */
public final class LookupProxyService extends LookupServiceGrpc.LookupServiceImplBase {
    private final OwnerLookup lookup;

    public LookupProxyService(OwnerLookup lookup) {
        this.lookup = lookup;
    }

    @Override
    public void lookup(LookupRequest request, StreamObserver<LookupResponse> responseObserver) {
        TopicName topic = MessagingProxyService.topicOrFail(request.getTopic(), responseObserver);
        if (topic != null) {
            OwnerForwarder.relay(lookup.lookup(topic, request, Context.current()), responseObserver);
        }
    }
}
