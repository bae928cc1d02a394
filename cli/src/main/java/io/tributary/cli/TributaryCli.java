package io.tributary.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code tributary} command. */
@Command(name = "tributary",
        mixinStandardHelpOptions = true,
        version = "tributary 0.1.0",
        description = "Storage-compute separated messaging on BookKeeper and ZooKeeper.",
        subcommands = {StandaloneCommand.class, ProduceCommand.class, ConsumeCommand.class, CommandLine.HelpCommand.class})
public final class TributaryCli implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        int code = new CommandLine(new TributaryCli()).setCaseInsensitiveEnumValuesAllowed(true).execute(args);
        if (code != 0 || !isLongRunning(args)) {
            System.exit(code);
        }
    }

    private static boolean isLongRunning(String[] args) {
        return args.length > 0 && args[0].equals("standalone");
    }
}
