package io.tributary.broker.dispatch;

import io.tributary.api.v1.BatchHeader;
import io.tributary.protocol.EntryCodec;
import io.tributary.storage.log.LogEntry;
import io.tributary.storage.log.Position;

/**
 * An entry read from the log and not handed to a consumer yet, with what dispatch needs from its
 * header: how many messages it holds (permits count messages), its key's hash (Key_Shared) and
 * its delivery time (0: at once).
 */
record BufferedEntry(LogEntry entry, int messages, boolean hasKey, int keyHash, long deliverAtMs) {

    static BufferedEntry of(LogEntry e) {
        BatchHeader h = EntryCodec.header(e.data());
        return new BufferedEntry(e, Math.max(1, h.getMessageCount()), h.getHasKey(),
                h.getHasKey() ? KeySharedSelector.hashOf(h.getKey()) : 0, h.getDeliverAtMs());
    }

    Position position() {
        return entry.position();
    }
}
