package io.tributary.proxy;

import com.google.protobuf.MessageLite;
import io.grpc.Attributes;
import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerTransportFilter;
import io.grpc.Status;
import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.Counter;
import io.prometheus.client.Gauge;
import io.prometheus.client.Histogram;
import io.tributary.api.v1.ErrorDetail;
import io.tributary.api.v1.ErrorReason;
import io.tributary.metrics.MetricsServer;
import io.tributary.protocol.ErrorReasons;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The proxy's Prometheus metrics, named {@code tributary_proxy_<what>_<unit>}, in a registry of its own
 * with the JVM's metrics (several proxies may share a test JVM). Client connections are counted by a
 * {@link #connectionFilter() transport filter}, calls, streams and bytes by a {@link #interceptor() server
 * interceptor} around the public services; {@link OwnerLookup} counts lookups, the forwarders redirects.
 */
public final class ProxyMetrics {
    /** The {@code kind} label of a stream. */
    static final String PUBLISH = "publish";
    static final String SUBSCRIBE = "subscribe";

    private static final Attributes.Key<Boolean> COUNTED = Attributes.Key.create("tributary.proxy.connectionCounted");

    private final CollectorRegistry registry = MetricsServer.newRegistry();

    final Gauge connections = Gauge.build("tributary_proxy_connections", "Client connections open now")
            .register(registry);
    final Counter connectionsOpened = Counter.build("tributary_proxy_connections_opened_total",
            "Client connections accepted (after the TLS handshake, when TLS is on)").register(registry);
    final Counter connectionsClosed = Counter.build("tributary_proxy_connections_closed_total",
            "Client connections closed").register(registry);
    final Gauge activeStreams = Gauge.build("tributary_proxy_active_streams",
            "Publish and Subscribe streams open now, by kind").labelNames("kind").register(registry);
    final Counter calls = Counter.build("tributary_proxy_calls_total",
            "Calls of the public services that ended, by method (Service/Method) and gRPC status code")
            .labelNames("method", "code").register(registry);
    final Histogram forwardLatency = Histogram.build("tributary_proxy_forward_latency_seconds",
                    "Unary calls, from the client's request to the answer sent back (lookup and forwarding included), by method")
            .labelNames("method")
            .buckets(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
            .register(registry);
    final Counter bytesIn = Counter.build("tributary_proxy_bytes_in_total",
            "Bytes of the messages clients sent on streams (protobuf size), by kind").labelNames("kind").register(registry);
    final Counter bytesOut = Counter.build("tributary_proxy_bytes_out_total",
            "Bytes of the messages sent to clients on streams (protobuf size), by kind").labelNames("kind").register(registry);
    final Counter lookups = Counter.build("tributary_proxy_lookups_total",
            "Topic lookups sent to brokers, by result (ok, failed)").labelNames("result").register(registry);
    final Counter lookupCacheHits = Counter.build("tributary_proxy_lookup_cache_hits_total",
            "Owners found in the proxy's cache (or in a lookup already under way)").register(registry);
    final Counter lookupCacheMisses = Counter.build("tributary_proxy_lookup_cache_misses_total",
            "Owners not in the proxy's cache, so looked up").register(registry);
    final Counter redirects = Counter.build("tributary_proxy_redirects_total",
            "Owners changed under a call (NOT_OWNER, BUNDLE_MOVING, TOPIC_FENCED): calls retried at the new owner, "
                    + "or the new owner remembered for the client's reconnect, by reason").labelNames("reason")
            .register(registry);
    final Counter streamResumes = Counter.build("tributary_proxy_stream_resumes_total",
            "Publish and Subscribe streams the proxy moved to their topic's new owner after a move, an owner that "
                    + "stopped, died or stalled, by kind and outcome: resumed (the client saw nothing), failed (no owner "
                    + "took it in time, or a non-retriable error: the client's stream failed), abandoned (the client "
                    + "went away meanwhile)").labelNames("kind", "outcome").register(registry);
    final Histogram streamResumeSeconds = Histogram.build("tributary_proxy_stream_resume_seconds",
                    "How long streams were between owners, from the failure to the new owner's answer (or giving up), by kind")
            .labelNames("kind")
            .buckets(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30)
            .register(registry);
    final Counter rejections = Counter.build("tributary_proxy_rejections_total",
            "Calls that ended with an error naming a reason (the proxy's own or a broker's relayed), by ErrorReason")
            .labelNames("reason").register(registry);

    public CollectorRegistry registry() {
        return registry;
    }

    /** Counts client connections; add it to the server builder. */
    ServerTransportFilter connectionFilter() {
        return new ServerTransportFilter() {
            @Override
            public Attributes transportReady(Attributes attrs) {
                connections.inc();
                connectionsOpened.inc();
                return attrs.toBuilder().set(COUNTED, Boolean.TRUE).build();
            }

            @Override
            public void transportTerminated(Attributes attrs) {
                // a connection whose handshake failed was never counted as open
                if (attrs != null && Boolean.TRUE.equals(attrs.get(COUNTED))) {
                    connections.dec();
                    connectionsClosed.inc();
                }
            }
        };
    }

    /** Counts the calls of a public service; outermost, so it sees the refusals of the interceptors inside. */
    ServerInterceptor interceptor() {
        return new ServerInterceptor() {
            @Override
            public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                               ServerCallHandler<Q, R> next) {
                return new Observed<>(call, headers, next).listener;
            }
        };
    }

