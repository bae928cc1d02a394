package io.tributary.proxy;

import io.grpc.CallOptions;
import io.grpc.Context;
import io.grpc.stub.StreamObserver;
import io.tributary.api.v1.GetPartitionsRequest;
import io.tributary.api.v1.GetPartitionsResponse;
import io.tributary.api.v1.LookupRequest;
import io.tributary.api.v1.LookupResponse;
import io.tributary.api.v1.LookupServiceGrpc;
import io.tributary.protocol.TopicName;

/**
 * {@code LookupService} as the proxy serves it: the topic name is checked, then the lookup goes as is to a
 * configured broker (the next one if a broker is unavailable), and the answer also refreshes the proxy's cache.
 * Partition counts are asked of any broker.
 */
public final class LookupProxyService extends LookupServiceGrpc.LookupServiceImplBase {
    private final OwnerLookup lookup;
    private final KnownBrokers brokers;

    public LookupProxyService(OwnerLookup lookup, KnownBrokers brokers) {
        this.lookup = lookup;
        this.brokers = brokers;
    }

    @Override
    public void lookup(LookupRequest request, StreamObserver<LookupResponse> responseObserver) {
        TopicName topic = MessagingProxyService.topicOrFail(request.getTopic(), responseObserver);
        if (topic != null) {
            OwnerForwarder.relay(lookup.lookup(topic, request, Context.current()), responseObserver);
        }
    }

    @Override
    public void getPartitions(GetPartitionsRequest request, StreamObserver<GetPartitionsResponse> responseObserver) {
        if (MessagingProxyService.topicOrFail(request.getTopic(), responseObserver) != null) {
            OwnerForwarder.relay(brokers.call(LookupServiceGrpc.getGetPartitionsMethod(), request, CallOptions.DEFAULT,
                    Context.current()), responseObserver);
        }
    }
}
