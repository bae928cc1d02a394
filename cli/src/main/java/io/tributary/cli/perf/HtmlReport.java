package io.tributary.cli.perf;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * A run of {@code tributary perf} as one self-contained HTML page (inline CSS and SVG, nothing fetched):
 * throughput and latency over time with publish pauses marked, the latency distribution as a
 * percentile plot, and the settings and summary figures.
 */
final class HtmlReport {
    private static final int WIDTH = 960;
    private static final int HEIGHT = 280;
    private static final int LEFT = 70;
    private static final int RIGHT = 45;
    private static final int TOP = 30;
    private static final int BOTTOM = 40;
    /** The percentile plot reaches 99.999 %: 1 / (1 - p) up to 10^5. */
    private static final double NINES = 5;

    /** A named line of (x, y) points drawn in {@code color}. */
    record Series(String name, String color, List<double[]> points) {}

    /** What the page shows. */
    record Content(String title, String latencyName, Map<String, Object> summary, List<String> commandLine,
                   List<Timeline.Point> timeline, Histogram latency, List<double[]> pauses) {}

    private HtmlReport() {}

    /**
     * The page.
     *
     * @param c pauses are {start seconds, length ms}; the latency histogram is in microseconds
     */
    static String render(Content c) {
        StringBuilder h = new StringBuilder(64 * 1024);
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>")
                .append(escape(c.title())).append("</title>\n<style>")
                .append("body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222}h1{font-size:20px}")
                .append("h2{font-size:16px;margin-top:28px}table{border-collapse:collapse}")
                .append("td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;font-family:monospace}")
                .append("svg{background:#fafafa;border:1px solid #ddd}.legend span{margin-right:16px}")
                .append("</style></head><body>\n");
        h.append("<h1>").append(escape(c.title())).append("</h1>\n");
        h.append("<p><code>").append(escape(String.join(" ", c.commandLine()))).append("</code></p>\n");

        List<double[]> rate = new ArrayList<>();
        List<double[]> p50 = new ArrayList<>();
        List<double[]> p99 = new ArrayList<>();
        List<double[]> max = new ArrayList<>();
        for (Timeline.Point p : c.timeline()) {
            rate.add(new double[] {p.atSeconds(), p.perSecond()});
            if (p.maxMs() > 0) {
                p50.add(new double[] {p.atSeconds(), p.p50Ms()});
                p99.add(new double[] {p.atSeconds(), p.p99Ms()});
                max.add(new double[] {p.atSeconds(), p.maxMs()});
            }
        }
        h.append("<h2>Throughput</h2>\n");
        if (!c.pauses().isEmpty()) {
            h.append("<p>Red bands: publish pauses (no acknowledgement while messages were outstanding).</p>\n");
        }
        h.append(chart("messages a second, each second", "msg/s", false, List.of(new Series("msg/s", "#1f77b4", rate)),
                c.pauses(), "s"));
        h.append("<h2>").append(escape(c.latencyName())).append(" over time</h2>\n");
        h.append(chart(c.latencyName() + " of each second (log scale)", "ms", true, List.of(
                new Series("p50", "#2ca02c", p50), new Series("p99", "#ff7f0e", p99), new Series("max", "#d62728", max)),
                c.pauses(), "s"));
        h.append("<h2>").append(escape(c.latencyName())).append(" distribution</h2>\n");
        h.append(percentilePlot(c.latency()));
        h.append("<h2>Settings and summary</h2>\n<table>\n");
        flatten("", c.summary(), h);
        h.append("<tr><th>jvm</th><td>").append(escape(System.getProperty("java.vm.name") + " "
                + System.getProperty("java.runtime.version"))).append("</td></tr>\n");
        h.append("<tr><th>cores</th><td>").append(Runtime.getRuntime().availableProcessors()).append("</td></tr>\n");
        h.append("</table>\n</body></html>\n");
        return h.toString();
    }

