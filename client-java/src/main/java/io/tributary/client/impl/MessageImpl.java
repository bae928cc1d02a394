package io.tributary.client.impl;

import io.tributary.api.v1.BatchHeader;
import io.tributary.api.v1.SingleMessage;
import io.tributary.client.Message;
import io.tributary.client.MessageId;
import io.tributary.client.Schema;
import java.util.Collections;
import java.util.Map;

/** A received message: one {@link SingleMessage} of an entry, with the entry's header. */
public final class MessageImpl<T> implements Message<T> {
    private final String topic;
    private final MessageId id;
    private final SingleMessage single;
    private final BatchHeader header;
    private final int redeliveryCount;
    private final Schema<T> schema;
    // decoded on first use: many consumers only look at the bytes; racing decodes are harmless
    private volatile T value;
    private volatile boolean decoded;

    MessageImpl(String topic, MessageId id, SingleMessage single, BatchHeader header, int redeliveryCount,
                Schema<T> schema) {
        this.topic = topic;
        this.id = id;
        this.single = single;
        this.header = header;
        this.redeliveryCount = redeliveryCount;
        this.schema = schema;
    }

    @Override
    public T getValue() {
        if (!decoded) {
            value = schema.decode(single.getValue().toByteArray());
            decoded = true;
        }
        return value;
    }

    @Override
    public byte[] getData() {
        return single.getValue().toByteArray();
    }

    @Override
    public String getKey() {
        return single.getHasKey() ? single.getKey() : null;
    }

    @Override
    public boolean hasKey() {
        return single.getHasKey();
    }

    @Override
    public Map<String, String> getProperties() {
        return Collections.unmodifiableMap(single.getPropertiesMap());
    }

    @Override
    public String getProperty(String name) {
        return single.getPropertiesOrDefault(name, null);
    }

    @Override
    public MessageId getMessageId() {
        return id;
    }

    @Override
    public long getPublishTime() {
        return header.getPublishTimeMs();
    }

    @Override
    public long getEventTime() {
        return single.getEventTimeMs();
    }

    @Override
    public String getProducerName() {
        return header.getProducerName();
    }

    @Override
    public long getSequenceId() {
        return single.getSequenceId();
    }

    @Override
    public int getRedeliveryCount() {
        return redeliveryCount;
    }

    @Override
    public String getTopicName() {
        return topic;
    }

    /** The size of the value in bytes, without copying it. */
    int valueSize() {
        return single.getValue().size();
    }

    @Override
    public String toString() {
        return "Message{topic=" + topic + ", id=" + id + ", key=" + getKey() + ", size=" + single.getValue().size()
                + ", sequenceId=" + single.getSequenceId() + "}";
    }
}
