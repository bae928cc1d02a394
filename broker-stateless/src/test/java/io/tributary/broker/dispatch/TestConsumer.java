package io.tributary.broker.dispatch;

import io.tributary.api.v1.ErrorDetail;
import io.tributary.storage.log.Position;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A consumer that records what the subscription tells it; read from the test thread. */
final class TestConsumer extends Consumer {
    record Received(Position position, int redeliveryCount, String lastFailureReason, long firstDeliveryMs) {}

    final List<Received> received = new CopyOnWriteArrayList<>();
    final List<Boolean> activeChanges = new CopyOnWriteArrayList<>();
    final List<ErrorDetail> refusals = new CopyOnWriteArrayList<>();
    volatile ErrorDetail disconnected;

    TestConsumer(String name, int priority) {
        super(name, priority);
    }

    List<Position> positions() {
        return received.stream().map(Received::position).toList();
    }

    @Override
    protected void deliver(Position position, byte[] entry, int messageCount, int redeliveryCount, BitSet ackedIndexes,
                           String lastFailureReason, long firstDeliveryMs) {
        received.add(new Received(position, redeliveryCount, lastFailureReason, firstDeliveryMs));
    }

    @Override
    protected void disconnect(ErrorDetail reason) {
        disconnected = reason;
    }

    @Override
    protected void activeChanged(boolean isActive) {
        activeChanges.add(isActive);
    }

    @Override
    protected void refused(ErrorDetail reason) {
        refusals.add(reason);
    }
}
