package io.tributary.client.impl.admin;

import io.tributary.api.v1.AdminServiceGrpc;
import io.tributary.api.v1.DeleteSubscriptionRequest;
import io.tributary.api.v1.ErrorReason;
import io.tributary.api.v1.InitialPosition;
import io.tributary.api.v1.ResetSubscriptionRequest;
import io.tributary.api.v1.SkipMessagesRequest;
import io.tributary.client.MessageId;
import io.tributary.client.TributaryClientException;
import io.tributary.client.admin.Subscriptions;
import io.tributary.client.admin.TopicInfo;
import io.tributary.client.impl.BatchCodec;
import io.tributary.protocol.ErrorReasons;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Function;

/** {@link Subscriptions} over the AdminService; on a partitioned topic each operation goes to every partition. */
final class AdminSubscriptions implements Subscriptions {
    private final TributaryAdminImpl admin;

    AdminSubscriptions(TributaryAdminImpl admin) {
        this.admin = admin;
    }

    @Override
    public CompletableFuture<List<String>> listAsync(String topic) {
        return admin.topics().getInfoAsync(topic).thenApply(TopicInfo::subscriptions);
    }

    @Override
    public CompletableFuture<Void> resetAsync(String topic, String subscription, MessageId messageId) {
        Objects.requireNonNull(subscription, "subscription");
        Objects.requireNonNull(messageId, "messageId");
        if (messageId.equals(MessageId.earliest) || messageId.equals(MessageId.latest)) {
            InitialPosition position = messageId.equals(MessageId.earliest) ? InitialPosition.EARLIEST : InitialPosition.LATEST;
            return onEachPartition(topic, subscription, t -> reset(t, subscription, r -> r.setPosition(position)));
        }
        io.tributary.api.v1.MessageId id = BatchCodec.toProto(messageId);
        return AdminTopics.withName(topic, name -> admin.partitions(name).thenCompose(n -> {
            if (n == 0) {
                return reset(name.toString(), subscription, r -> r.setMessageId(id));
            }
            if (messageId.getPartition() < 0 || messageId.getPartition() >= n) {
                throw new CompletionException(new TributaryClientException.NotAllowedException("topic " + name + " has " + n
                        + " partitions and message id " + messageId + " names none of them; reset a partition by the id"
                        + " of one of its messages, or all of them to a time, earliest or latest"));
            }
            return reset(name.partition(messageId.getPartition()).toString(), subscription, r -> r.setMessageId(id));
        }));
    }

    @Override
    public CompletableFuture<Void> resetAsync(String topic, String subscription, long publishTimeMs) {
        Objects.requireNonNull(subscription, "subscription");
        if (publishTimeMs < 0) {
            throw new IllegalArgumentException("the publish time must be >= 0, was " + publishTimeMs);
        }
        return onEachPartition(topic, subscription, t -> reset(t, subscription, r -> r.setPublishTimeMs(publishTimeMs)));
    }

    @Override
    public CompletableFuture<Void> clearBacklogAsync(String topic, String subscription) {
        return resetAsync(topic, subscription, MessageId.latest);
    }

    private CompletableFuture<Void> reset(String topic, String subscription,
                                          Function<ResetSubscriptionRequest.Builder, ResetSubscriptionRequest.Builder> target) {
        ResetSubscriptionRequest request = target.apply(ResetSubscriptionRequest.newBuilder().setTopic(topic)
                .setSubscription(subscription)).build();
        return admin.call(AdminServiceGrpc.getResetSubscriptionMethod(), request, true).thenApply(r -> null);
    }

    @Override
    public CompletableFuture<Long> skipAsync(String topic, String subscription, long messages) {
        Objects.requireNonNull(subscription, "subscription");
        if (messages <= 0) {
            throw new IllegalArgumentException("the number of messages to skip must be > 0, was " + messages);
        }
        return AdminTopics.withName(topic, name -> admin.partitions(name).thenCompose(n -> {
            if (n > 0) {
                throw new CompletionException(new TributaryClientException.NotAllowedException("topic " + name + " has " + n
                        + " partitions, and no order across them says which " + messages + " messages come first;"
                        + " skip on a partition, e.g. " + name.partition(0)));
            }
            return admin.call(AdminServiceGrpc.getSkipMessagesMethod(), SkipMessagesRequest.newBuilder()
                    .setTopic(name.toString()).setSubscription(subscription).setMessages(messages).build(), false)
                    .thenApply(r -> r.getSkipped());
        }));
    }

    @Override
    public CompletableFuture<Void> deleteAsync(String topic, String subscription, boolean force) {
        Objects.requireNonNull(subscription, "subscription");
        return onEachPartition(topic, subscription, t -> admin.call(AdminServiceGrpc.getDeleteSubscriptionMethod(),
                DeleteSubscriptionRequest.newBuilder().setTopic(t).setSubscription(subscription).setForce(force).build(), false)
                .thenApply(r -> null));
    }

    /**
     * Runs {@code op} on the topic, or on every partition of a partitioned topic. There it fails
     * with the first error other than SUBSCRIPTION_NOT_FOUND, or with SUBSCRIPTION_NOT_FOUND if no
     * partition has the subscription.
     */
    private CompletableFuture<Void> onEachPartition(String topic, String subscription,
                                                    Function<String, CompletableFuture<Void>> op) {
        return AdminTopics.withName(topic, name -> admin.partitions(name).thenCompose(n -> {
            if (n == 0) {
                return op.apply(name.toString());
            }
            List<CompletableFuture<Void>> each = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                each.add(op.apply(name.partition(i).toString()));
            }
            return CompletableFuture.allOf(each.toArray(CompletableFuture[]::new)).handle((v, t) -> {
                int notFound = 0;
                for (CompletableFuture<Void> f : each) {
                    if (!f.isCompletedExceptionally()) {
                        continue;
                    }
                    TributaryClientException e = TributaryClientException.from(f.handle((x, err) -> err).join());
                    if (e.reason() != ErrorReason.SUBSCRIPTION_NOT_FOUND) {
                        throw new CompletionException(e);
                    }
                    notFound++;
                }
                if (notFound == n) {
                    throw new CompletionException(TributaryClientException.of(ErrorReasons.detail(
                            ErrorReason.SUBSCRIPTION_NOT_FOUND, "subscription " + subscription + " does not exist on any of the "
                                    + n + " partitions of " + name)));
                }
                return null;
            });
        }));
    }
}
