package io.tributary.it.chart;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.TemplateCommand;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What Helm rendered from {@code charts/tributary} for some values, every object parsed with fabric8's
 * Kubernetes model (the Prometheus Operator's and cert-manager's kinds included). Parsing is strict: a
 * field the model does not know (fabric8 keeps those in {@code additionalProperties} instead of failing)
 * or a kind it does not know fails the render, naming the object and the field's path.
 */
final class RenderedChart {
    static final String RELEASE = "tributary";
    static final String NAMESPACE = "messaging";
    /** The values the downward API would give a pod in {@link #containerEnvironment}. */
    static final Map<String, String> FIELD_REFS = Map.of("metadata.name", "tributary-broker-7d9f8-x2x4q",
            "metadata.namespace", NAMESPACE, "status.podIP", "10.1.2.3");

    private static final KubernetesSerialization KUBERNETES = new KubernetesSerialization();
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final Pattern VARIABLE = Pattern.compile("\\$\\(([A-Za-z_][A-Za-z0-9_]*)\\)");

    final String text;
    final List<HasMetadata> objects = new ArrayList<>();
    /** cert-manager's Certificates, which fabric8 8 has no model for ({@link Certificate}). */
    final List<Certificate> certificates = new ArrayList<>();

    private RenderedChart(String text) {
        this.text = text;
    }

    static Path chart() {
        return Path.of(System.getProperty("user.dir")).getParent().resolve("charts/tributary");
    }

    /** {@code helm template tributary charts/tributary --namespace messaging [-f valuesFile...]}. */
    static RenderedChart render(Path... valuesFiles) {
        TemplateCommand template = new Helm(chart()).template().withName(RELEASE).withNamespace(NAMESPACE);
        for (Path f : valuesFiles) {
            template = template.withValuesFile(f);
        }
        RenderedChart r = new RenderedChart(template.call());
        r.parse();
        return r;
    }

    private void parse() {
        try (YAMLParser parser = (YAMLParser) YAML.getFactory().createParser(text)) {
            for (JsonNode doc : YAML.readValues(parser, JsonNode.class).readAll()) {
                if (doc == null || doc.isNull() || doc.isEmpty()) {
                    continue;
                }
                String what = doc.path("kind").asText() + " " + doc.path("metadata").path("name").asText();
                if (doc.path("apiVersion").asText().startsWith("cert-manager.io/")) {
                    certificates.add(Certificate.parse(doc));
                    continue;
                }
                // fabric8 reads with its own (Jackson 3) mapper: hand it the document as text
                Object parsed = KUBERNETES.unmarshal(YAML.writeValueAsString(doc));
                if (!(parsed instanceof HasMetadata object) || parsed instanceof GenericKubernetesResource) {
                    throw new AssertionError(what + " (" + doc.path("apiVersion").asText()
                            + "): a kind the Kubernetes model does not know");
                }
                List<String> unknown = new ArrayList<>();
                unknownFields(object, what, unknown, new IdentityHashMap<>());
                if (!unknown.isEmpty()) {
                    throw new AssertionError("fields the Kubernetes model does not know: " + unknown);
                }
                objects.add(object);
            }
        } catch (java.io.IOException e) {
            throw new AssertionError("Helm's output is not YAML: " + e.getMessage() + "\n" + text, e);
        }
    }

    /** Every non-empty {@code additionalProperties} of the model objects reachable from {@code o}. */
    private static void unknownFields(Object o, String path, List<String> out, IdentityHashMap<Object, Boolean> seen) {
        if (o == null || seen.put(o, Boolean.TRUE) != null) {
            return;
        }
        if (o instanceof Collection<?> c) {
            int i = 0;
            for (Object e : c) {
                unknownFields(e, path + "[" + i++ + "]", out, seen);
            }
            return;
        }
        if (o instanceof Map<?, ?> m) {
            m.forEach((k, v) -> unknownFields(v, path + "." + k, out, seen));
            return;
        }
        if (!o.getClass().getName().startsWith("io.fabric8.")) {
            return;
        }
        for (Method m : o.getClass().getMethods()) {
            if (m.getParameterCount() != 0 || Modifier.isStatic(m.getModifiers()) || !m.getName().startsWith("get")
                    || m.getDeclaringClass() == Object.class) {
                continue;
            }
            Object value;
            try {
                value = m.invoke(o);
            } catch (ReflectiveOperationException e) {
                continue;
            }
            String field = Character.toLowerCase(m.getName().charAt(3)) + m.getName().substring(4);
            if (field.equals("additionalProperties")) {
                if (value instanceof Map<?, ?> extra && !extra.isEmpty()) {
                    extra.keySet().forEach(k -> out.add(path + "." + k));
                }
            } else {
                unknownFields(value, path + "." + field, out, seen);
            }
        }
    }

    <T extends HasMetadata> List<T> all(Class<T> kind) {
        return objects.stream().filter(kind::isInstance).map(kind::cast).toList();
    }

