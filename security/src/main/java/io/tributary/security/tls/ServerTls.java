package io.tributary.security.tls;

import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;

/**
 * The TLS of one listener, whose certificate, key and trusted CAs are re-read when their files
 * change (cert-manager rotation needs no restart). Build the server with
 * {@code NettyServerBuilder.sslContext(tls.sslContext())}; close it when the server stops.
 */
public final class ServerTls implements AutoCloseable {
    private ServerTls() {}

    /** Reads the files of {@code settings} (failing with a message naming the bad file) and starts watching them. */
    public static ServerTls start(ServerTlsSettings settings) {
        throw new UnsupportedOperationException("TODO(h11-tls)");
    }

    /** The context to build the server with; new handshakes use the files as last read. */
    public SslContext sslContext() {
        throw new UnsupportedOperationException("TODO(h11-tls)");
    }

    @Override
    public void close() {}
}
