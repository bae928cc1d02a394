package io.tributary.client.impl;

import io.grpc.Status;
import io.tributary.api.v1.ErrorDetail;
import io.tributary.api.v1.ErrorReason;
import io.tributary.api.v1.MessagingServiceGrpc;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import javax.net.ssl.SSLException;

/**
 * Where one stream of one topic opens its next call: the service URL's channel, or in
 * {@link io.tributary.client.ConnectionMode#DIRECT} the owning broker's. It only chooses the
 * channel; whether and when to open again stays with the stream's session.
 *
 * <p>The decisions, on each loss the session reports ({@link #lost}):
 * <ul>
 *   <li>refused as NOT_OWNER or BUNDLE_MOVING with an owner's address: the next call goes there (at
 *       most {@link #MAX_REDIRECTS} times in a row without an open, then a lookup);</li>
 *   <li>the connection to a broker this client never reached could not be made (refused, no route,
 *       unknown host, a TLS handshake that failed): the topic's stream goes through the service URL
 *       from now on (a client outside the cluster, brokers advertising an address it cannot use, or
 *       whose certificates it does not trust);</li>
 *   <li>anything else (the broker went away, a refusal without an address): the next call looks the
 *       topic up again.</li>
 * </ul>
 * Thread-safe (the session calls it under its owner's lock; lookups complete on gRPC threads).
 */
public final class TopicRoute {
    /** Refusals naming an owner followed in a row without an open; the next one looks the topic up instead. */
    static final int MAX_REDIRECTS = 3;

    private final String topic;
    private final BrokerChannels brokers;
    private final MessagingServiceGrpc.MessagingServiceStub service;

    // guarded by this
    /** The broker the current call went to; null for the service URL. */
    private String address;
    /** Where the owner said the topic went; null to look it up. */
    private String redirect;
    /** Whether the topic's stream stays on the service URL. */
    private boolean throughService;
    /** Refusals naming an owner followed since the last open. */
    private int redirects;

    /**
     * @param topic the stream's topic
     * @param brokers the client's broker channels; null for a client in PROXY mode
     * @param service the messaging stub on the service URL's channel
     */
    public TopicRoute(String topic, BrokerChannels brokers, MessagingServiceGrpc.MessagingServiceStub service) {
        this.topic = topic;
        this.brokers = brokers;
        this.service = service;
        this.throughService = brokers == null || topic == null;
    }

    /** A route that always uses the service URL. */
    public static TopicRoute viaService(MessagingServiceGrpc.MessagingServiceStub service) {
        return new TopicRoute(null, null, service);
    }

    /**
     * The stub for the next call: at once through the service URL or to a known owner, otherwise
     * once the lookup answers. Fails as the lookup failed (the session treats that like a lost call).
     */
    public synchronized CompletableFuture<MessagingServiceGrpc.MessagingServiceStub> next() {
        if (throughService) {
            address = null;
            return CompletableFuture.completedFuture(service);
        }
        if (redirect != null) {
            String to = redirect;
            redirect = null;
            return CompletableFuture.completedFuture(use(to));
        }
        address = null;
        return brokers.lookup(topic).handle((found, t) -> {
            synchronized (this) {
                if (t == null) {
                    return found.isEmpty() ? fallBack("", "the lookup named no address") : use(found);
                }
                if (Status.fromThrowable(t).getCode() == Status.Code.UNIMPLEMENTED) {
                    // a service URL that does not look topics up: it must be the way in
                    return fallBack("", "the service URL does not answer Lookup");
                }
                throw t instanceof CompletionException ce ? ce : new CompletionException(t);
            }
        });
    }

    /** The call opened: its broker is reachable. */
    public synchronized void opened() {
        redirects = 0;
        if (address != null) {
            brokers.reached(address);
        }
    }

    /** The current call was lost with {@code cause} ({@code t}: the exception, if any): chooses where the next goes. */
    public synchronized void lost(ErrorDetail cause, Throwable t) {
        if (throughService || address == null) {
            return;
        }
        String failed = address;
        address = null;
        ErrorReason reason = cause.getReason();
        if ((reason == ErrorReason.NOT_OWNER || reason == ErrorReason.BUNDLE_MOVING)
                && !cause.getOwnerAddress().isEmpty() && redirects < MAX_REDIRECTS) {
            // brokers passing the topic round on stale knowledge end up in a lookup
            redirects++;
            redirect = cause.getOwnerAddress();
        } else if (connectionFailed(t) && !brokers.everReached(failed)) {
            fallBack(failed, String.valueOf(rootCause(t)));
        } else {
            redirect = null;
        }
    }

    private MessagingServiceGrpc.MessagingServiceStub use(String to) {
        MessagingServiceGrpc.MessagingServiceStub stub = brokers.stub(to);
        if (stub == null) {
            address = null;
            return service; // the client is closing: the call fails there
        }
        address = to;
        return stub;
    }

    private MessagingServiceGrpc.MessagingServiceStub fallBack(String failed, String why) {
        throughService = true;
        address = null;
        brokers.fellBack(topic, failed, why);
        return service;
    }

    /** Whether {@code t} says the connection could not be made (as opposed to a call lost on a working one). */
    static boolean connectionFailed(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof ConnectException || c instanceof NoRouteToHostException
                    || c instanceof UnknownHostException || c instanceof SSLException) {
                return true;
            }
            if (c.getCause() == c) {
                break;
            }
        }
        return false;
    }

    private static Throwable rootCause(Throwable t) {
        Throwable c = t;
        while (c != null && c.getCause() != null && c.getCause() != c) {
            c = c.getCause();
        }
        return c;
    }
}
