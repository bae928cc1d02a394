package io.tributary.broker.dispatch;

import io.tributary.storage.log.LogEntry;
import io.tributary.storage.log.ManagedLog;
import io.tributary.storage.log.Position;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * A log of one ledger held in memory, with only what a subscription reads from it. It is built as
 * a proxy so that it keeps compiling when the log interface gains or loses methods a subscription
 * does not use; those throw.
 */
final class InMemoryLog {
    static final long LEDGER = 7;

    private final List<byte[]> entries = new ArrayList<>();
    private final List<CompletableFuture<Void>> waiters = new ArrayList<>();
    private final ManagedLog log = (ManagedLog) Proxy.newProxyInstance(ManagedLog.class.getClassLoader(),
            new Class<?>[] {ManagedLog.class}, (proxy, method, args) -> call(method.getName(), args));

    ManagedLog log() {
        return log;
    }

    /** Appends entries at once (one reader wake-up for all of them); returns their positions. */
    List<Position> append(List<byte[]> data) {
        List<CompletableFuture<Void>> wake;
        List<Position> out = new ArrayList<>();
        synchronized (this) {
            for (byte[] d : data) {
                out.add(new Position(LEDGER, entries.size()));
                entries.add(d);
            }
            wake = new ArrayList<>(waiters);
            waiters.clear();
        }
        wake.forEach(w -> w.complete(null));
        return out;
    }

    private synchronized Object call(String method, Object[] args) {
        switch (method) {
            case "name":
                return "persistent://public/default/in-memory";
            case "lastConfirmed":
                return new Position(LEDGER, entries.size() - 1);
            case "firstPosition":
                return new Position(LEDGER, 0);
            case "endPosition":
                return new Position(LEDGER, entries.size());
            case "nextPosition": {
                Position p = (Position) args[0];
                return new Position(LEDGER, Math.max(0, p.entryId() + 1));
            }
            case "readAsync": {
                Position from = (Position) args[0];
                int max = (Integer) args[1];
                List<LogEntry> out = new ArrayList<>();
                for (long i = Math.max(0, from.entryId()); i < entries.size() && out.size() < max; i++) {
                    out.add(new LogEntry(new Position(LEDGER, i), entries.get((int) i)));
                }
                return CompletableFuture.completedFuture(out);
            }
            case "waitForEntriesAfter": {
                Position p = (Position) args[0];
                if (p.entryId() < entries.size() - 1) {
                    return CompletableFuture.completedFuture(null);
                }
                CompletableFuture<Void> f = new CompletableFuture<>();
                waiters.add(f);
                return f;
            }
            case "entriesFrom":
                return Math.max(0, entries.size() - ((Position) args[0]).entryId());
            case "sizeBytesFrom": {
                long n = 0;
                for (long i = Math.max(0, ((Position) args[0]).entryId()); i < entries.size(); i++) {
                    n += entries.get((int) i).length;
                }
                return n;
            }
            case "hashCode":
                return System.identityHashCode(this);
            case "equals":
                return args[0] == log;
            case "toString":
                return "InMemoryLog";
            default:
                throw new UnsupportedOperationException(method);
        }
    }
}
