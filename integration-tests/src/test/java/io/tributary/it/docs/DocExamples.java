package io.tributary.it.docs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The code examples of a Markdown document and of a Java source, by name, so a test can prove
 * that the document shows exactly the code that is compiled and run.
 *
 * <p>In the document, an example is a fenced {@code java} block right after a line
 * {@code <!-- example: NAME -->} (or {@code NAME1, NAME2}: the regions joined by a blank line). In the source, it is the lines between {@code // example: NAME}
 * and {@code // end example}, with their common indentation removed.
 */
final class DocExamples {
    private static final Pattern DOC_MARK = Pattern.compile("<!--\\s*example:\\s*([\\w-]+(?:\\s*,\\s*[\\w-]+)*)\\s*-->");
    private static final Pattern SOURCE_MARK = Pattern.compile("^\\s*// example: ([\\w-]+)\\s*$");
    private static final Pattern SOURCE_END = Pattern.compile("^\\s*// end example\\s*$");

    private DocExamples() {}

    /** The examples of a Markdown file; fails on a mark without a java block after it, or a name used twice. */
    static Map<String, String> ofMarkdown(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file);
        Map<String, String> out = new LinkedHashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            Matcher m = DOC_MARK.matcher(lines.get(i));
            if (!m.find()) {
                continue;
            }
            String name = m.group(1).replaceAll("\\s+", "");
            int open = i + 1;
            if (open >= lines.size() || !lines.get(open).trim().equals("```java")) {
                throw new IllegalStateException(file + ":" + (i + 1) + ": example " + name + " is not followed by a ```java block");
            }
            List<String> body = new ArrayList<>();
            int j = open + 1;
            for (; j < lines.size() && !lines.get(j).trim().equals("```"); j++) {
                body.add(lines.get(j));
            }
            if (j == lines.size()) {
                throw new IllegalStateException(file + ":" + (open + 1) + ": example " + name + " is not closed");
            }
            put(out, name, normalise(body), file);
            i = j;
        }
        return out;
    }

    /** The examples of a Java source file. */
    static Map<String, String> ofSource(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file);
        Map<String, String> out = new LinkedHashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            Matcher m = SOURCE_MARK.matcher(lines.get(i));
            if (!m.matches()) {
                continue;
            }
            List<String> body = new ArrayList<>();
            int j = i + 1;
            for (; j < lines.size() && !SOURCE_END.matcher(lines.get(j)).matches(); j++) {
                body.add(lines.get(j));
            }
            if (j == lines.size()) {
                throw new IllegalStateException(file + ":" + (i + 1) + ": example " + m.group(1) + " has no '// end example'");
            }
            put(out, m.group(1), normalise(body), file);
            i = j;
        }
        return out;
    }

    /** The source examples a page block shows: its mark's names, in order. */
    static List<String> names(String mark) {
        return List.of(mark.split(","));
    }

    /** Every name the page's marks use. */
    static List<String> names(java.util.Collection<String> marks) {
        return marks.stream().flatMap(m -> names(m).stream()).toList();
    }

    /** The source examples a page block with this mark must equal: the regions joined by a blank line. */
    static String joined(String mark, Map<String, String> source) {
        return String.join("\n\n", names(mark).stream().map(n -> {
            String code = source.get(n);
            if (code == null) {
                throw new IllegalStateException("the page shows example " + n + ", which the source does not have");
            }
            return code;
        }).toList());
    }

    private static void put(Map<String, String> out, String name, String body, Path file) {
        if (out.put(name, body) != null) {
            throw new IllegalStateException(file + ": example " + name + " appears twice");
        }
    }

    /** Drops trailing blanks and the indentation all non-blank lines share. */
    private static String normalise(List<String> lines) {
        int indent = lines.stream().filter(l -> !l.isBlank())
                .mapToInt(l -> l.length() - l.stripLeading().length()).min().orElse(0);
        StringBuilder sb = new StringBuilder();
        for (String l : lines) {
            sb.append(l.isBlank() ? "" : l.substring(indent).stripTrailing()).append('\n');
        }
        return sb.toString().strip();
    }
}
