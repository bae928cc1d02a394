package io.tributary.chaos.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class RelayTest {
    private ServerSocket echo;
    private Thread echoThread;
    private Relay relay;

    @BeforeEach
    void startEchoServer() throws IOException {
        echo = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
        echoThread = new Thread(() -> {
            while (!echo.isClosed()) {
                try {
                    Socket s = echo.accept();
                    Thread t = new Thread(() -> {
                        try (s) {
                            s.getInputStream().transferTo(s.getOutputStream());
                        } catch (IOException e) {
                            // the test closed or reset it
                        }
                    });
                    t.setDaemon(true);
                    t.start();
                } catch (IOException e) {
                    return;
                }
            }
        });
        echoThread.setDaemon(true);
        echoThread.start();
        relay = new Relay("test", new InetSocketAddress("127.0.0.1", 0), new InetSocketAddress("127.0.0.1", echo.getLocalPort()));
    }

    @AfterEach
    void stop() throws IOException {
        relay.close();
        echo.close();
    }

    private Socket connect() throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", relay.port()), 5_000);
        s.setSoTimeout(5_000);
        return s;
    }

    private static String roundTrip(Socket s, String text) throws IOException {
        OutputStream out = s.getOutputStream();
        out.write(text.getBytes());
        out.flush();
        InputStream in = s.getInputStream();
        byte[] buf = in.readNBytes(text.length());
        return new String(buf);
    }

    @Test
    void aPassingRelayForwardsBothWays() throws IOException {
        try (Socket s = connect()) {
            assertThat(roundTrip(s, "hello")).isEqualTo("hello");
        }
        assertThat(relay.bytesForwarded()).isEqualTo(10);
    }

    @Test
    void aBlackholeKeepsTheConnectionButForwardsNothingUntilHealed() throws IOException {
        try (Socket s = connect()) {
            assertThat(roundTrip(s, "a")).isEqualTo("a");
            relay.setMode(RelayMode.BLACKHOLE);
            s.getOutputStream().write("held".getBytes());
            s.setSoTimeout(1_000);
            assertThatThrownBy(() -> s.getInputStream().read()).isInstanceOf(SocketTimeoutException.class);
            relay.heal();
            s.setSoTimeout(5_000);
            assertThat(new String(s.getInputStream().readNBytes(4))).isEqualTo("held");
        }
    }

    @Test
    void aResetEndsOpenConnectionsAndRefusesNewOnes() throws IOException {
        try (Socket s = connect()) {
            assertThat(roundTrip(s, "a")).isEqualTo("a");
            relay.setMode(RelayMode.RESET);
            assertThatThrownBy(() -> {
                s.getOutputStream().write("x".getBytes());
                if (s.getInputStream().read() < 0) {
                    throw new IOException("closed");
                }
            }).isInstanceOf(IOException.class);
        }
        // a new connection is reset at once (perhaps while it is still being set up)
        assertThatThrownBy(() -> {
            try (Socket s = connect()) {
                s.getOutputStream().write("x".getBytes());
                if (s.getInputStream().read() < 0) {
                    throw new IOException("closed");
                }
            }
        }).isInstanceOf(IOException.class);
        relay.heal();
        try (Socket s = connect()) {
            assertThat(roundTrip(s, "back")).isEqualTo("back");
        }
    }

    @Test
    void aDelayedRelayForwardsLate() throws IOException {
        relay.setMode(RelayMode.DELAY, 300);
        try (Socket s = connect()) {
            long t0 = System.nanoTime();
            assertThat(roundTrip(s, "slow")).isEqualTo("slow");
            // each direction is delayed
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isGreaterThanOrEqualTo(600);
        }
    }

    @Test
    void aRelayCanListenOnAnotherLoopbackAddressOnTheServersPort() throws IOException {
        // the advertised-address trick: 127.0.0.2:P forwards to 127.0.0.1:P
        try (Relay advertised = new Relay("adv", new InetSocketAddress(ChaosCluster.ADVERTISED_HOST, echo.getLocalPort()),
                new InetSocketAddress(ChaosCluster.BIND_HOST, echo.getLocalPort()));
                Socket s = new Socket(ChaosCluster.ADVERTISED_HOST, echo.getLocalPort())) {
            s.setSoTimeout(5_000);
            assertThat(roundTrip(s, "via .2")).isEqualTo("via .2");
            assertThat(advertised.bytesForwarded()).isPositive();
        }
    }
}
