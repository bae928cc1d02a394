package io.tributary.cli;

import java.io.File;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Map;
import java.util.Properties;

/**
 * The properties a server command hands to its config class ({@code BrokerConfig.fromProperties},
 * {@code ProxyConfig.fromProperties}, the storage TLS settings of {@code zookeeper} and {@code bookie}):
 * the file given with {@code --config}, then every
 * {@code -D key=value}, then the command's named options (e.g. {@code --port} as {@code broker.port}).
 * Parsing and validating the values, and the environment overrides, stay with the config classes, so
 * a key they learn is usable from the command line at once.
 */
final class ServerConfigFiles {
    private ServerConfigFiles() {}

    /**
     * @param file       a properties file, or null for none
     * @param defines    {@code -D key=value} pairs, or null
     * @param options    named options as their property keys; null values (option not given) are skipped
     * @throws IllegalArgumentException if the file cannot be read, with a message naming it
     */
    static Properties compose(File file, Map<String, String> defines, Map<String, ?> options) {
        Properties props = new Properties();
        if (file != null) {
            if (!file.isFile()) {
                throw new IllegalArgumentException("--config: no such file: " + file);
            }
            try (Reader in = Files.newBufferedReader(file.toPath(), StandardCharsets.UTF_8)) {
                props.load(in);
            } catch (IOException | IllegalArgumentException e) {
                throw new IllegalArgumentException("--config: cannot read " + file + ": " + e.getMessage(), e);
            }
        }
        if (defines != null) {
            defines.forEach((k, v) -> props.setProperty(k.trim(), v == null ? "" : v));
        }
        if (options != null) {
            options.forEach((k, v) -> {
                if (v != null) {
                    props.setProperty(k, v.toString());
                }
            });
        }
        return props;
    }
}
