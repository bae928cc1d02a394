package io.tributary.it.image;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A network for containers started from the image ({@link UnpackedImage.Launch#network}), as a cluster's pod
 * network is: a bridge on which the host has address {@code .1} of a /24, and per pod a network namespace whose
 * {@code eth0} (one end of a veth pair, the other on the bridge) has the pod's own address, so each pod listens
 * on its ports without colliding with the others and the host reaches it at its address. Needs root and
 * {@code ip} (iproute2).
 */
public final class PodNetwork implements AutoCloseable {
    private final String bridge;
    private final String subnet;
    private int pods;

    /**
     * The bridge {@code bridge} (at most 11 characters, so the veths' names fit) with the host at
     * {@code subnet + "1"} ({@code subnet} like {@code "10.254.0."}); what a killed run left of it is removed first.
     */
    public PodNetwork(String bridge, String subnet) throws Exception {
        this.bridge = bridge;
        this.subnet = subnet;
        close();
        ip("link", "add", bridge, "type", "bridge");
        ip("addr", "add", subnet + "1/24", "dev", bridge);
        ip("link", "set", bridge, "up");
    }

    /** A new pod's network namespace, named {@code bridge-N}, with the next address; returns the address. */
    public Attachment attach() throws Exception {
        int index = pods++;
        String netns = bridge + "-" + index;
        String address = subnet + (10 + index);
        String veth = bridge + "v" + index;
        ip("netns", "add", netns);
        ip("link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", netns);
        ip("link", "set", veth, "master", bridge, "up");
        ip("-n", netns, "addr", "add", address + "/24", "dev", "eth0");
        ip("-n", netns, "link", "set", "eth0", "up");
        ip("-n", netns, "link", "set", "lo", "up");
        return new Attachment(netns, address);
    }

    /** A pod's network namespace and its address there. */
    public record Attachment(String netns, String address) {}

    /** Removes the bridge and every namespace it named, this run's or a killed run's. */
    @Override
    public void close() throws Exception {
        Process list = new ProcessBuilder("ip", "netns", "list").redirectErrorStream(true).start();
        String names = new String(list.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        list.waitFor();
        for (String ns : names.lines().map(l -> l.split(" ")[0]).filter(n -> n.startsWith(bridge + "-")).toList()) {
            ip("netns", "delete", ns);
        }
        Process show = new ProcessBuilder("ip", "link", "show", bridge).redirectErrorStream(true).start();
        show.getInputStream().readAllBytes();
        if (show.waitFor() == 0) {
            ip("link", "delete", bridge);
        }
    }

    private static void ip(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("ip"));
        cmd.addAll(List.of(args));
        UnpackedImage.run(cmd);
    }
}
