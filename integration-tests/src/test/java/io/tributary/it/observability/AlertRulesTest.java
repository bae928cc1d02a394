package io.tributary.it.observability;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The alert rules of {@code charts/tributary/alerts} are valid and each fires in its unit tests (real promtool). */
class AlertRulesTest {
    @TempDir
    Path dir;

    static Path alerts() {
        return Path.of(System.getProperty("user.dir")).getParent().resolve("charts/tributary/alerts");
    }

    static List<Path> files(Path folder, String suffix) throws Exception {
        try (Stream<Path> s = Files.list(folder)) {
            return s.filter(p -> p.toString().endsWith(suffix)).sorted().toList();
        }
    }

    static Set<String> names(Path file, String pattern) throws Exception {
        Set<String> names = new TreeSet<>();
        Matcher m = Pattern.compile(pattern).matcher(Files.readString(file));
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }

    @Test
    void everyRuleFileIsValidAndEveryAlertIsTested() throws Exception {
        List<Path> rules = files(alerts(), ".rules.yaml");
        assertThat(rules).isNotEmpty();
        Set<String> alertsDefined = new TreeSet<>();
        for (Path f : rules) {
            Promtool.Result check = Promtool.run(null, "check", "rules", f.toString());
            assertThat(check.passed()).as("promtool check rules %s:%n%s", f, check.output()).isTrue();
            alertsDefined.addAll(names(f, "(?m)^\\s*- alert: (\\w+)"));
        }
        Set<String> alertsTested = new TreeSet<>();
        for (Path t : files(alerts().resolve("tests"), ".test.yaml")) {
            Promtool.Result test = Promtool.run(null, "test", "rules", t.toString());
            assertThat(test.passed()).as("promtool test rules %s:%n%s", t, test.output()).isTrue();
            alertsTested.addAll(names(t, "(?m)alertname: (\\w+)"));
        }
        assertThat(alertsTested).as("alerts with a unit test").containsAll(alertsDefined);
    }

    @Test
    void aWrongExpectationFailsTheUnitTests() throws Exception {
        Path rules = files(alerts(), ".rules.yaml").get(0);
        Files.copy(rules, dir.resolve(rules.getFileName()));
        Path test = dir.resolve("wrong.test.yaml");
        Files.writeString(test, "rule_files:\n  - " + rules.getFileName() + "\nevaluation_interval: 1m\ntests:\n"
                + "  - interval: 1m\n    input_series:\n      - series: 'up{job=\"broker\", instance=\"b:8080\"}'\n"
                + "        values: '1x10'\n    alert_rule_test:\n      - eval_time: 5m\n        alertname: TributaryBrokerDown\n"
                + "        exp_alerts:\n          - exp_labels: {severity: critical, job: broker, instance: \"b:8080\"}\n");
        assertThat(Promtool.run(null, "test", "rules", test.toString()).passed()).isFalse();
    }
}
