package io.tributary.protocol.security;

import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NegotiationType;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.OpenSslSessionContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import javax.net.ssl.SSLException;

/**
 * TLS for a client channel (SDK, proxy to broker, broker to broker) from PEM files.
 *
 * <p>The files are re-read when they change (looked at, at most once a second, when a new connection
 * needs them), so a long-lived client presents a rotated certificate and trusts a rotated CA on its
 * next connection without a restart; connections already open are unaffected. The key may be PKCS#8
 * ({@code BEGIN PRIVATE KEY}), PKCS#1 ({@code BEGIN RSA PRIVATE KEY}) or SEC1 ({@code BEGIN EC
 * PRIVATE KEY}), not encrypted. The server's certificate must chain to the trusted CAs and name the
 * host dialled, or {@link TlsFiles#serverName()} when that is set (see {@link #apply}). TLS sessions
 * are not resumed when files are given: a resumed session would skip the reading.
 */
public final class ClientTls {
    private ClientTls() {}

    /**
     * A client TLS context: trusts {@code files.trustCertsFile()} (or the JDK's default CAs when it
     * is null), presents {@code files.certFile()} if set. Fails naming the file that cannot be read.
     */
    public static SslContext context(TlsFiles files) {
        try {
            SslContextBuilder b = GrpcSslContexts.forClient();
            if (files.trustCertsFile() != null || files.certFile() != null) {
                ReloadingClientMaterial material = ReloadingClientMaterial.read(files);
                if (files.trustCertsFile() != null) {
                    b.trustManager(material.trustManager());
                }
                if (files.certFile() != null) {
                    b.keyManager(material.keyManager());
                }
            }
            if (files.trustCertsFile() != null || files.certFile() != null) {
                // a resumed session skips the certificate checks and choices, so it would carry on
                // with the files read before a rotation; gRPC connections are long-lived, and a full
                // handshake at each new one costs little
                b.sessionTimeout(1);
            }
            SslContext context = b.build();
            if ((files.trustCertsFile() != null || files.certFile() != null)
                    && context.sessionContext() instanceof OpenSslSessionContext openSsl) {
                openSsl.setSessionCacheEnabled(false);
            }
            return context;
        } catch (SSLException e) {
            throw new UncheckedIOException("cannot read the TLS files " + files + ": " + e.getMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException(new IOException("cannot use the TLS files " + files + ": " + e.getMessage(), e));
        }
    }

    /**
     * TLS with {@code files}, or plaintext when {@code files} is null. With a
     * {@link TlsFiles#serverName() server name} the channel's authority becomes that name: grpc-netty
     * opens its TLS engine for the authority's host, so the name is what the server's certificate is
     * verified against (endpoint identification "HTTPS": a DNS name in its subject alternative names)
     * and what is sent as SNI, while the connection still goes to the address dialled. Verification
     * stays whole: chain to the trusted CAs, and that name.
     */
    public static NettyChannelBuilder apply(NettyChannelBuilder builder, TlsFiles files) {
        if (files == null) {
            return builder.usePlaintext();
        }
        builder.negotiationType(NegotiationType.TLS).sslContext(context(files));
        if (files.serverName() != null) {
            builder.overrideAuthority(files.serverName());
        }
        return builder;
    }
}