    <T extends HasMetadata> Optional<T> find(Class<T> kind, String name) {
        return all(kind).stream().filter(o -> o.getMetadata().getName().equals(name)).findFirst();
    }

    <T extends HasMetadata> T get(Class<T> kind, String name) {
        return find(kind, name).orElseThrow(() -> new AssertionError("no " + kind.getSimpleName() + " " + name + " rendered"));
    }

    /**
     * The text {@code helm install tributary charts/tributary --namespace messaging --dry-run=client [-f ...]}
     * prints after {@code NOTES:}: what a user sees after installing.
     */
    static String notes(Path... valuesFiles) {
        com.marcnuri.helm.InstallCommand install = new Helm(chart()).install().withName(RELEASE).withNamespace(NAMESPACE)
                .dryRun().withDryRunOption(com.marcnuri.helm.DryRun.CLIENT).clientOnly();
        for (Path f : valuesFiles) {
            install = install.withValuesFile(f);
        }
        String out = install.call().getOutput();
        int notes = out.indexOf("NOTES:\n");
        if (notes < 0) {
            throw new AssertionError("no NOTES in Helm's output:\n" + out);
        }
        return out.substring(notes + "NOTES:\n".length());
    }

    /** Every pod template: the Deployments', StatefulSets' and Jobs', by the owner's kind and name. */
    Map<String, PodTemplateSpec> podTemplates() {
        Map<String, PodTemplateSpec> templates = new LinkedHashMap<>();
        all(Deployment.class).forEach(d -> templates.put("Deployment " + d.getMetadata().getName(), d.getSpec().getTemplate()));
        all(StatefulSet.class).forEach(s -> templates.put("StatefulSet " + s.getMetadata().getName(), s.getSpec().getTemplate()));
        all(Job.class).forEach(j -> templates.put("Job " + j.getMetadata().getName(), j.getSpec().getTemplate()));
        return templates;
    }

    /**
     * The environment the kubelet would give {@code container}: its ConfigMaps' and Secrets' entries
     * ({@code envFrom}), then its {@code env} with references resolved against the rendered objects
     * and {@link #FIELD_REFS}, and {@code $(VAR)} expanded as Kubernetes does.
     */
    Map<String, String> containerEnvironment(Container container) {
        return containerEnvironment(container, FIELD_REFS);
    }

    /** {@link #containerEnvironment(Container)} in a pod whose downward API gives {@code fieldRefs}. */
    Map<String, String> containerEnvironment(Container container, Map<String, String> fieldRefs) {
        Map<String, String> env = new LinkedHashMap<>();
        for (EnvFromSource from : container.getEnvFrom()) {
            if (from.getConfigMapRef() != null) {
                env.putAll(get(ConfigMap.class, from.getConfigMapRef().getName()).getData());
            }
            if (from.getSecretRef() != null) {
                get(Secret.class, from.getSecretRef().getName()).getData()
                        .forEach((k, v) -> env.put(k, new String(Base64.getDecoder().decode(v), StandardCharsets.UTF_8)));
            }
        }
        for (EnvVar var : container.getEnv()) {
            String value;
            if (var.getValueFrom() == null) {
                value = expand(var.getValue() == null ? "" : var.getValue(), env);
            } else if (var.getValueFrom().getFieldRef() != null) {
                value = fieldRefs.get(var.getValueFrom().getFieldRef().getFieldPath());
            } else if (var.getValueFrom().getConfigMapKeyRef() != null) {
                value = get(ConfigMap.class, var.getValueFrom().getConfigMapKeyRef().getName()).getData()
                        .get(var.getValueFrom().getConfigMapKeyRef().getKey());
            } else {
                throw new AssertionError(container.getName() + ": env " + var.getName() + " comes from where this test does not look");
            }
            env.put(var.getName(), value);
        }
        return env;
    }

    /** {@code $(VAR)} of a variable defined before, as the kubelet expands it; others stay as written. */
    static String expand(String value, Map<String, String> defined) {
        Matcher m = VARIABLE.matcher(value);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String v = defined.get(m.group(1));
            m.appendReplacement(out, Matcher.quoteReplacement(v != null ? v : m.group()));
        }
        m.appendTail(out);
        return out.toString();
    }

    /** The container's arguments with {@code $(VAR)} expanded against its environment. */
    List<String> containerArgs(Container container) {
        return containerArgs(container, FIELD_REFS);
    }

    /** {@link #containerArgs(Container)} in a pod whose downward API gives {@code fieldRefs}. */
    List<String> containerArgs(Container container, Map<String, String> fieldRefs) {
        Map<String, String> env = containerEnvironment(container, fieldRefs);
        return container.getArgs().stream().map(a -> expand(a, env)).toList();
    }

    /** A YAML document as maps, lists and scalars. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> yamlMap(String text) {
        try {
            return YAML.readValue(text, Map.class);
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    /** A model object as the YAML Kubernetes would store. */
    static String yamlText(Object o) {
        return KUBERNETES.asYaml(o);
    }

    static Set<String> roles() {
        return Set.of("zookeeper", "bookie", "broker", "proxy", "init-cluster");
    }
}
