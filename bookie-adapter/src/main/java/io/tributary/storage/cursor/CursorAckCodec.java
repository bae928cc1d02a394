package io.tributary.storage.cursor;

import com.google.common.base.Preconditions;
import com.google.common.collect.Range;
import com.google.common.collect.RangeSet;
import com.google.common.collect.TreeRangeSet;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import io.tributary.internal.v1.BatchIndexAcks;
import io.tributary.internal.v1.CursorState;
import io.tributary.internal.v1.PositionRange;
import io.tributary.storage.log.Position;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.BitSet;
import java.util.Map;
import java.util.TreeMap;

/**
 * The compact form of a cursor's acknowledgements beyond its mark-delete position.
 *
 * <p>All numbers are unsigned varints unless said otherwise:
 * <pre>
 *   format (1)
 *   rangeCount
 *   per acknowledged range [from, to), ascending:
 *     ledgerDelta    from.ledgerId - previous ledger id (the mark-delete's for the first range)
 *     start          ledgerDelta == 0 ? from.entryId - previous end : from.entryId
 *                    (previous end: the exclusive end of the previous range, or mark-delete + 1)
 *     length         to.entryId - from.entryId
 *   batchCount
 *   per partly acknowledged entry, ascending:
 *     ledgerDelta    from the previous such entry (the mark-delete for the first)
 *     entry          ledgerDelta == 0 ? entryId - previous entryId : entryId
 *     wordCount, then that many little-endian fixed64 words of BitSet.toLongArray()
 * </pre>
 * Ranges never span ledgers (an acknowledged entry is the range [e, e+1) of its ledger, and only
 * neighbours in one ledger coalesce), so a typical hole costs three bytes.
 */
final class CursorAckCodec {
    private static final int FORMAT = 1;

    /** Acknowledgements beyond a mark-delete position: entry ranges and partly acknowledged batches. */
    record Acks(RangeSet<Position> ranges, TreeMap<Position, BitSet> batches) {
        static Acks empty() {
            return new Acks(TreeRangeSet.create(), new TreeMap<>());
        }
    }

    private CursorAckCodec() {}

    static byte[] encode(Position markDelete, RangeSet<Position> ranges, Map<Position, BitSet> batches) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(16 + ranges.asRanges().size() * 3);
        CodedOutputStream out = CodedOutputStream.newInstance(bytes, 8192);
        try {
            out.writeUInt32NoTag(FORMAT);
            out.writeUInt32NoTag(ranges.asRanges().size());
            long ledger = markDelete.ledgerId();
            long end = markDelete.entryId() + 1;
            for (Range<Position> r : ranges.asRanges()) {
                Position from = r.lowerEndpoint();
                Position to = r.upperEndpoint();
                Preconditions.checkState(from.ledgerId() == to.ledgerId() && from.ledgerId() >= ledger,
                        "acknowledged range %s out of order or across ledgers", r);
                long delta = from.ledgerId() - ledger;
                out.writeUInt64NoTag(delta);
                out.writeUInt64NoTag(delta == 0 ? from.entryId() - end : from.entryId());
                out.writeUInt64NoTag(to.entryId() - from.entryId());
                ledger = from.ledgerId();
                end = to.entryId();
            }
            TreeMap<Position, BitSet> sorted = batches instanceof TreeMap<Position, BitSet> t ? t : new TreeMap<>(batches);
            out.writeUInt32NoTag(sorted.size());
            Position prev = markDelete;
            for (Map.Entry<Position, BitSet> e : sorted.entrySet()) {
                Position p = e.getKey();
                long delta = p.ledgerId() - prev.ledgerId();
                out.writeUInt64NoTag(delta);
                out.writeUInt64NoTag(delta == 0 ? p.entryId() - prev.entryId() : p.entryId());
                long[] words = e.getValue().toLongArray();
                out.writeUInt32NoTag(words.length);
                for (long w : words) {
                    out.writeFixed64NoTag(w);
                }
                prev = p;
            }
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    static Acks decode(Position markDelete, byte[] data) throws IOException {
        Acks acks = Acks.empty();
        if (data.length == 0) {
            return acks;
        }
        CodedInputStream in = CodedInputStream.newInstance(data);
        int format = in.readUInt32();
        if (format != FORMAT) {
            throw new IOException("unknown cursor state format " + format);
        }
        int rangeCount = in.readUInt32();
        long ledger = markDelete.ledgerId();
        long end = markDelete.entryId() + 1;
        for (int i = 0; i < rangeCount; i++) {
            long delta = in.readUInt64();
            long start = in.readUInt64();
            long length = in.readUInt64();
            ledger += delta;
            long from = delta == 0 ? end + start : start;
            end = from + length;
            acks.ranges().add(Range.closedOpen(new Position(ledger, from), new Position(ledger, end)));
        }
        int batchCount = in.readUInt32();
        Position prev = markDelete;
        for (int i = 0; i < batchCount; i++) {
            long delta = in.readUInt64();
            long entry = in.readUInt64();
            Position p = delta == 0 ? new Position(prev.ledgerId(), prev.entryId() + entry)
                    : new Position(prev.ledgerId() + delta, entry);
            int wordCount = in.readUInt32();
            // sized by stored bytes, never by the number alone (a damaged state must not allocate gigabytes)
            if (wordCount < 0 || (long) wordCount * Long.BYTES > data.length - in.getTotalBytesRead()) {
                throw new IOException("cursor state names " + Integer.toUnsignedString(wordCount)
                        + " words of batch acknowledgements but holds fewer bytes");
            }
            long[] words = new long[wordCount];
            for (int w = 0; w < words.length; w++) {
                words[w] = in.readFixed64();
            }
            acks.batches().put(p, BitSet.valueOf(words));
            prev = p;
        }
        if (!in.isAtEnd()) {
            throw new IOException("cursor state has trailing bytes");
        }
        return acks;
    }

    /** The acknowledgements of a znode written before the compact form (repeated fields 2 and 5). */
    static Acks fromLegacy(CursorState state) {
        Acks acks = Acks.empty();
        for (PositionRange r : state.getAckedRangesList()) {
            Position from = new Position(r.getFrom().getLedgerId(), r.getFrom().getEntryId());
            Position to = new Position(r.getTo().getLedgerId(), r.getTo().getEntryId() + 1);
            acks.ranges().add(Range.closedOpen(from, to));
        }
        for (BatchIndexAcks b : state.getBatchAcksList()) {
            Position p = new Position(b.getPosition().getLedgerId(), b.getPosition().getEntryId());
            acks.batches().put(p, BitSet.valueOf(b.getAckedWordsList().stream().mapToLong(Long::longValue).toArray()));
        }
        return acks;
    }
}
