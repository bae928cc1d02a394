package io.tributary.it.fuzz;

import com.google.protobuf.Message;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import io.tributary.api.v1.AcknowledgeRequest;
import io.tributary.api.v1.AdminServiceGrpc;
import io.tributary.api.v1.ChangeInvisibleDurationRequest;
import io.tributary.api.v1.CreateNamespaceRequest;
import io.tributary.api.v1.CreateTopicRequest;
import io.tributary.api.v1.DeleteNamespaceRequest;
import io.tributary.api.v1.DeleteSubscriptionRequest;
import io.tributary.api.v1.DeleteTopicRequest;
import io.tributary.api.v1.GetLastMessageIdRequest;
import io.tributary.api.v1.GetNamespacePoliciesRequest;
import io.tributary.api.v1.GetPartitionsRequest;
import io.tributary.api.v1.GetTopicRequest;
import io.tributary.api.v1.GetTopicStatsRequest;
import io.tributary.api.v1.InitialPosition;
import io.tributary.api.v1.ListBundlesRequest;
import io.tributary.api.v1.ListNamespacesRequest;
import io.tributary.api.v1.ListTopicsRequest;
import io.tributary.api.v1.LookupRequest;
import io.tributary.api.v1.LookupServiceGrpc;
import io.tributary.api.v1.MessagingServiceGrpc;
import io.tributary.api.v1.NegativeAcknowledgeRequest;
import io.tributary.api.v1.PublishRequest;
import io.tributary.api.v1.PublishResponse;
import io.tributary.api.v1.ReceiveRequest;
import io.tributary.api.v1.ReceiveResponse;
import io.tributary.api.v1.ReceivedMessage;
import io.tributary.api.v1.SubscribeRequest;
import io.tributary.api.v1.SubscribeResponse;
import io.tributary.api.v1.ResetSubscriptionRequest;
import io.tributary.api.v1.SendRequest;
import io.tributary.api.v1.SetNamespacePoliciesRequest;
import io.tributary.api.v1.SkipMessagesRequest;
import io.tributary.protocol.ErrorReasons;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * Runs the calls of a {@link RequestPlan} on one channel (the proxy's or the broker's) and reports
 * how each ended: every call must end with a gRPC status within the deadline. A stream is
 * half-closed by the client after its frames, so the server has to end it; one it does not end in
 * time is a hang (and then cancelled here, so the leak check sees whether the server cleans up).
 */
final class CallRunner {
    /**
     * A method name with this prefix takes the receipt (and, if the request has none, the message
     * id) of the last message a Receive of this runner returned, so that real receipts get fuzzed.
     */
    static final String WITH_LAST_RECEIPT = "lastReceipt:";

    /** How a call ended; {@code hung} when it did not end within the deadline. */
    record Outcome(Status status, boolean hung) {
        String reason() {
            if (status.isOk()) {
                return "";
            }
            Throwable t = status.getCause() != null ? status.getCause() : status.asRuntimeException();
            return " reason " + ErrorReasons.detailOf(t).getReason();
        }
    }

    private final Channel channel;
    private final Duration deadline;
    private ReceivedMessage lastReceived;

    CallRunner(Channel channel, Duration deadline) {
        this.channel = channel;
        this.deadline = deadline;
    }

    Outcome run(RequestPlan.Call call) {
        if (call instanceof RequestPlan.PublishStream p) {
            return this.<PublishRequest, PublishResponse>stream(p.frames(), out -> MessagingServiceGrpc.newStub(channel)
                    .withDeadlineAfter(deadline.toMillis() * 2, TimeUnit.MILLISECONDS).publish(out));
        }
        if (call instanceof RequestPlan.SubscribeStream s) {
            return this.<SubscribeRequest, SubscribeResponse>stream(s.frames(), out -> MessagingServiceGrpc.newStub(channel)
                    .withDeadlineAfter(deadline.toMillis() * 2, TimeUnit.MILLISECONDS).subscribe(out));
        }
        RequestPlan.Unary u = (RequestPlan.Unary) call;
        try {
            unary(u.method(), u.request());
            return new Outcome(Status.OK, false);
        } catch (StatusRuntimeException e) {
            Status s = e.getStatus();
            // a unary call has the deadline as its only bound: a server that never answers shows up here
            return new Outcome(Status.fromCode(s.getCode()).withDescription(s.getDescription()).withCause(e),
                    s.getCode() == Status.Code.DEADLINE_EXCEEDED);
        }
    }

