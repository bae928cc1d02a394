package io.tributary.rest;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A path template of a {@code google.api.HttpRule}: literal segments, {@code *} (one segment), {@code **}
 * (any number of segments, last only) and variables {@code {field}} (one segment) or {@code {field=pattern}}
 * (a pattern of literals, {@code *} and {@code **}). Matching takes a path already split at {@code /} and
 * percent-decoded per segment; a variable's value is its segments joined by {@code /}.
 */
public final class PathTemplate {

    /** One segment of the template: a literal, {@code *} or {@code **}; {@code variable} is the field it binds, or null. */
    record Segment(String literal, String variable) {
        boolean single() {
            return "*".equals(literal);
        }

        boolean multi() {
            return "**".equals(literal);
        }
    }

    private final String template;
    private final List<Segment> segments;
    private final List<String> variables;

    private PathTemplate(String template, List<Segment> segments, List<String> variables) {
        this.template = template;
        this.segments = segments;
        this.variables = variables;
    }

    /** Parses {@code template} (it starts with {@code /}); a malformed one is an IllegalArgumentException naming it. */
    public static PathTemplate parse(String template) {
        if (template == null || !template.startsWith("/")) {
            throw new IllegalArgumentException("path template must start with '/': " + template);
        }
        if (template.contains(":")) {
            throw new IllegalArgumentException("custom verbs (':verb') are not supported: " + template);
        }
        List<Segment> segments = new ArrayList<>();
        List<String> variables = new ArrayList<>();
        String rest = template.substring(1);
        int i = 0;
        while (i < rest.length()) {
            if (rest.charAt(i) == '{') {
                int end = rest.indexOf('}', i);
                if (end < 0) {
                    throw new IllegalArgumentException("unclosed '{' in path template " + template);
                }
                String body = rest.substring(i + 1, end);
                int eq = body.indexOf('=');
                String name = eq < 0 ? body : body.substring(0, eq);
                String pattern = eq < 0 ? "*" : body.substring(eq + 1);
                if (name.isEmpty() || pattern.isEmpty() || pattern.contains("{")) {
                    throw new IllegalArgumentException("bad variable '{" + body + "}' in path template " + template);
                }
                if (variables.contains(name)) {
                    throw new IllegalArgumentException("variable '" + name + "' twice in path template " + template);
                }
                variables.add(name);
                for (String p : pattern.split("/", -1)) {
                    segments.add(literalOrWildcard(p, template, name));
                }
                i = end + 1;
            } else {
                int end = rest.indexOf('/', i);
                end = end < 0 ? rest.length() : end;
                segments.add(literalOrWildcard(rest.substring(i, end), template, null));
                i = end;
            }
            if (i < rest.length()) {
                if (rest.charAt(i) != '/') {
                    throw new IllegalArgumentException("expected '/' at " + (i + 1) + " in path template " + template);
                }
                i++;
                if (i == rest.length()) {
                    throw new IllegalArgumentException("trailing '/' in path template " + template);
                }
            }
        }
        for (int s = 0; s < segments.size() - 1; s++) {
            if (segments.get(s).multi()) {
                throw new IllegalArgumentException("'**' must be the last segment of path template " + template);
            }
        }
        return new PathTemplate(template, List.copyOf(segments), List.copyOf(variables));
    }

    private static Segment literalOrWildcard(String s, String template, String variable) {
        if (s.isEmpty() || s.contains("{") || s.contains("}") || (s.contains("*") && !s.equals("*") && !s.equals("**"))) {
            throw new IllegalArgumentException("bad segment '" + s + "' in path template " + template);
        }
        return new Segment(s, variable);
    }

    /**
     * The variables' values when {@code path} (decoded segments, without the empty one before the leading
     * {@code /}) matches, else null.
     */
    public Map<String, String> match(List<String> path) {
        int n = segments.size();
        boolean endsMulti = n > 0 && segments.get(n - 1).multi();
        if (endsMulti ? path.size() < n - 1 : path.size() != n) {
            return null;
        }
        Map<String, StringBuilder> values = new LinkedHashMap<>();
        for (int i = 0; i < path.size(); i++) {
            Segment s = segments.get(Math.min(i, n - 1));
            String value = path.get(i);
            if (!s.single() && !s.multi() && !s.literal().equals(value)) {
                return null;
            }
            if ((s.single() || s.multi()) && value.isEmpty()) {
                return null; // a wildcard stands for non-empty segments
            }
            if (s.variable() != null) {
                StringBuilder b = values.get(s.variable());
                if (b == null) {
                    values.put(s.variable(), new StringBuilder(value));
                } else {
                    b.append('/').append(value);
                }
            }
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (String v : variables) {
            StringBuilder b = values.get(v);
            out.put(v, b == null ? "" : b.toString());
        }
        return out;
    }

    /** The fields the path binds, in template order. */
    public List<String> variables() {
        return variables;
    }

    /** The template as OpenAPI writes a path: each variable as {@code {name}}, whatever its pattern. */
    public String openApiPath() {
        StringBuilder b = new StringBuilder();
        String previous = null;
        for (Segment s : segments) {
            if (s.variable() != null) {
                if (!s.variable().equals(previous)) {
                    b.append("/{").append(s.variable()).append('}');
                }
            } else {
                b.append('/').append(s.literal());
            }
            previous = s.variable();
        }
        return b.toString();
    }

    /** The number of literal segments: among templates matching one path, the more literal one wins. */
    int literals() {
        return (int) segments.stream().filter(s -> s.variable() == null && !s.single() && !s.multi()).count();
    }

    @Override
    public String toString() {
        return template;
    }
}
