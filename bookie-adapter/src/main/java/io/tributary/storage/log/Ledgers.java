package io.tributary.storage.log;

import io.tributary.internal.v1.LedgerInfo;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.bookkeeper.client.api.BookKeeper;
import org.apache.bookkeeper.client.api.DigestType;
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
}
