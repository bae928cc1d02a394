package io.tributary.storage.cursor;

import com.google.common.base.Preconditions;
import io.tributary.api.v1.ErrorReason;
import io.tributary.protocol.TributaryException;
import io.tributary.storage.cursor.ManagedCursor.Start;
import io.tributary.storage.log.LogReader;
import io.tributary.storage.meta.MetadataStore;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import org.apache.bookkeeper.client.api.BookKeeper;

/**
 * Opens the durable cursor of one subscription of a log, in the way of BookKeeper's
 * {@code newOpenLedgerOp()}:
 * <pre>{@code
 * ManagedCursor.newOpenOp(log).name("sub").start(Start.EARLIEST).createIfMissing(true)
 *         .metadataStore(store).bookKeeper(bk).scheduler(scheduler).config(cursorConfig)
 *         .execute();
 * }</pre>
 * The cursor is created on the log's executor and runs there (see {@link ManagedCursor}).
 */
public final class OpenCursorOp {
    private final LogReader log;
    private String name;
    private Start start = Start.LATEST;
    private boolean createIfMissing;
    private MetadataStore store;
    private BookKeeper bk;
    private ScheduledExecutorService scheduler;
    private CursorConfig config = CursorConfig.DEFAULT;

    OpenCursorOp(LogReader log) {
        this.log = Preconditions.checkNotNull(log, "log");
    }

    /** The subscription's name. Required. */
    public OpenCursorOp name(String subscription) {
        this.name = subscription;
        return this;
    }

    /** Where a cursor created by this op starts (default {@link Start#LATEST}). */
    public OpenCursorOp start(Start start) {
        this.start = Preconditions.checkNotNull(start, "start");
        return this;
    }

    /** Create the cursor if it does not exist (default false: the op then completes with null). */
    public OpenCursorOp createIfMissing(boolean create) {
        this.createIfMissing = create;
        return this;
    }

    /** Where the cursor's znode lives. Required. */
    public OpenCursorOp metadataStore(MetadataStore store) {
        this.store = store;
        return this;
    }

    /**
     * The client for cursor ledgers. Without one (the default) the state stays in the znode
     * whatever its size (it then grows towards ZooKeeper's 1 MiB limit, about 300,000 holes), and a
     * cursor whose state is in a ledger fails to open.
     */
    public OpenCursorOp bookKeeper(BookKeeper bk) {
        this.bk = bk;
        return this;
    }

    /** Times the persist interval; the flush itself runs on the log's executor. Required. */
    public OpenCursorOp scheduler(ScheduledExecutorService scheduler) {
        this.scheduler = scheduler;
        return this;
    }

    /** How the cursor persists (default {@link CursorConfig#DEFAULT}). */
    public OpenCursorOp config(CursorConfig config) {
        this.config = Preconditions.checkNotNull(config, "config");
        return this;
    }

    /**
     * Opens the cursor, creating it at {@link #start} if it does not exist and {@link #createIfMissing};
     * completes (on the log's executor) with null if it does not exist and may not be created.
     */
    public CompletableFuture<ManagedCursor> execute() {
        Preconditions.checkState(name != null && !name.isEmpty(), "a cursor needs a name");
        Preconditions.checkState(store != null, "a durable cursor needs a metadata store");
        Preconditions.checkState(scheduler != null, "a durable cursor needs a scheduler");
        if (name.contains("/") || name.equals(".") || name.equals("..")) {
            // the name is one znode under the topic's cursors: never a path (the broker checks the full
            // name rule where names enter; stored names of an older broker still open)
            return CompletableFuture.failedFuture(new TributaryException(ErrorReason.INVALID_REQUEST,
                    "a cursor's name is one znode name, not '" + name + "'"));
        }
        return ManagedCursor.open(store, bk, log, name, start, createIfMissing, scheduler, config);
    }
}
