package io.tributary.client.impl;

import io.tributary.api.v1.BatchHeader;
import io.tributary.api.v1.SingleMessage;
import io.tributary.client.Message;
import io.tributary.client.MessageId;
import io.tributary.client.Schema;
import io.tributary.client.TributaryClientException;
import io.tributary.client.TributaryClientException.IncompatibleSchemaException;
import io.tributary.client.TributaryClientException.SchemaSerializationException;
import java.io.UncheckedIOException;
import java.util.Collections;
import java.util.Map;

/** A received message: one {@link SingleMessage} of an entry, with the entry's header. */
public final class MessageImpl<T> implements Message<T> {
    private final String topic;
    private final MessageId id;
    private final SingleMessage single;
    private final BatchHeader header;
    private final int redeliveryCount;
    private final String lastFailureReason;
    private final long firstDeliveryMs;
    /** When this consumer received the message (epoch ms): its last delivery, for a dead-letter copy. */
    private final long receivedAtMs = System.currentTimeMillis();
    private final Schema<T> schema;
    // decoded by the consumer before hand-over (or on first use); racing decodes are harmless
    private volatile T value;
    private volatile boolean decoded;

    MessageImpl(String topic, MessageId id, SingleMessage single, BatchHeader header, int redeliveryCount,
                String lastFailureReason, long firstDeliveryMs, Schema<T> schema) {
        this.topic = topic;
        this.id = id;
        this.single = single;
        this.header = header;
        this.redeliveryCount = redeliveryCount;
        this.lastFailureReason = lastFailureReason;
        this.firstDeliveryMs = firstDeliveryMs;
        this.schema = schema;
    }

    /**
     * Checks that the consumer's schema may read this message and decodes its value; the consumer
     * calls it before handing the message to the application, so that a wrong schema or malformed
     * bytes surface from {@code receive}. Cheap once done.
     */
    public void decode() throws TributaryClientException {
        if (decoded) {
            return;
        }
        String writer = header.getSchema();
        if (!Schemas.canRead(schema, writer)) {
            throw new IncompatibleSchemaException(topic, id, writer, schema.name());
        }
        try {
            value = schema.decode(single.getValue().toByteArray());
        } catch (RuntimeException e) {
            throw new SchemaSerializationException(id, "message " + id + " of " + topic + " cannot be decoded with "
                    + schema.name() + " (written as '" + writer + "'): " + e.getMessage(), e);
        }
        decoded = true;
    }

    /**
     * {@inheritDoc}
     *
     * <p>Messages from {@code receive} were decoded before they were handed over. A message that
     * reached the application another way and cannot be decoded throws an
     * {@link UncheckedIOException} whose cause is the {@link IncompatibleSchemaException} or
     * {@link SchemaSerializationException}.
     */
    @Override
    public T getValue() {
        if (!decoded) {
            try {
                decode();
            } catch (TributaryClientException e) {
                throw new UncheckedIOException(e.getMessage(), e);
            }
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
    public String getLastFailureReason() {
        return lastFailureReason;
    }

    @Override
    public long getFirstDeliveryTime() {
        return firstDeliveryMs;
    }

    /** When this consumer received the message (epoch ms). */
    public long receivedAt() {
        return receivedAtMs;
    }

    @Override
    public String getTopicName() {
        return topic;
    }

    /** The size of the value in bytes, without copying it. */
    public int valueSize() {
        return single.getValue().size();
    }

    @Override
    public String toString() {
        return "Message{topic=" + topic + ", id=" + id + ", key=" + getKey() + ", size=" + single.getValue().size()
                + ", sequenceId=" + single.getSequenceId() + "}";
    }
}