    /** A line chart of {@code series} against time, with {@code bands} ({start, length ms}) shaded. */
    static String chart(String caption, String unit, boolean logY, List<Series> series, List<double[]> bands,
                        String xUnit) {
        double maxX = 1;
        double maxY = 0;
        double minY = Double.MAX_VALUE;
        for (Series s : series) {
            for (double[] p : s.points()) {
                maxX = Math.max(maxX, p[0]);
                maxY = Math.max(maxY, p[1]);
                if (p[1] > 0) {
                    minY = Math.min(minY, p[1]);
                }
            }
        }
        Scale x = Scale.linear(0, niceCeiling(maxX), LEFT, WIDTH - RIGHT);
        Scale y = logY ? Scale.log(minY == Double.MAX_VALUE ? 0.1 : minY, Math.max(maxY, 1), HEIGHT - BOTTOM, TOP)
                : Scale.linear(0, niceCeiling(Math.max(maxY, 1)), HEIGHT - BOTTOM, TOP);
        StringBuilder s = svgStart(caption);
        for (double[] b : bands) {
            double x0 = x.at(b[0]);
            double w = Math.max(1, x.at(b[0] + b[1] / 1000.0) - x0);
            s.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"#d62728\" "
                    + "fill-opacity=\"0.35\"><title>pause %.1f ms at %.2f s</title></rect>%n", x0, TOP, w,
                    HEIGHT - TOP - BOTTOM, b[1], b[0]));
        }
        axes(s, x, y, unit, xUnit, logY);
        for (Series ser : series) {
            polyline(s, x, y, ser);
        }
        return s.append("</svg>\n").append(legend(series)).toString();
    }

    /** Latency against percentile, the x axis stretched as 1 / (1 - p) on a log scale. */
    static String percentilePlot(Histogram latencyMicros) {
        List<double[]> points = new ArrayList<>();
        if (latencyMicros.getTotalCount() > 0) {
            for (int i = 0; i <= 250; i++) {
                double nines = NINES * i / 250;
                double percentile = 100 * (1 - Math.pow(10, -nines));
                points.add(new double[] {nines, latencyMicros.getValueAtPercentile(percentile) / 1000.0});
            }
        }
        double maxY = points.isEmpty() ? 1 : Math.max(1, points.get(points.size() - 1)[1]);
        Scale x = Scale.linear(0, NINES, LEFT, WIDTH - RIGHT);
        Scale y = Scale.linear(0, niceCeiling(maxY), HEIGHT - BOTTOM, TOP);
        StringBuilder s = svgStart("latency at each percentile");
        String[] labels = {"0%", "90%", "99%", "99.9%", "99.99%", "99.999%"};
        for (int i = 0; i <= NINES; i++) {
            tick(s, x.at(i), true, labels[i]);
        }
        tick(s, x.at(Math.log10(2)), true, "50%");
        for (double v : y.ticks()) {
            tick(s, y.at(v), false, number(v) + " ms");
        }
        frame(s);
        polyline(s, x, y, new Series("latency", "#1f77b4", points));
        return s.append("</svg>\n").toString();
    }

    private static StringBuilder svgStart(String caption) {
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                + "viewBox=\"0 0 %d %d\" role=\"img\"><title>%s</title>%n", WIDTH, HEIGHT, WIDTH, HEIGHT, WIDTH, HEIGHT,
                escape(caption)));
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"18\" font-size=\"13\">%s</text>%n", LEFT, escape(caption)));
        return s;
    }

    private static void axes(StringBuilder s, Scale x, Scale y, String unit, String xUnit, boolean logY) {
        for (double v : x.ticks()) {
            tick(s, x.at(v), true, number(v) + " " + xUnit);
        }
        for (double v : y.ticks()) {
            tick(s, y.at(v), false, number(v) + " " + unit);
        }
        frame(s);
    }

    private static void frame(StringBuilder s) {
        s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#888\"/>%n",
                LEFT, TOP, WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM));
    }

    private static void tick(StringBuilder s, double at, boolean onX, String label) {
        if (onX) {
            s.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#e4e4e4\"/>"
                    + "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">%s</text>%n",
                    at, TOP, at, HEIGHT - BOTTOM, at, HEIGHT - BOTTOM + 16, escape(label)));
        } else {
            s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#e4e4e4\"/>"
                    + "<text x=\"%d\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\">%s</text>%n",
                    LEFT, at, WIDTH - RIGHT, at, LEFT - 6, at + 4, escape(label)));
        }
    }

    private static void polyline(StringBuilder s, Scale x, Scale y, Series series) {
        if (series.points().isEmpty()) {
            return;
        }
        s.append("<polyline fill=\"none\" stroke-width=\"1.5\" stroke=\"").append(series.color()).append("\" points=\"");
        for (double[] p : series.points()) {
            s.append(String.format(Locale.ROOT, "%.1f,%.1f ", x.at(p[0]), y.at(p[1])));
        }
        s.append("\"><title>").append(escape(series.name())).append("</title></polyline>\n");
    }

    private static String legend(List<Series> series) {
        StringBuilder s = new StringBuilder("<p class=\"legend\">");
        for (Series ser : series) {
            s.append("<span style=\"color:").append(ser.color()).append("\">&#9632; ").append(escape(ser.name()))
                    .append("</span>");
        }
        return s.append("</p>\n").toString();
    }

    private static void flatten(String prefix, Map<String, Object> map, StringBuilder h) {
        for (Map.Entry<String, Object> e : map.entrySet()) {
            String key = prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey();
            if (e.getValue() instanceof Map<?, ?> inner) {
                @SuppressWarnings("unchecked")
                Map<String, Object> m = (Map<String, Object>) inner;
                flatten(key, m, h);
            } else {
                h.append("<tr><th>").append(escape(key)).append("</th><td>").append(escape(String.valueOf(e.getValue())))
                        .append("</td></tr>\n");
            }
        }
    }

    /** Text made safe for HTML content and attribute values. */
    static String escape(String text) {
        StringBuilder b = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char ch = text.charAt(i);
            switch (ch) {
                case '&' -> b.append("&amp;");
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(ch);
            }
        }
        return b.toString();
    }

    private static String number(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : String.format(Locale.ROOT, "%.2g", v);
    }

    /** 1, 2 or 5 times a power of ten, at least {@code v}. */
    static double niceCeiling(double v) {
        double p = Math.pow(10, Math.floor(Math.log10(v)));
        for (double m : new double[] {1, 2, 5, 10}) {
            if (m * p >= v) {
                return m * p;
            }
        }
        return 10 * p;
    }

    /** Maps values onto pixels, linearly or by their logarithm. */
    record Scale(double from, double to, double pixelFrom, double pixelTo, boolean log) {
        static Scale linear(double from, double to, double pixelFrom, double pixelTo) {
            return new Scale(from, to, pixelFrom, pixelTo, false);
        }

        static Scale log(double from, double to, double pixelFrom, double pixelTo) {
            double lo = Math.pow(10, Math.floor(Math.log10(from)));
            double hi = Math.pow(10, Math.ceil(Math.log10(to)));
            return new Scale(lo, hi == lo ? lo * 10 : hi, pixelFrom, pixelTo, true);
        }

        double at(double v) {
            double f = log ? (Math.log10(Math.max(v, from)) - Math.log10(from)) / (Math.log10(to) - Math.log10(from))
                    : (v - from) / (to - from);
            return pixelFrom + Math.max(0, Math.min(1, f)) * (pixelTo - pixelFrom);
        }

        List<Double> ticks() {
            List<Double> t = new ArrayList<>();
            if (log) {
                for (double v = from; v <= to * 1.0001; v *= 10) {
                    t.add(v);
                }
            } else {
                double step = (to - from) / 5;
                for (int i = 0; i <= 5; i++) {
                    t.add(from + i * step);
                }
            }
            return t;
        }
    }
}
