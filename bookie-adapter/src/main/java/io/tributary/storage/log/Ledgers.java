package io.tributary.storage.log;

import io.tributary.internal.v1.LedgerInfo;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.Function;
import org.apache.bookkeeper.client.api.BookKeeper;
import org.apache.bookkeeper.client.api.DigestType;
import org.apache.bookkeeper.client.api.LedgerEntries;
import org.apache.bookkeeper.client.api.LedgerEntry;
import org.apache.bookkeeper.client.api.ReadHandle;
import org.apache.bookkeeper.client.api.WriteHandle;

/**
 * How the log's ledgers are made in BookKeeper: one digest, one password, one way to create them.
 * Cursor ledgers use the same digest and password, so operators' tools open both alike.
 */
public final class Ledgers {
    public static final byte[] PASSWORD = "tributary".getBytes(StandardCharsets.UTF_8);
    public static final DigestType DIGEST = DigestType.CRC32C;

    private Ledgers() {}

    static CompletableFuture<WriteHandle> create(BookKeeper bk, ManagedLogConfig config, String name) {
        return bk.newCreateLedgerOp()
                .withEnsembleSize(config.ensembleSize())
                .withWriteQuorumSize(config.writeQuorum())
                .withAckQuorumSize(config.ackQuorum())
                .withDigestType(DIGEST)
                .withPassword(PASSWORD)
                .withCustomMetadata(Map.of("tributary-log", name.getBytes(StandardCharsets.UTF_8)))
                .execute();
    }

    /** The metadata of a ledger just created for writing: entries -1 marks it open. */
    static LedgerInfo openLedgerInfo(long ledgerId) {
        return LedgerInfo.newBuilder().setLedgerId(ledgerId).setEntries(-1).setCreatedMs(System.currentTimeMillis()).build();
    }

    /** Closes a ledger that will never be written and deletes it. */
    static void discard(BookKeeper bk, WriteHandle handle) {
        handle.closeAsync().whenComplete((v, e) -> bk.newDeleteLedgerOp().withLedgerId(handle.getId()).execute());
    }

    /** Opens a ledger with recovery: fences any writer and closes it at its real last entry. */
    static CompletableFuture<ReadHandle> openWithRecovery(BookKeeper bk, long ledgerId) {
        return bk.newOpenLedgerOp().withLedgerId(ledgerId).withRecovery(true)
                .withDigestType(DIGEST).withPassword(PASSWORD).execute();
    }

    /**
     * Reads the entries of {@code h} from {@code from} to its last confirmed one, in chunks, and merges
     * the highest sequence id per producer into {@code sequences}; nothing when {@code sequenceOf} is null.
     */
    static CompletableFuture<Void> replaySequences(ReadHandle h, long from, Function<byte[], SequenceMark> sequenceOf,
                                                   Map<String, Long> sequences) {
        return replaySequences(h, from, sequenceOf, sequences, null);
    }

    /** Entries read at a time while replaying; the next chunk is read while one is processed. */
    static final int REPLAY_CHUNK = 500;

    /** As above, and hands each entry's mark and position to {@code batches} (when not null). */
    static CompletableFuture<Void> replaySequences(ReadHandle h, long from, Function<byte[], SequenceMark> sequenceOf,
                                                   Map<String, Long> sequences, Consumer<RecoveredBatch> batches) {
        if (sequenceOf == null || from > h.getLastAddConfirmed()) {
            return CompletableFuture.completedFuture(null);
        }
        return replayChunks(h, from, readChunk(h, from), sequenceOf, sequences, batches);
    }

    private static CompletableFuture<LedgerEntries> readChunk(ReadHandle h, long from) {
        return h.readAsync(from, Math.min(h.getLastAddConfirmed(), from + REPLAY_CHUNK - 1));
    }

    /** Processes the chunk starting at {@code from} once read, with the read of the one after it under way. */
    private static CompletableFuture<Void> replayChunks(ReadHandle h, long from, CompletableFuture<LedgerEntries> chunk,
                                                        Function<byte[], SequenceMark> sequenceOf,
                                                        Map<String, Long> sequences, Consumer<RecoveredBatch> batches) {
        return chunk.thenCompose(entries -> {
            long next = Math.min(h.getLastAddConfirmed(), from + REPLAY_CHUNK - 1) + 1;
            CompletableFuture<LedgerEntries> following = next > h.getLastAddConfirmed() ? null : readChunk(h, next);
            try (entries) {
                for (LedgerEntry e : entries) {
                    SequenceMark m = sequenceOf.apply(e.getEntryBytes());
                    if (m != null) {
                        sequences.merge(m.producerName(), m.lastSequenceId(), Math::max);
                        if (batches != null) {
                            batches.accept(new RecoveredBatch(m.producerName(), m.lastSequenceId(),
                                    new Position(h.getId(), e.getEntryId())));
                        }
                    }
                }
            } catch (RuntimeException e) {
                if (following != null) {
                    following.thenAccept(LedgerEntries::close);
                }
                throw e;
            }
            return following == null ? CompletableFuture.<Void>completedFuture(null)
                    : replayChunks(h, next, following, sequenceOf, sequences, batches);
        });
    }
}
