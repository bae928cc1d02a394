package io.tributary.chaos.cluster;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP relay in this JVM: it listens on one address and forwards every connection to another, in a
 * {@link RelayMode} that can change at any time. It stands for one network link of the cluster, so
 * partitions (one-way or not) need neither root nor firewall rules.
 *
 * <ul>
 *   <li>{@link RelayMode#PASS}: bytes flow both ways;</li>
 *   <li>{@link RelayMode#RESET}: every open connection is reset (RST) and new ones are reset at once;</li>
 *   <li>{@link RelayMode#BLACKHOLE}: connections are accepted and kept, nothing is forwarded (the senders'
 *       buffers fill up as behind a dead link; what they sent arrives once the relay passes again, as TCP
 *       retransmission would deliver it);</li>
 *   <li>{@link RelayMode#DELAY}: bytes flow, each chunk {@link #delayMillis()} late.</li>
 * </ul>
 *
 * Two threads per connection: the links are few (tens) and the relays live only as long as a run.
 */
public final class Relay implements AutoCloseable {
    private static final int BUFFER = 64 * 1024;

    private final String name;
    private final InetSocketAddress listen;
    private final InetSocketAddress target;
    private final ServerSocket server;
    private final Set<Link> links = ConcurrentHashMap.newKeySet();
    private final Object modeLock = new Object();
    private final AtomicLong bytes = new AtomicLong();
    private volatile RelayMode mode = RelayMode.PASS;
    private volatile long delayMillis;
    private volatile boolean closed;

    /** Listens on {@code listen} (a port of 0 picks one) and forwards to {@code target}; starts in {@link RelayMode#PASS}. */
    public Relay(String name, InetSocketAddress listen, InetSocketAddress target) throws IOException {
        this.name = name;
        this.target = target;
        this.server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(listen, 200);
        this.listen = new InetSocketAddress(listen.getAddress(), server.getLocalPort());
        Thread acceptor = new Thread(this::acceptLoop, "relay-" + name);
        acceptor.setDaemon(true);
        acceptor.start();
    }

    public String name() {
        return name;
    }

    /** host:port clients of this link connect to. */
    public String address() {
        return listen.getHostString() + ":" + listen.getPort();
    }

    public int port() {
        return listen.getPort();
    }

    public RelayMode mode() {
        return mode;
    }

    public long delayMillis() {
        return delayMillis;
    }

    /** Bytes forwarded so far, both directions. */
    public long bytesForwarded() {
        return bytes.get();
    }

    /** Open connections. */
    public int connections() {
        return links.size();
    }

    /** Switches to {@code newMode}; {@link RelayMode#RESET} also resets every open connection. */
    public void setMode(RelayMode newMode) {
        setMode(newMode, 0);
    }

    /** As {@link #setMode(RelayMode)}, with the delay of {@link RelayMode#DELAY}. */
    public void setMode(RelayMode newMode, long newDelayMillis) {
        synchronized (modeLock) {
            delayMillis = newDelayMillis;
            mode = newMode;
            modeLock.notifyAll();
        }
        if (newMode == RelayMode.RESET) {
            for (Link l : links) {
                l.reset();
            }
        }
    }

    /** Back to {@link RelayMode#PASS}. */
    public void heal() {
        setMode(RelayMode.PASS);
    }

    private void acceptLoop() {
        while (!closed) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                if (closed) {
                    return;
                }
                continue;
            }
            if (mode == RelayMode.RESET) {
                resetQuietly(client);
                continue;
            }
            Link link = new Link(client);
            links.add(link);
            Thread t = new Thread(link::connectAndPump, "relay-" + name + "-link");
            t.setDaemon(true);
            t.start();
        }
    }

    /** Blocks while the relay is a blackhole; false if the link should end (reset or closed). */
    private boolean awaitForwarding() throws InterruptedException {
        synchronized (modeLock) {
            while (mode == RelayMode.BLACKHOLE && !closed) {
                modeLock.wait(1_000);
            }
        }
        return mode != RelayMode.RESET && !closed;
    }

    private final class Link {
        private final Socket client;
        private volatile Socket upstream;
        private volatile boolean done;

        Link(Socket client) {
            this.client = client;
        }

        void connectAndPump() {
            try {
                // a blackholed link does not even reach the other side
                if (!awaitForwarding()) {
                    reset();
                    return;
                }
                Socket up = new Socket();
                up.connect(target, 10_000);
                upstream = up;
                client.setTcpNoDelay(true);
                up.setTcpNoDelay(true);
                Thread back = new Thread(() -> pump(up, client), "relay-" + name + "-back");
                back.setDaemon(true);
                back.start();
                pump(client, up);
            } catch (IOException e) {
                reset();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                reset();
            }
        }

        private void pump(Socket from, Socket to) {
            byte[] buf = new byte[BUFFER];
            try {
                InputStream in = from.getInputStream();
                OutputStream out = to.getOutputStream();
                while (!done) {
                    // in a blackhole nothing is read: the sender's window fills up as behind a dead link
                    if (!awaitForwarding()) {
                        break;
                    }
                    int n = in.read(buf);
                    if (n < 0) {
                        break;
                    }
                    if (!awaitForwarding()) {
                        break;
                    }
                    long delay = mode == RelayMode.DELAY ? delayMillis : 0;
                    if (delay > 0) {
                        Thread.sleep(delay);
                    }
                    bytes.addAndGet(n); // counted first, so whoever receives the bytes sees them counted
                    out.write(buf, 0, n);
                    out.flush();
                }
            } catch (IOException e) {
                // the other side went away: end the whole link below
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (mode == RelayMode.RESET || closed) {
                reset();
            } else {
                close();
            }
        }

        /** Ends both sides with a TCP reset, as a crashed peer or a middlebox would. */
        void reset() {
            done = true;
            resetQuietly(client);
            Socket up = upstream;
            if (up != null) {
                resetQuietly(up);
            }
            links.remove(this);
        }

        private void close() {
            done = true;
            closeQuietly(client);
            Socket up = upstream;
            if (up != null) {
                closeQuietly(up);
            }
            links.remove(this);
        }
    }

    private static void resetQuietly(Socket s) {
        try {
            s.setSoLinger(true, 0);
        } catch (SocketException e) {
            // already closed
        }
        closeQuietly(s);
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // nothing left to do
        }
    }

    /** Stops listening and resets every connection. */
    @Override
    public void close() {
        closed = true;
        synchronized (modeLock) {
            modeLock.notifyAll();
        }
        try {
            server.close();
        } catch (IOException e) {
            // nothing left to do
        }
        for (Link l : links) {
            l.reset();
        }
    }

    @Override
    public String toString() {
        return "Relay[" + name + " " + address() + " -> " + target.getHostString() + ":" + target.getPort() + ", " + mode + "]";
    }
}
