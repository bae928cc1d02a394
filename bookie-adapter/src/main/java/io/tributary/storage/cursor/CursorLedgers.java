package io.tributary.storage.cursor;

import io.tributary.storage.log.Ledgers;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.bookkeeper.client.api.BKException;
import org.apache.bookkeeper.client.api.BookKeeper;
import org.apache.bookkeeper.client.api.LedgerEntries;
import org.apache.bookkeeper.client.api.LedgerEntry;
import org.apache.bookkeeper.client.api.ReadHandle;
import org.apache.bookkeeper.client.api.WriteHandle;

/**
 * Cursor ledgers: closed BookKeeper ledgers that hold a cursor's encoded acknowledgement state
 * when it is too large for its znode. A cursor ledger is written once, closed, and then named by
 * the znode; it is never appended to again, so reading it needs no recovery.
 */
final class CursorLedgers {
    private CursorLedgers() {}

    /** Writes {@code state} in chunks to a new ledger and closes it; completes with the ledger id. */
    static CompletableFuture<Long> write(BookKeeper bk, CursorConfig config, String log, String subscription, byte[] state) {
        return bk.newCreateLedgerOp()
                .withEnsembleSize(config.ensembleSize())
                .withWriteQuorumSize(config.writeQuorum())
                .withAckQuorumSize(config.ackQuorum())
                .withDigestType(Ledgers.DIGEST)
                .withPassword(Ledgers.PASSWORD)
                .withCustomMetadata(Map.of(
                        "tributary-log", log.getBytes(StandardCharsets.UTF_8),
                        "tributary-cursor", subscription.getBytes(StandardCharsets.UTF_8)))
                .execute()
                .thenCompose(handle -> appendAndClose(handle, config.ledgerEntryBytes(), state)
                        .exceptionallyCompose(e -> {
                            // a half-written ledger is of no use to anyone
                            handle.closeAsync().whenComplete((v, ce) -> delete(bk, handle.getId()));
                            return CompletableFuture.failedFuture(e);
                        }));
    }

    private static CompletableFuture<Long> appendAndClose(WriteHandle handle, int chunk, byte[] state) {
        List<CompletableFuture<Long>> appends = new ArrayList<>();
        for (int off = 0; off < state.length; off += chunk) {
            appends.add(handle.appendAsync(state, off, Math.min(chunk, state.length - off)));
        }
        return CompletableFuture.allOf(appends.toArray(CompletableFuture[]::new))
                .thenCompose(v -> handle.closeAsync())
                .thenApply(v -> handle.getId());
    }

    /** Reads the whole state back from a closed cursor ledger. */
    static CompletableFuture<byte[]> read(BookKeeper bk, long ledgerId) {
        return bk.newOpenLedgerOp().withLedgerId(ledgerId).withRecovery(false)
                .withDigestType(Ledgers.DIGEST).withPassword(Ledgers.PASSWORD).execute()
                .thenCompose(handle -> readAll(handle).whenComplete((v, e) -> handle.closeAsync()));
    }

    private static CompletableFuture<byte[]> readAll(ReadHandle handle) {
        long last = handle.getLastAddConfirmed();
        if (last < 0) {
            return CompletableFuture.completedFuture(new byte[0]);
        }
        return handle.readAsync(0, last).thenApply(entries -> {
            try (LedgerEntries es = entries) {
                ByteArrayOutputStream out = new ByteArrayOutputStream((int) Math.min(handle.getLength(), Integer.MAX_VALUE));
                for (LedgerEntry e : es) {
                    out.writeBytes(e.getEntryBytes());
                }
                return out.toByteArray();
            }
        });
    }

    /** Deletes a cursor ledger; one that does not exist (any more) is not an error. */
    static CompletableFuture<Void> delete(BookKeeper bk, long ledgerId) {
        return bk.newDeleteLedgerOp().withLedgerId(ledgerId).execute()
                .exceptionallyCompose(e -> isNoSuchLedger(e)
                        ? CompletableFuture.completedFuture(null) : CompletableFuture.failedFuture(e));
    }

    static boolean isNoSuchLedger(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof BKException bke
                    && (bke.getCode() == BKException.Code.NoSuchLedgerExistsException
                    || bke.getCode() == BKException.Code.NoSuchLedgerExistsOnMetadataServerException)) {
                return true;
            }
        }
        return false;
    }
}
