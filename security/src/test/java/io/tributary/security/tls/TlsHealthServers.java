package io.tributary.security.tls;

import io.grpc.Server;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.tributary.protocol.security.ServerTlsSettings;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A real gRPC server at 127.0.0.1 with TLS from PEM files and only the health service, for client TLS tests. */
final class TlsHealthServers {
    private TlsHealthServers() {}

    /**
     * Serves the health service with {@code settings} on a free loopback port, every call passing {@code recorder};
     * what must be closed afterwards (the TLS material and the server) is added to {@code closing}.
     */
    static int serve(ServerTlsSettings settings, ServerInterceptor recorder, List<AutoCloseable> closing) {
        ServerTls tls = ServerTls.start(settings);
        closing.add(tls);
        try {
            Server s = NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                    .sslContext(tls.sslContext())
                    .addService(ServerInterceptors.intercept(new HealthStatusManager().getHealthService(), recorder))
                    .build()
                    .start();
            closing.add(() -> s.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
            return s.getPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