    /** The service's simple name and the method: {@code MessagingService/Publish}. */
    static String methodLabel(MethodDescriptor<?, ?> method) {
        String service = method.getServiceName();
        String simple = service == null ? "" : service.substring(service.lastIndexOf('.') + 1);
        return simple + "/" + method.getBareMethodName();
    }

    /** The stream kind of a bidirectional method ({@code publish}, {@code subscribe}), or null for a unary one. */
    static String streamKind(MethodDescriptor<?, ?> method) {
        if (method.getType() != MethodDescriptor.MethodType.BIDI_STREAMING) {
            return null;
        }
        return method.getBareMethodName().toLowerCase(Locale.ROOT);
    }

    /** Counts a redirect the proxy followed, by the broker's reason. */
    void redirect(ErrorReason reason) {
        redirects.labels(reason.name()).inc();
    }

    /** Counts a stream resumption that ended, with how long it took. */
    void streamResume(String kind, String outcome, double seconds) {
        streamResumes.labels(kind, outcome).inc();
        streamResumeSeconds.labels(kind).observe(seconds);
    }

    /** One call, from its start to its end (close, or cancellation without a close). */
    private final class Observed<Q, R> {
        final String method;
        final String kind;
        final long startNanos = System.nanoTime();
        final AtomicBoolean ended = new AtomicBoolean();
        final ServerCall.Listener<Q> listener;

        Observed(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
            method = methodLabel(call.getMethodDescriptor());
            kind = streamKind(call.getMethodDescriptor());
            if (kind != null) {
                activeStreams.labels(kind).inc();
            }
            ServerCall<Q, R> counted = new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
                @Override
                public void sendMessage(R message) {
                    if (kind != null && message instanceof MessageLite m) {
                        bytesOut.labels(kind).inc(m.getSerializedSize());
                    }
                    super.sendMessage(message);
                }

                @Override
                public void close(Status status, Metadata trailers) {
                    ended(status, trailers);
                    super.close(status, trailers);
                }
            };
            ServerCall.Listener<Q> inner;
            try {
                inner = next.startCall(counted, headers);
            } catch (RuntimeException e) {
                ended(Status.fromThrowable(e), null);
                throw e;
            }
            listener = new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(inner) {
                @Override
                public void onMessage(Q message) {
                    if (kind != null && message instanceof MessageLite m) {
                        bytesIn.labels(kind).inc(m.getSerializedSize());
                    }
                    super.onMessage(message);
                }

                @Override
                public void onCancel() {
                    ended(Status.CANCELLED, null);
                    super.onCancel();
                }

                @Override
                public void onComplete() {
                    ended(Status.OK, null); // only counts if the call was not closed through this interceptor
                    super.onComplete();
                }
            };
        }

        void ended(Status status, Metadata trailers) {
            if (!ended.compareAndSet(false, true)) {
                return;
            }
            calls.labels(method, status.getCode().name()).inc();
            if (kind != null) {
                activeStreams.labels(kind).dec();
            } else {
                forwardLatency.labels(method).observe((System.nanoTime() - startNanos) / 1e9);
            }
            if (!status.isOk() && trailers != null && trailers.containsKey(ErrorReasons.DETAIL_KEY)) {
                ErrorDetail detail = trailers.get(ErrorReasons.DETAIL_KEY);
                if (detail != null) {
                    rejections.labels(detail.getReason().name()).inc();
                }
            }
        }
    }
}
