package io.tributary.client.impl.producer;

import io.tributary.client.Message;
import io.tributary.client.MessageId;
import io.tributary.client.Schema;
import java.util.Collections;
import java.util.Map;

/** A message being sent, as a {@link io.tributary.client.MessageRouter} sees it: what is known before it is stored. */
final class RoutedMessage<T> implements Message<T> {
    private final TypedMessageBuilderImpl<T> message;
    private final Schema<T> schema;
    private final String topic;

    RoutedMessage(TypedMessageBuilderImpl<T> message, Schema<T> schema, String topic) {
        this.message = message;
        this.schema = schema;
        this.topic = topic;
    }

    @Override
    public T getValue() {
        return message.value;
    }

    @Override
    public byte[] getData() {
        return schema.encode(message.value);
    }

    @Override
    public String getKey() {
        return message.key;
    }

    @Override
    public boolean hasKey() {
        return message.key != null;
    }

    @Override
    public Map<String, String> getProperties() {
        return Collections.unmodifiableMap(message.properties);
    }

    @Override
    public String getProperty(String name) {
        return message.properties.get(name);
    }

    /** Not stored yet: null. */
    @Override
    public MessageId getMessageId() {
        return null;
    }

    /** Not stored yet: 0. */
    @Override
    public long getPublishTime() {
        return 0;
    }

    @Override
    public long getEventTime() {
        return message.eventTime;
    }

    /** Not known before the partition's producer is chosen: null. */
    @Override
    public String getProducerName() {
        return null;
    }

    /** The explicit sequence id, -1 if the producer numbers the message. */
    @Override
    public long getSequenceId() {
        return message.sequenceId != null ? message.sequenceId : -1;
    }

    @Override
    public int getRedeliveryCount() {
        return 0;
    }

    /** The partitioned topic's name. */
    @Override
    public String getTopicName() {
        return topic;
    }

    @Override
    public String toString() {
        return "Message{topic=" + topic + ", key=" + message.key + " (being routed)}";
    }
}
