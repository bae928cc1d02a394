package io.tributary.client.impl;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.tributary.client.Authentication;
import io.tributary.client.TlsOptions;
import io.tributary.client.TributaryClientException;
import io.tributary.client.impl.auth.TokenAuthentication;
import io.tributary.protocol.security.BearerCredentials;
import io.tributary.protocol.security.ClientTls;
import io.tributary.protocol.security.TlsFiles;
import java.io.UncheckedIOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The security of the client's and the admin client's channels: TLS from the options or the
 * service URL's scheme, and a bearer token on every call. Shared so both connect the same way.
 */
public final class ClientChannels {
    private static final Logger LOG = LoggerFactory.getLogger(ClientChannels.class);

    private ClientChannels() {}

    /** The channel's transport settings, checked when the builder builds. */
    public record Security(TlsFiles tls, TokenAuthentication authentication) {}

    /**
     * The security of a connection to {@code serviceUrl}: TLS when options are given or the URL has
     * a TLS scheme (then trusting the JDK's CAs); the token source of {@code authentication} (null:
     * none).
     */
    public static Security security(String serviceUrl, TlsOptions tls, Authentication authentication)
            throws TributaryClientException {
        TlsFiles files = null;
        if (tls != null) {
            files = new TlsFiles(tls.certFile(), tls.keyFile(), tls.trustCertsFile(), tls.serverName());
        } else if (ClientBuilderImpl.hasTlsScheme(serviceUrl)) {
            files = new TlsFiles(null, null, null);
        }
        TokenAuthentication auth = null;
        if (authentication != null) {
            if (!(authentication instanceof TokenAuthentication t)) {
                throw new IllegalArgumentException("unknown authentication " + authentication.getClass().getName()
                        + ": use the factories of Authentication");
            }
            auth = t;
        }
        if (auth != null && files == null && !isLoopback(ClientBuilderImpl.target(serviceUrl))) {
            LOG.warn("The client sends its token to {} without TLS: anyone on the network path can read it",
                    serviceUrl);
        }
        return new Security(files, auth);
    }

    /** {@code builder} with TLS as {@code security} says, or plaintext; fails clearly on unreadable TLS files. */
    public static NettyChannelBuilder transport(NettyChannelBuilder builder, Security security)
            throws TributaryClientException {
        try {
            return ClientTls.apply(builder, security.tls());
        } catch (UncheckedIOException e) {
            throw new TributaryClientException(io.tributary.api.v1.ErrorReason.INVALID_REQUEST,
                    e.getMessage(), e);
        }
    }

    /** {@code channel} with the bearer token put on every call, or {@code channel} itself without authentication. */
    public static Channel withCredentials(ManagedChannel channel, Security security) {
        TokenAuthentication auth = security.authentication();
        if (auth == null) {
            return channel;
        }
        // per call, not per channel: each new call and stream carries the token current at its start
        BearerCredentials credentials = new BearerCredentials(auth::token);
        return ClientInterceptors.intercept(channel, new ClientInterceptor() {
            @Override
            public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options,
                                                         Channel next) {
                return next.newCall(method, options.withCallCredentials(credentials));
            }
        });
    }

    private static boolean isLoopback(String target) {
        String host = target.substring(0, target.lastIndexOf(':'));
        return host.equals("localhost") || host.startsWith("127.") || host.equals("[::1]");
    }
}