    private <Q, R> Outcome stream(List<Q> frames, Function<StreamObserver<R>, StreamObserver<Q>> open) {
        CompletableFuture<Status> ended = new CompletableFuture<>();
        ClientCallStreamObserver<?>[] call = new ClientCallStreamObserver<?>[1];
        StreamObserver<Q> requests = open.apply(new ClientResponseObserver<Q, R>() {
            @Override
            public void beforeStart(ClientCallStreamObserver<Q> requestStream) {
                call[0] = requestStream;
            }

            @Override
            public void onNext(R value) {
                // replies and deliveries are not judged here: only how the call ends
            }

            @Override
            public void onError(Throwable t) {
                ended.complete(Status.fromThrowable(t).withCause(t));
            }

            @Override
            public void onCompleted() {
                ended.complete(Status.OK);
            }
        });
        for (Q frame : frames) {
            if (ended.isDone()) {
                break;
            }
            requests.onNext(frame);
        }
        if (!ended.isDone()) {
            requests.onCompleted();
        }
        try {
            return new Outcome(ended.get(deadline.toMillis(), TimeUnit.MILLISECONDS), false);
        } catch (TimeoutException e) {
            call[0].cancel("the fuzz target gave up waiting for the server to end the stream", null);
            return new Outcome(Status.DEADLINE_EXCEEDED.withDescription("the server did not end the stream within "
                    + deadline + " after the client half-closed it"), true);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A known-good Receive of one message (none if it is refused), so that a receipt is at hand. */
    private void receiveOne(String topic, String subscription) {
        try {
            ReceiveResponse got = MessagingServiceGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS)
                    .receive(ReceiveRequest.newBuilder().setTopic(topic).setSubscription(subscription)
                            .setInitialPosition(InitialPosition.EARLIEST).setMaxMessages(1)
                            .setMaxWaitMs(200).build());
            if (got.getMessagesCount() > 0) {
                lastReceived = got.getMessages(0);
            }
        } catch (StatusRuntimeException e) {
            // refused (a bad name, a busy subscription...): the call goes on without a receipt
        }
    }

    private void unary(String method, Message r) {
        if (method.startsWith(WITH_LAST_RECEIPT)) {
            method = method.substring(WITH_LAST_RECEIPT.length());
            if (r instanceof ChangeInvisibleDurationRequest c && lastReceived == null) {
                receiveOne(c.getTopic(), c.getSubscription());
            }
            if (lastReceived != null && r instanceof ChangeInvisibleDurationRequest c) {
                ChangeInvisibleDurationRequest.Builder b = c.toBuilder().setReceipt(lastReceived.getReceipt());
                r = c.hasMessageId() ? b.build() : b.setMessageId(lastReceived.getMessageId()).build();
            }
        }
        long ms = deadline.toMillis();
        var messaging = MessagingServiceGrpc.newBlockingStub(channel).withDeadlineAfter(ms, TimeUnit.MILLISECONDS);
        var lookup = LookupServiceGrpc.newBlockingStub(channel).withDeadlineAfter(ms, TimeUnit.MILLISECONDS);
        var admin = AdminServiceGrpc.newBlockingStub(channel).withDeadlineAfter(ms, TimeUnit.MILLISECONDS);
        switch (method) {
            case "receive" -> {
                ReceiveResponse got = messaging.receive((ReceiveRequest) r);
                if (got.getMessagesCount() > 0) {
                    lastReceived = got.getMessages(got.getMessagesCount() - 1);
                }
            }
            case "send" -> messaging.send((SendRequest) r);
            case "changeInvisibleDuration" -> messaging.changeInvisibleDuration((ChangeInvisibleDurationRequest) r);
            case "negativeAcknowledge" -> messaging.negativeAcknowledge((NegativeAcknowledgeRequest) r);
            case "acknowledge" -> messaging.acknowledge((AcknowledgeRequest) r);
            case "getLastMessageId" -> messaging.getLastMessageId((GetLastMessageIdRequest) r);
            case "lookup" -> lookup.lookup((LookupRequest) r);
            case "getPartitions" -> lookup.getPartitions((GetPartitionsRequest) r);
            case "getTopic" -> admin.getTopic((GetTopicRequest) r);
            case "getTopicStats" -> admin.getTopicStats((GetTopicStatsRequest) r);
            case "listTopics" -> admin.listTopics((ListTopicsRequest) r);
            case "listNamespaces" -> admin.listNamespaces((ListNamespacesRequest) r);
            case "getNamespacePolicies" -> admin.getNamespacePolicies((GetNamespacePoliciesRequest) r);
            case "listBundles" -> admin.listBundles((ListBundlesRequest) r);
            case "deleteSubscription" -> admin.deleteSubscription((DeleteSubscriptionRequest) r);
            case "resetSubscription" -> admin.resetSubscription((ResetSubscriptionRequest) r);
            case "skipMessages" -> admin.skipMessages((SkipMessagesRequest) r);
            case "createNamespace" -> admin.createNamespace((CreateNamespaceRequest) r);
            case "deleteNamespace" -> admin.deleteNamespace((DeleteNamespaceRequest) r);
            case "createTopic" -> admin.createTopic((CreateTopicRequest) r);
            case "deleteTopic" -> admin.deleteTopic((DeleteTopicRequest) r);
            case "setNamespacePolicies" -> admin.setNamespacePolicies((SetNamespacePoliciesRequest) r);
            default -> throw new IllegalArgumentException("no such method " + method);
        }
    }
}
