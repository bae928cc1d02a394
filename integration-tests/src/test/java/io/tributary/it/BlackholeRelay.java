package io.tributary.it;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A TCP relay on loopback that can cut a link: {@link #cut()} resets every live connection and
 * refuses new ones (closes them at once) until {@link #heal()}, as a partition between two
 * processes would look to the one that connects.
 */
final class BlackholeRelay implements AutoCloseable {
    private final ServerSocket server;
    private final InetSocketAddress upstream;
    private final Set<Socket> live = ConcurrentHashMap.newKeySet();
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "blackhole-relay");
        t.setDaemon(true);
        return t;
    });
    private volatile boolean cut;
    private volatile boolean closed;

    BlackholeRelay(int upstreamPort) throws IOException {
        this.upstream = new InetSocketAddress(InetAddress.getLoopbackAddress(), upstreamPort);
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        threads.execute(this::acceptLoop);
    }

    /** Where clients connect: {@code host:port}. */
    String address() {
        return server.getInetAddress().getHostAddress() + ":" + server.getLocalPort();
    }

    /** Resets every live connection and refuses new ones until {@link #heal()}. */
    void cut() {
        cut = true;
        for (Socket s : live) {
            reset(s);
        }
    }

    void heal() {
        cut = false;
    }

    private void acceptLoop() {
        while (!closed) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                return;
            }
            if (cut) {
                reset(client);
                continue;
            }
            threads.execute(() -> {
                Socket up = new Socket();
                try {
                    up.connect(upstream, 10_000);
                } catch (IOException e) {
                    reset(client);
                    return;
                }
                live.add(client);
                live.add(up);
                threads.execute(() -> pump(client, up));
                pump(up, client);
            });
        }
    }

    private void pump(Socket from, Socket to) {
        byte[] buf = new byte[16 * 1024];
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            int n;
            while ((n = in.read(buf)) >= 0) {
                if (cut) {
                    break;
                }
                out.write(buf, 0, n);
                out.flush();
            }
        } catch (IOException e) {
            // the other side or a cut ended it
        } finally {
            reset(from);
            reset(to);
        }
    }

    private void reset(Socket s) {
        live.remove(s);
        try {
            s.setSoLinger(true, 0);
            s.close();
        } catch (IOException e) {
            // closing anyway
        }
    }

    @Override
    public void close() throws IOException {
        closed = true;
        cut();
        server.close();
        threads.shutdownNow();
    }
}
