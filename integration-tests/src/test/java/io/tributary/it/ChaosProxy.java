package io.tributary.it;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP forwarder on the loopback interface that drops every live connection (with a reset, as a
 * crashed peer or a middlebox would) each time clients have sent another {@code cutEveryBytes}
 * bytes through it. Cutting on traffic rather than on a clock keeps the faults in step with the
 * work whatever the speed of the machine: between two cuts the client always gets
 * {@code cutEveryBytes} through, so a test makes progress as long as that exceeds what a
 * reconnecting client resends.
 */
public final class ChaosProxy implements AutoCloseable {
    private final ServerSocket server;
    private final InetSocketAddress upstream;
    private final long cutEveryBytes;
    private final AtomicLong sinceCut = new AtomicLong();
    private final AtomicInteger cuts = new AtomicInteger();
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicLong forwarded = new AtomicLong();
    private final Set<Socket> live = ConcurrentHashMap.newKeySet();
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "chaos-proxy");
        t.setDaemon(true);
        return t;
    });
    private volatile boolean closed;

    private ChaosProxy(InetSocketAddress upstream, long cutEveryBytes) throws IOException {
        this.upstream = upstream;
        this.cutEveryBytes = cutEveryBytes;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        threads.execute(this::acceptLoop);
    }

    /** Forwards a free loopback port to {@code upstreamPort} on the loopback interface. */
    static ChaosProxy start(int upstreamPort, long cutEveryBytes) throws IOException {
        return new ChaosProxy(new InetSocketAddress(InetAddress.getLoopbackAddress(), upstreamPort), cutEveryBytes);
    }

    /**
     * Forwards a free loopback port to {@code host:port} without cutting anything, as
     * {@code kubectl port-forward} does.
     */
    public static ChaosProxy forward(String host, int port) throws IOException {
        return new ChaosProxy(new InetSocketAddress(host, port), Long.MAX_VALUE);
    }

    /** Where clients connect: {@code host:port}. */
    public String address() {
        return server.getInetAddress().getHostAddress() + ":" + server.getLocalPort();
    }

    /** How many times the live connections were dropped. */
    int cuts() {
        return cuts.get();
    }

    /** How many client connections were accepted. */
    int connections() {
        return connections.get();
    }

    /** Bytes forwarded from clients upstream. */
    long forwarded() {
        return forwarded.get();
    }

    /** Drops every live connection now. */
    void cutAll() {
        cuts.incrementAndGet();
        for (Socket s : live) {
            reset(s);
        }
    }

    private void acceptLoop() {
        while (!closed) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                return; // closed
            }
            Socket up = new Socket();
            try {
                client.setTcpNoDelay(true);
                up.setTcpNoDelay(true);
                up.connect(upstream, 5000);
            } catch (IOException e) {
                reset(client);
                reset(up);
                continue;
            }
            connections.incrementAndGet();
            live.add(client);
            live.add(up);
            threads.execute(() -> pump(client, up, true));
            threads.execute(() -> pump(up, client, false));
        }
    }

    private void pump(Socket from, Socket to, boolean fromClient) {
        byte[] buf = new byte[16 * 1024];
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            int n;
            while ((n = in.read(buf)) >= 0) {
                out.write(buf, 0, n);
                if (fromClient) {
                    forwarded.addAndGet(n);
                    if (sinceCut.addAndGet(n) >= cutEveryBytes && sinceCut.getAndSet(0) >= cutEveryBytes) {
                        // the bytes just written went upstream: the server may act on them, but
                        // its answer is lost, the case that deduplication has to cover
                        cutAll();
                    }
                }
            }
        } catch (IOException e) {
            // cut, or the other side went away
        } finally {
            reset(from);
            reset(to);
        }
    }

    private void reset(Socket s) {
        live.remove(s);
        try {
            if (!s.isClosed()) {
                s.setSoLinger(true, 0);
            }
        } catch (SocketException e) {
            // not connected or already closed
        }
        try {
            s.close();
        } catch (IOException e) {
            // nothing left to do
        }
    }

    @Override
    public void close() throws IOException {
        closed = true;
        server.close();
        for (Socket s : live) {
            reset(s);
        }
        threads.shutdownNow();
    }
}
