package io.tributary.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code tributary} command. */
@Command(name = "tributary",
        mixinStandardHelpOptions = true,
        version = "tributary 0.1.0",
        description = "Storage-compute separated messaging on BookKeeper and ZooKeeper.",
        subcommands = {StandaloneCommand.class, AdminCommand.class, ProduceCommand.class, ConsumeCommand.class, TokensCommand.class,
                BrokerCommand.class, ProxyCommand.class, BookieCommand.class, ZooKeeperCommand.class, InitClusterCommand.class,
                ConfigCommand.class, ChaosCommand.class,
                io.tributary.cli.perf.PerfCommand.class, CommandLine.HelpCommand.class})
public final class TributaryCli implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        int code = commandLine().execute(args);
        if (code != 0 || !isLongRunning(args)) {
            System.exit(code);
        }
    }

    /** The command line with its error handling: a failure prints its message, the stack only with TRIBUTARY_DEBUG=1. */
    public static CommandLine commandLine() {
        return new CommandLine(new TributaryCli())
                .setCaseInsensitiveEnumValuesAllowed(true)
                .setExecutionExceptionHandler((e, cmd, parsed) -> {
                    if ("1".equals(System.getenv("TRIBUTARY_DEBUG"))) {
                        e.printStackTrace();
                    }
                    cmd.getErr().println("error: " + describe(e));
                    return 1;
                });
    }

    /**
     * A failure's message; for one without (BookKeeper's cookie refusal, say), its kind and its cause's, so an
     * error line is never empty.
     */
    static String describe(Throwable e) {
        String message = e.getMessage();
        if (message != null && !message.isBlank()) {
            return message;
        }
        String kind = e.getClass().getSimpleName();
        return e.getCause() == null || e.getCause() == e ? kind : kind + ": " + describe(e.getCause());
    }

    private static boolean isLongRunning(String[] args) {
        return args.length > 0 && java.util.Set.of("standalone", "broker", "proxy", "bookie", "zookeeper").contains(args[0]);
    }
}
