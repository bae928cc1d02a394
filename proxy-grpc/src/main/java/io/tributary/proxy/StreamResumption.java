package io.tributary.proxy;

import java.util.List;

/**
 * What a {@link StreamForwarder} must remember of one stream to re-open it on a new owner when the topic
 * moves or its owner dies, without the client seeing it: the open request, and what the client sent that
 * the new owner must see again. One instance per stream; every method is called under the forwarder's
 * lock, so none needs its own.
 *
 * <p>The forwarder calls {@link #sent} for every client request it forwards on an open backend call,
 * {@link #queued} for a request that arrives while no backend call exists (a resumption looking for the
 * owner), {@link #received} for every broker response before relaying it, and {@link #replay} when it
 * opens a backend call on a new owner.
 */
interface StreamResumption<ReqT, RespT> {
    /** The {@code kind} label of the stream's metrics: {@code publish} or {@code subscribe}. */
    String kind();

    /** The client's open request (the stream's first request). */
    void opened(ReqT open);

    /** A client request forwarded to the current owner. */
    void sent(ReqT request);

    /** A client request that arrived while the stream is between owners: it goes to the next owner. */
    void queued(ReqT request);

    /**
     * A broker's response: what to relay to the client (the response itself or a replacement), or null to
     * swallow it (the second "opened" of a resumed stream).
     */
    RespT received(RespT response);

    /**
     * Requests the proxy itself sends the broker after {@link #received} (permits given back for
     * deliveries not passed on); drained by the call.
     */
    default List<ReqT> toBroker() {
        return List.of();
    }

    /** Whether the stream can be re-opened elsewhere now (a reader whose position is unknown cannot). */
    boolean resumable();

    /**
     * The requests to send to a new owner, in order: the open request first, then what the new owner must
     * see again. Called once per backend call opened for a resumption.
     */
    List<ReqT> replay();

    /** How many of the {@link #replay() replayed} requests the broker answers one by one (stall detection). */
    int repliesOwedAfterReplay();
}
