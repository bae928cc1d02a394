package io.tributary.proxy;

import io.tributary.api.v1.ProducerOpened;
import io.tributary.api.v1.PublishRequest;
import io.tributary.api.v1.PublishResponse;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Publish stream's memory for resumption: the producer name the broker gave in {@code ProducerOpened},
 * and every batch ({@code PublishBatch} or {@code PublishMessages}) forwarded and not yet answered, in the
 * order sent. A broker answers a stream's batches in the order sent, so each {@code ack} or {@code error}
 * answers the oldest one.
 *
 * <p>On a new owner the open goes again under the producer name the first owner gave, and every unanswered
 * batch follows in order with its sequence ids: the new owner's de-duplication (which survives owners)
 * answers those already stored as duplicates, and the client receives one answer per batch, in order, as
 * if nothing had happened. The new owner's {@code ProducerOpened} is swallowed once the client has had one.
 *
 * <p>Memory: the batches kept are exactly those forwarded and unanswered. The proxy forwards the client's
 * next request only while the backend call is ready, and a broker stops reading a producer's stream while
 * {@code broker.maxPendingPublishes} appends are in flight; so what is kept is at most that many batches
 * plus what fits in the HTTP/2 flow-control window towards the broker and gRPC's send buffer, plus one.
 * While the stream is between owners the proxy reads at most one more request from the client.
 */
final class PublishResumption implements StreamResumption<PublishRequest, PublishResponse> {
    private static final Logger LOG = LoggerFactory.getLogger(PublishResumption.class);

    private PublishRequest open;
    /** the name the broker gave (or confirmed); null until the first ProducerOpened */
    private String producerName;
    private final ArrayDeque<PublishRequest> unanswered = new ArrayDeque<>();

    @Override
    public String kind() {
        return ProxyMetrics.PUBLISH;
    }

    @Override
    public void opened(PublishRequest request) {
        open = request;
    }

    @Override
    public void sent(PublishRequest request) {
        if (request.hasBatch() || request.hasMessages()) {
            unanswered.addLast(request);
        }
    }

    @Override
    public void queued(PublishRequest request) {
        sent(request); // replayed with the unanswered ones, in order
    }

    @Override
    public PublishResponse received(PublishResponse response) {
        switch (response.getResponseCase()) {
            case OPENED -> {
                ProducerOpened o = response.getOpened();
                if (producerName == null) {
                    producerName = o.getProducerName();
                    return response;
                }
                // a resumed stream: the client has its ProducerOpened already
                if (!producerName.equals(o.getProducerName())) {
                    LOG.warn("Publish {}: the new owner opened the producer as {}, not {}", open.getOpen().getTopic(),
                            o.getProducerName(), producerName);
                }
                PublishRequest first = unanswered.peekFirst();
                LOG.debug("Publish {}: producer {} re-opened; the owner has stored up to sequence id {}, {} batch(es) "
                                + "resent from {}", open.getOpen().getTopic(), producerName, o.getLastSequenceId(),
                        unanswered.size(), first == null ? "-" : sequenceId(first));
                return null;
            }
            case ACK, ERROR -> unanswered.pollFirst();
            default -> { }
        }
        return response;
    }

    private static long sequenceId(PublishRequest r) {
        return r.hasBatch() ? r.getBatch().getSequenceId() : r.getMessages().getSequenceId();
    }

    @Override
    public boolean resumable() {
        return open != null;
    }

    @Override
    public List<PublishRequest> replay() {
        List<PublishRequest> out = new ArrayList<>(unanswered.size() + 1);
        if (producerName != null && !producerName.equals(open.getOpen().getProducerName())) {
            out.add(open.toBuilder().setOpen(open.getOpen().toBuilder().setProducerName(producerName)).build());
        } else {
            out.add(open);
        }
        out.addAll(unanswered);
        return out;
    }

    @Override
    public int repliesOwedAfterReplay() {
        return unanswered.size() + 1;
    }

    /** Batches kept for a resumption now (for tests). */
    int unansweredCount() {
        return unanswered.size();
    }
}
