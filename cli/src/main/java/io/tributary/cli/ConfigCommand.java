package io.tributary.cli;

import io.tributary.broker.BrokerConfig;
import io.tributary.protocol.config.Settings;
import io.tributary.proxy.ProxyConfig;
import java.io.File;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "config", mixinStandardHelpOptions = true,
        description = "Checks configuration without starting anything.",
        subcommands = {ConfigCommand.Check.class})
final class ConfigCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    @Command(name = "check", mixinStandardHelpOptions = true,
            description = {"Checks what ROLE would start with, as it would at start-up, and exits: every TRIBUTARY_* "
                    + "environment variable must be one of ROLE's keys (or a launcher's: TRIBUTARY_MEM, TRIBUTARY_HOME, ...), "
                    + "and every value of --config, -D and the environment must parse.",
                    "ROLE: standalone, zookeeper, bookie, broker, proxy or init-cluster. Exit status 0 when all is well, "
                            + "else 1 with a message naming each variable or key at fault (and the nearest known key)."})
    static final class Check implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "ROLE", description = "The command whose configuration to check.")
        String role;

        @Option(names = "--config", paramLabel = "FILE", description = "The role's properties file, as it would be given.")
        File config;

        @Option(names = "-D", paramLabel = "key=value", description = "A setting, as it would be given; repeatable.")
        Map<String, String> defines = new LinkedHashMap<>();

        @Override
        public Integer call() {
            EnvironmentCheck.Role r;
            try {
                r = EnvironmentCheck.Role.of(role);
                check(r, ServerConfigFiles.compose(config, defines, null), System.getenv());
            } catch (RuntimeException e) {
                System.err.println("error: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
                return 1;
            }
            System.out.println("configuration of `tributary " + r.command + "` is valid ("
                    + System.getenv().keySet().stream().filter(k -> k.startsWith("TRIBUTARY_")).count()
                    + " TRIBUTARY_* variables)");
            return 0;
        }
    }

    /** The environment check, then the role's own parsing of its keys; throws with the first problem. */
    static void check(EnvironmentCheck.Role role, Properties props, Map<String, String> env) {
        EnvironmentCheck.require(role, env);
        switch (role) {
            case BROKER, INIT_CLUSTER -> BrokerConfig.fromProperties(props, env);
            case PROXY -> ProxyConfig.fromProperties(props, env);
            case BOOKIE -> BookieCommand.Config.from(new Settings(props, env));
            case ZOOKEEPER -> ZooKeeperCommand.Config.from(new Settings(props, env));
            case STANDALONE -> {
                // options only
            }
            default -> throw new IllegalStateException("unhandled role " + role);
        }
    }
}
