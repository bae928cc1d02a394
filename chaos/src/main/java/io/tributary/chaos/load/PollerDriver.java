package io.tributary.chaos.load;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.tributary.api.v1.AcknowledgeRequest;
import io.tributary.api.v1.InitialPosition;
import io.tributary.api.v1.MessageId;
import io.tributary.api.v1.MessagingServiceGrpc;
import io.tributary.api.v1.ReceiveRequest;
import io.tributary.api.v1.ReceiveResponse;
import io.tributary.api.v1.ReceivedMessage;
import io.tributary.api.v1.SubscriptionType;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A unary {@code Receive} poller, as the simplest clients in any language use the API: raw gRPC
 * calls through a proxy with a short deadline. When the server's wait is longer than the deadline
 * the answer may be lost on the way; the broker must then deliver those messages again (the
 * checker's "undelivered" counts them if it does not).
 */
final class PollerDriver implements Runnable {
    private final LoadPlan.PollerPlan plan;
    private final String name;
    private final MessagingServiceGrpc.MessagingServiceBlockingStub stub;
    private final History history;
    private final AtomicLong deadlinesExceeded;
    private final AtomicLong ackFailures;
    private final Thread thread;
    private volatile boolean closing;

    PollerDriver(LoadPlan.PollerPlan plan, int index, ManagedChannel channel, History history,
            AtomicLong deadlinesExceeded, AtomicLong ackFailures) {
        this.plan = plan;
        this.name = plan.subscription() + "-" + index;
        this.stub = MessagingServiceGrpc.newBlockingStub(channel);
        this.history = history;
        this.deadlinesExceeded = deadlinesExceeded;
        this.ackFailures = ackFailures;
        this.thread = new Thread(this, "chaos-poller-" + name);
        thread.setDaemon(true);
    }

    /** Creates the subscription (a call that waits 1 ms) before anything is sent, with a deadline. */
    void createSubscription() {
        stub.withDeadlineAfter(30, TimeUnit.SECONDS).receive(request(1, 1));
    }

    void start() {
        thread.start();
    }

    private ReceiveRequest request(int max, long waitMs) {
        return ReceiveRequest.newBuilder().setTopic(plan.topic()).setSubscription(plan.subscription())
                .setType(SubscriptionType.SHARED).setInitialPosition(InitialPosition.EARLIEST)
                .setMaxMessages(max).setMaxWaitMs(waitMs).build();
    }

    @Override
    public void run() {
        while (!closing) {
            ReceiveResponse response;
            try {
                response = stub.withDeadlineAfter(plan.deadlineMs(), TimeUnit.MILLISECONDS)
                        .receive(request(plan.maxMessages(), plan.maxWaitMs()));
            } catch (StatusRuntimeException e) {
                if (e.getStatus().getCode() == Status.Code.DEADLINE_EXCEEDED) {
                    deadlinesExceeded.incrementAndGet();
                } else if (!pause()) {
                    return;
                }
                continue;
            }
            List<MessageId> ids = new ArrayList<>();
            for (ReceivedMessage m : response.getMessagesList()) {
                MessageId id = m.getMessageId();
                history.delivered(m.getPropertiesMap(), plan.subscription(), name, plan.topic(),
                        id.getLedgerId() + ":" + id.getEntryId() + ":" + id.getBatchIndex(), m.getRedeliveryCount());
                ids.add(id);
            }
            if (!ids.isEmpty()) {
                try {
                    stub.withDeadlineAfter(10, TimeUnit.SECONDS).acknowledge(AcknowledgeRequest.newBuilder()
                            .setTopic(plan.topic()).setSubscription(plan.subscription()).addAllMessageIds(ids).build());
                } catch (StatusRuntimeException e) {
                    // not acknowledged: the messages come back
                    ackFailures.incrementAndGet();
                }
            }
        }
    }

    /** After an error other than the deadline (the topic moving, a fault): do not spin. */
    private boolean pause() {
        try {
            Thread.sleep(100);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    void close() throws InterruptedException {
        closing = true;
        thread.join();
    }
}
