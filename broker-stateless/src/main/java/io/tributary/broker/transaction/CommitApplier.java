package io.tributary.broker.transaction;

import io.tributary.api.v1.SendRequest;
import io.tributary.api.v1.SendResponse;
import io.tributary.protocol.TopicName;
import java.util.concurrent.CompletableFuture;

/** How a coordinator stores a commit's messages on a topic: a Send through the topic's owner, wherever it is. */
@FunctionalInterface
public interface CommitApplier {
    CompletableFuture<SendResponse> send(TopicName topic, SendRequest request);
}
