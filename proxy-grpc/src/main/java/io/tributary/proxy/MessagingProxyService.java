package io.tributary.proxy;

import io.grpc.stub.StreamObserver;
import io.tributary.api.v1.AcknowledgeRequest;
import io.tributary.api.v1.AcknowledgeResponse;
import io.tributary.api.v1.ChangeInvisibleDurationRequest;
import io.tributary.api.v1.ChangeInvisibleDurationResponse;
import io.tributary.api.v1.GetLastMessageIdRequest;
import io.tributary.api.v1.GetLastMessageIdResponse;
import io.tributary.api.v1.MessagingServiceGrpc;
import io.tributary.api.v1.NegativeAcknowledgeRequest;
import io.tributary.api.v1.NegativeAcknowledgeResponse;
import io.tributary.api.v1.PublishRequest;
import io.tributary.api.v1.PublishResponse;
import io.tributary.api.v1.ReceiveRequest;
import io.tributary.api.v1.ReceiveResponse;
import io.tributary.api.v1.SendRequest;
import io.tributary.api.v1.SendResponse;
import io.tributary.api.v1.SubscribeRequest;
import io.tributary.api.v1.SubscribeResponse;
import io.tributary.protocol.TopicName;
import io.tributary.protocol.TributaryException;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;

/**
 * {@code MessagingService} as the proxy serves it: every call goes to the topic's owner. Publish and Subscribe
 * streams follow their topic to its new owner when it moves ({@link StreamForwarder}).
 */
public final class MessagingProxyService extends MessagingServiceGrpc.MessagingServiceImplBase {
    private final OwnerLookup lookup;
    private final BrokerChannels channels;
    private final OwnerForwarder owners;
    private final ScheduledExecutorService scheduler;
    private final Duration resumeTimeout;

    /** Resumes streams for {@link ProxyConfig#DEFAULT_STREAM_RESUME_TIMEOUT}. */
    public MessagingProxyService(OwnerLookup lookup, BrokerChannels channels, ScheduledExecutorService scheduler) {
        this(lookup, channels, scheduler, ProxyConfig.DEFAULT_STREAM_RESUME_TIMEOUT);
    }

    /**
     * @param scheduler     runs the forwarded streams' stall checks and the back-off of their resumptions
     * @param resumeTimeout how long a stream may look for its topic's new owner ({@code proxy.streamResumeTimeout});
     *                      zero: streams are not resumed
     */
    public MessagingProxyService(OwnerLookup lookup, BrokerChannels channels, ScheduledExecutorService scheduler,
                                 Duration resumeTimeout) {
        this.scheduler = scheduler;
        this.resumeTimeout = resumeTimeout;
        this.lookup = lookup;
        this.channels = channels;
        this.owners = new OwnerForwarder(lookup, channels);
    }

    @Override
    public StreamObserver<PublishRequest> publish(StreamObserver<PublishResponse> responseObserver) {
        return StreamForwarder.start(MessagingServiceGrpc.getPublishMethod(), responseObserver,
                r -> r.hasOpen() ? r.getOpen().getTopic() : null, r -> true, new PublishResumption(), resumeTimeout,
                lookup, channels, scheduler);
    }

    @Override
    public StreamObserver<SubscribeRequest> subscribe(StreamObserver<SubscribeResponse> responseObserver) {
        return StreamForwarder.start(MessagingServiceGrpc.getSubscribeMethod(), responseObserver,
                // only the open is answered by exactly one response; deliveries come when there are messages
                r -> r.hasOpen() ? r.getOpen().getTopic() : null, SubscribeRequest::hasOpen, new SubscribeResumption(),
                resumeTimeout, lookup, channels, scheduler);
    }

    @Override
    public void receive(ReceiveRequest request, StreamObserver<ReceiveResponse> responseObserver) {
        TopicName topic = topicOrFail(request.getTopic(), responseObserver);
        if (topic != null) {
            owners.forward(topic, MessagingServiceGrpc.getReceiveMethod(), request, responseObserver);
        }
    }

    @Override
    public void acknowledge(AcknowledgeRequest request, StreamObserver<AcknowledgeResponse> responseObserver) {
        TopicName topic = topicOrFail(request.getTopic(), responseObserver);
        if (topic != null) {
            owners.forward(topic, MessagingServiceGrpc.getAcknowledgeMethod(), request, responseObserver);
        }
    }

    @Override
    public void getLastMessageId(GetLastMessageIdRequest request, StreamObserver<GetLastMessageIdResponse> responseObserver) {
        TopicName topic = topicOrFail(request.getTopic(), responseObserver);
        if (topic != null) {
            owners.forward(topic, MessagingServiceGrpc.getGetLastMessageIdMethod(), request, responseObserver);
        }
    }

    @Override
    public void send(SendRequest request, StreamObserver<SendResponse> responseObserver) {
        TopicName topic = topicOrFail(request.getTopic(), responseObserver);
        if (topic != null) {
            // a transaction's messages are stored by its coordinator, the transaction log's owner
            owners.forward(request.getTransactionId().isEmpty() ? topic : TransactionProxyService.LOG,
                    MessagingServiceGrpc.getSendMethod(), request, responseObserver);
        }
    }

    @Override
    public void changeInvisibleDuration(ChangeInvisibleDurationRequest request,
                                        StreamObserver<ChangeInvisibleDurationResponse> responseObserver) {
        TopicName topic = topicOrFail(request.getTopic(), responseObserver);
        if (topic != null) {
            owners.forward(topic, MessagingServiceGrpc.getChangeInvisibleDurationMethod(), request, responseObserver);
        }
    }

    @Override
    public void negativeAcknowledge(NegativeAcknowledgeRequest request,
                                    StreamObserver<NegativeAcknowledgeResponse> responseObserver) {
        TopicName topic = topicOrFail(request.getTopic(), responseObserver);
        if (topic != null) {
            owners.forward(topic, MessagingServiceGrpc.getNegativeAcknowledgeMethod(), request, responseObserver);
        }
    }

    /** The parsed topic, or null after failing the call with INVALID_ARGUMENT / INVALID_TOPIC_NAME. */
    static TopicName topicOrFail(String name, StreamObserver<?> out) {
        try {
            return TopicName.of(name);
        } catch (TributaryException e) {
            out.onError(e.toStatus());
            return null;
        }
    }
}
