package io.tributary.broker.dispatch;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import io.tributary.api.v1.BatchHeader;
import java.io.IOException;

/** Reads the header of a stored entry without touching its (possibly large, compressed) payload. */
public final class EntryHeaders {
    private EntryHeaders() {}

    public static BatchHeader header(byte[] entry) {
        try {
            CodedInputStream in = CodedInputStream.newInstance(entry);
            while (true) {
                int tag = in.readTag();
                if (tag == 0) {
                    return BatchHeader.getDefaultInstance();
                }
                if (WireFormat.getTagFieldNumber(tag) == 1) {
                    return BatchHeader.parseFrom(in.readBytes());
                }
                in.skipField(tag);
            }
        } catch (IOException e) {
            return BatchHeader.getDefaultInstance();
        }
    }

    /** The producer and last sequence id of an entry, to rebuild deduplication state; null if it has none. */
    public static io.tributary.storage.log.SequenceMark sequenceMark(byte[] entry) {
        BatchHeader h = header(entry);
        if (h.getProducerName().isEmpty()) {
            return null;
        }
        return new io.tributary.storage.log.SequenceMark(h.getProducerName(),
                h.getFirstSequenceId() + Math.max(1, h.getMessageCount()) - 1);
    }

    /** Messages in an entry; at least 1, so a malformed entry still moves through dispatch. */
    public static int messageCount(byte[] entry) {
        return Math.max(1, header(entry).getMessageCount());
    }
}
