package io.tributary.protocol.security;

import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NegotiationType;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import javax.net.ssl.SSLException;

/** TLS for a client channel (SDK, proxy to broker, broker to broker) from PEM files. */
public final class ClientTls {
    private ClientTls() {}

    /** A client TLS context: trusts {@code files.trustCertsFile()}, presents {@code files.certFile()} if set. */
    public static SslContext context(TlsFiles files) {
        try {
            SslContextBuilder b = GrpcSslContexts.forClient();
            if (files.trustCertsFile() != null) {
                b.trustManager(files.trustCertsFile().toFile());
            }
            if (files.certFile() != null) {
                b.keyManager(files.certFile().toFile(), files.keyFile().toFile());
            }
            return b.build();
        } catch (SSLException e) {
            throw new UncheckedIOException("cannot read the TLS files " + files + ": " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new UncheckedIOException(new IOException("cannot read the TLS files " + files + ": " + e.getMessage(), e));
        }
    }

    /** TLS with {@code files}, or plaintext when {@code files} is null. */
    public static NettyChannelBuilder apply(NettyChannelBuilder builder, TlsFiles files) {
        if (files == null) {
            return builder.usePlaintext();
        }
        return builder.negotiationType(NegotiationType.TLS).sslContext(context(files));
    }
}
