//! A small chart toolkit (histogram, bars, forest plot, line/area, scatter, heatmap, treemap): every function returns a self-contained inline [`Svg`] with a title,
//! axes, 1-2-5 ticks, axis labels, a legend where there is more than one series, `<title>`
//! tooltips on every mark and a `viewBox` so it scales with the page.
//!
//! Text in charts is bilingual: both languages are drawn, each with class `l-zh` / `l-en`, and the
//! report page shows one of them. Tooltips carry both languages in `data-zh` / `data-en`; the page
//! script swaps them. Every user-supplied string is HTML-escaped.
//!
//! Charts never panic on bad input: NaN and infinite values are skipped, and a chart with nothing
//! to draw shows a "no data" message.

mod bars;
mod forest;
mod heatmap;
mod histogram;
mod line;
mod scatter;
mod treemap;

pub use bars::{bars, BarSeries, Orientation};
pub use forest::{forest, ForestRow};
pub use heatmap::heatmap;
pub use histogram::{histogram, histogram_binned};
pub use line::{area, line, Marker, Series};
pub use scatter::{scatter, PointColors};
pub use treemap::{treemap, Tile};

use crate::format::NumFormat;
use crate::text::{data_attrs, escape, escape_into, text_width_max, Text};
use std::fmt::Write as _;

/// A rendered chart: trusted SVG markup built by this module, safe to insert into the page as is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Svg(String);

impl Svg {
    /// Wraps markup produced elsewhere. The caller vouches that it is safe: it is inserted into
    /// the page without escaping.
    pub fn from_trusted(markup: impl Into<String>) -> Self {
        Svg(markup.into())
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn into_string(self) -> String {
        self.0
    }
}

impl std::fmt::Display for Svg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// What every chart shares: title, axis labels, size, number formats and optional fixed domains.
/// Built with [`ChartSpec::new`] and the builder methods.
#[derive(Clone, Debug, PartialEq)]
pub struct ChartSpec {
    pub title: Text,
    pub x_label: Text,
    pub y_label: Text,
    /// Size of the `viewBox`, in CSS pixels at full width.
    pub width: f64,
    pub height: f64,
    pub x_format: NumFormat,
    pub y_format: NumFormat,
    /// Fixed axis ranges (otherwise taken from the data and rounded to nice ticks).
    pub x_domain: Option<(f64, f64)>,
    pub y_domain: Option<(f64, f64)>,
    /// Logarithmic x axis (histogram, line, scatter). Values ≤ 0 cannot be drawn and are counted
    /// in a footnote.
    pub log_x: bool,
    /// Scatter plots keep at most this many points (deterministic, evenly spaced subsample).
    pub max_points: usize,
    /// Print values on bars / in heatmap cells.
    pub show_values: bool,
}

/// The most points a scatter plot draws by default.
pub const DEFAULT_MAX_POINTS: usize = 2_000;

impl ChartSpec {
    pub fn new(title: impl Into<Text>) -> Self {
        ChartSpec {
            title: title.into(),
            x_label: Text::default(),
            y_label: Text::default(),
            width: 760.0,
            height: 380.0,
            x_format: NumFormat::Number,
            y_format: NumFormat::Number,
            x_domain: None,
            y_domain: None,
            log_x: false,
            max_points: DEFAULT_MAX_POINTS,
            show_values: true,
        }
    }
    pub fn x_label(mut self, t: impl Into<Text>) -> Self {
        self.x_label = t.into();
        self
    }
    pub fn y_label(mut self, t: impl Into<Text>) -> Self {
        self.y_label = t.into();
        self
    }
    pub fn size(mut self, width: f64, height: f64) -> Self {
        self.width = if width.is_finite() { width.clamp(200.0, 4000.0) } else { 760.0 };
        self.height = if height.is_finite() { height.clamp(120.0, 4000.0) } else { 380.0 };
        self
    }
    pub fn x_format(mut self, f: NumFormat) -> Self {
        self.x_format = f;
        self
    }
    pub fn y_format(mut self, f: NumFormat) -> Self {
        self.y_format = f;
        self
    }
    pub fn x_domain(mut self, lo: f64, hi: f64) -> Self {
        self.x_domain = valid_domain(lo, hi);
        self
    }
    pub fn y_domain(mut self, lo: f64, hi: f64) -> Self {
        self.y_domain = valid_domain(lo, hi);
        self
    }
    pub fn log_x(mut self, on: bool) -> Self {
        self.log_x = on;
        self
    }
    pub fn max_points(mut self, n: usize) -> Self {
        self.max_points = n.max(1);
        self
    }
    pub fn show_values(mut self, on: bool) -> Self {
        self.show_values = on;
        self
    }
}

fn valid_domain(lo: f64, hi: f64) -> Option<(f64, f64)> {
    (lo.is_finite() && hi.is_finite() && lo < hi).then_some((lo, hi))
}

/// The series colours: distinguishable, print-safe, colour-blind-friendly order.
pub const PALETTE: [&str; 10] = [
    "#2563eb", "#f59e0b", "#10b981", "#ef4444", "#8b5cf6", "#06b6d4", "#ec4899", "#84cc16", "#64748b",
    "#a16207",
];

pub fn palette(i: usize) -> &'static str {
    PALETTE[i % PALETTE.len()]
}

/// A caller-supplied colour, accepted only if it cannot break out of an attribute.
pub(crate) fn safe_color(c: Option<&str>, fallback: &'static str) -> String {
    match c {
        Some(c)
            if !c.is_empty()
                && c.len() <= 40
                && c.chars().all(|ch| ch.is_ascii_alphanumeric() || "#(),.% ".contains(ch)) =>
        {
            c.to_string()
        }
        _ => fallback.to_string(),
    }
}

// ---------------------------------------------------------------------------------------------
// Ticks and scales

/// Nice ticks covering `[lo, hi]` with steps of 1, 2 or 5 × 10ⁿ, about `target` of them.
/// Returns the ticks (first ≤ lo, last ≥ hi) and the step.
pub fn nice_ticks(lo: f64, hi: f64, target: usize) -> (Vec<f64>, f64) {
    let (mut lo, mut hi) = if lo.is_finite() && hi.is_finite() { (lo.min(hi), lo.max(hi)) } else { (0.0, 1.0) };
    if hi - lo <= 1e-12 * lo.abs().max(hi.abs()) {
        // A single value: open a small range around it, staying non-negative for non-negative data.
        let pad = if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 };
        let non_negative = lo >= 0.0;
        lo -= pad;
        hi += pad;
        if non_negative {
            lo = lo.max(0.0);
        }
    }
    let target = target.clamp(2, 20) as f64;
    let raw = (hi - lo) / target;
    let mag = 10f64.powf(raw.log10().floor());
    let norm = raw / mag;
    let step = mag * if norm < 1.5 { 1.0 } else if norm < 3.0 { 2.0 } else if norm < 7.0 { 5.0 } else { 10.0 };
    let k0 = (lo / step + 1e-9).floor() as i64;
    let k1 = (hi / step - 1e-9).ceil() as i64;
    let ticks = (k0..=k1.max(k0 + 1)).map(|k| clean(k as f64 * step, step)).collect();
    (ticks, step)
}

/// Removes floating-point dust (`0.30000000000000004`, `-0`).
fn clean(v: f64, step: f64) -> f64 {
    let digits = (-step.log10().floor()).clamp(0.0, 15.0) as i32 + 1;
    let f = 10f64.powi(digits);
    let r = (v * f).round() / f;
    if r == 0.0 {
        0.0
    } else {
        r
    }
}

/// Ticks for a logarithmic axis over `[lo, hi]` (both > 0): powers of ten, plus 2× and 5× when the
/// range spans few decades.
pub fn log_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let d0 = lo.log10().floor() as i32;
    let d1 = hi.log10().ceil().max(d0 as f64 + 1.0) as i32;
    let decades = d1 - d0;
    let mut ticks = Vec::new();
    let every = if decades > 8 { 2 } else { 1 };
    for d in d0..=d1 {
        let p = 10f64.powi(d);
        if (d - d0) % every == 0 {
            ticks.push(p);
        }
        if decades <= 3 && d < d1 {
            ticks.push(2.0 * p);
            ticks.push(5.0 * p);
        }
    }
    ticks
}

/// A data → pixel mapping.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Scale {
    d0: f64,
    d1: f64,
    r0: f64,
    r1: f64,
    log: bool,
}

impl Scale {
    pub(crate) fn linear(d: (f64, f64), r: (f64, f64)) -> Self {
        Scale { d0: d.0, d1: d.1, r0: r.0, r1: r.1, log: false }
    }
    pub(crate) fn log(d: (f64, f64), r: (f64, f64)) -> Self {
        Scale { d0: d.0.log10(), d1: d.1.log10(), r0: r.0, r1: r.1, log: true }
    }
    pub(crate) fn map(&self, v: f64) -> f64 {
        let v = if self.log { v.log10() } else { v };
        let span = self.d1 - self.d0;
        let t = if span == 0.0 { 0.5 } else { (v - self.d0) / span };
        self.r0 + t * (self.r1 - self.r0)
    }
    /// `map`, clamped to the range (for values outside a fixed domain).
    pub(crate) fn map_clamped(&self, v: f64) -> f64 {
        let p = self.map(v);
        let (a, b) = if self.r0 < self.r1 { (self.r0, self.r1) } else { (self.r1, self.r0) };
        p.clamp(a, b)
    }
}

/// An axis: its domain, ticks and tick labels.
#[derive(Clone, Debug)]
pub(crate) struct Axis {
    pub domain: (f64, f64),
    pub ticks: Vec<f64>,
    pub labels: Vec<Text>,
    pub log: bool,
}

impl Axis {
    /// A linear axis covering `[lo, hi]` (or the fixed domain).
    pub(crate) fn linear(lo: f64, hi: f64, fixed: Option<(f64, f64)>, target: usize, fmt: &NumFormat) -> Axis {
        match fixed {
            Some((a, b)) => {
                let (ticks, step) = nice_ticks(a, b, target);
                let ticks: Vec<f64> = ticks.into_iter().filter(|t| *t >= a - step * 1e-6 && *t <= b + step * 1e-6).collect();
                let labels = ticks.iter().map(|t| fmt.tick(*t, step)).collect();
                Axis { domain: (a, b), ticks, labels, log: false }
            }
            None => {
                let (ticks, step) = nice_ticks(lo, hi, target);
                let domain = (ticks[0], *ticks.last().unwrap());
                let labels = ticks.iter().map(|t| fmt.tick(*t, step)).collect();
                Axis { domain, ticks, labels, log: false }
            }
        }
    }

    /// A log axis covering `[lo, hi]`, both > 0.
    pub(crate) fn log(lo: f64, hi: f64, fixed: Option<(f64, f64)>, fmt: &NumFormat) -> Axis {
        let (lo, hi) = match fixed {
            Some((a, b)) if a > 0.0 => (a, b),
            _ => (lo, hi),
        };
        let (lo, hi) = if hi <= lo { (lo / 2.0, lo * 2.0) } else { (lo, hi) };
        let ticks: Vec<f64> = log_ticks(lo, hi);
        let domain = (ticks[0].min(lo), ticks.last().copied().unwrap_or(hi).max(hi));
        let labels = ticks.iter().map(|t| fmt.tick(*t, *t)).collect();
        Axis { domain, ticks, labels, log: true }
    }

    pub(crate) fn scale(&self, r0: f64, r1: f64) -> Scale {
        if self.log {
            Scale::log(self.domain, (r0, r1))
        } else {
            Scale::linear(self.domain, (r0, r1))
        }
    }

    pub(crate) fn max_label_width(&self, font_size: f64) -> f64 {
        self.labels.iter().map(|l| text_width_max(l, font_size)).fold(0.0, f64::max)
    }
}

// ---------------------------------------------------------------------------------------------
// Drawing

pub(crate) const FONT: f64 = 11.0;
const TITLE_FONT: f64 = 15.0;
const INK: &str = "#1f2937";
const MUTED: &str = "#6b7280";
const GRID: &str = "#e5e7eb";
const AXIS: &str = "#9ca3af";

/// An SVG under construction.
pub(crate) struct Canvas {
    pub out: String,
    pub w: f64,
    pub h: f64,
}

/// Formats a coordinate with at most one decimal (keeps the markup small).
pub(crate) fn f(v: f64) -> String {
    if !v.is_finite() {
        return "0".into();
    }
    let r = (v * 10.0).round() / 10.0;
    if r == r.trunc() {
        format!("{}", r as i64)
    } else {
        format!("{r:.1}")
    }
}

impl Canvas {
    pub(crate) fn new(spec: &ChartSpec, kind: &str) -> Canvas {
        Canvas::with_size(spec, kind, spec.width, spec.height)
    }

    pub(crate) fn with_size(spec: &ChartSpec, kind: &str, w: f64, h: f64) -> Canvas {
        let mut out = String::with_capacity(8 * 1024);
        let _ = write!(
            out,
            "<svg class=\"chart chart-{kind}\" viewBox=\"0 0 {} {}\" width=\"100%\" preserveAspectRatio=\"xMidYMid meet\" role=\"img\" font-size=\"{FONT}\" fill=\"{INK}\">",
            f(w),
            f(h)
        );
        // The accessible name of the chart.
        out.push_str(&title_el(&spec.title));
        let mut c = Canvas { out, w, h };
        if !spec.title.is_empty() {
            c.text(16.0, 24.0, &spec.title, &format!("font-size=\"{TITLE_FONT}\" font-weight=\"600\""));
        }
        c
    }

    /// Bilingual text at (x, y) with extra attributes (already escaped/trusted).
    pub(crate) fn text(&mut self, x: f64, y: f64, t: &Text, attrs: &str) {
        if t.is_bilingual() {
            for (class, s) in [("l-zh", &t.zh), ("l-en", &t.en)] {
                let _ = write!(self.out, "<text class=\"{class}\" x=\"{}\" y=\"{}\" {attrs}>", f(x), f(y));
                escape_into(&mut self.out, s);
                self.out.push_str("</text>");
            }
        } else {
            let _ = write!(self.out, "<text x=\"{}\" y=\"{}\" {attrs}>", f(x), f(y));
            escape_into(&mut self.out, &t.en);
            self.out.push_str("</text>");
        }
    }

    pub(crate) fn finish(mut self) -> Svg {
        self.out.push_str("</svg>");
        Svg(self.out)
    }

    /// Horizontal grid lines and y tick labels at the left of the plot area.
    pub(crate) fn y_axis(&mut self, axis: &Axis, sy: &Scale, plot: &Plot, label: &Text) {
        for (t, l) in axis.ticks.iter().zip(&axis.labels) {
            let y = sy.map(*t);
            let _ = write!(
                self.out,
                "<line x1=\"{}\" x2=\"{}\" y1=\"{}\" y2=\"{}\" stroke=\"{GRID}\"/>",
                f(plot.x0),
                f(plot.x1),
                f(y),
                f(y)
            );
            self.text(plot.x0 - 6.0, y + 4.0, l, &format!("text-anchor=\"end\" fill=\"{MUTED}\""));
        }
        if !label.is_empty() {
            let cx = 18.0;
            let cy = (plot.y0 + plot.y1) / 2.0;
            self.text(
                cx,
                cy,
                label,
                &format!("text-anchor=\"middle\" font-size=\"12\" fill=\"{MUTED}\" transform=\"rotate(-90 {} {})\"", f(cx), f(cy)),
            );
        }
    }

    /// The x axis line, tick marks and labels below the plot area.
    pub(crate) fn x_axis(&mut self, axis: &Axis, sx: &Scale, plot: &Plot, label: &Text, vertical_grid: bool) {
        // Thin out labels that would overlap.
        let width = plot.x1 - plot.x0;
        let max_w = axis.max_label_width(FONT) + 8.0;
        let n = axis.ticks.len().max(1);
        let every = ((max_w * n as f64 / width).ceil() as usize).max(1);
        for (i, (t, l)) in axis.ticks.iter().zip(&axis.labels).enumerate() {
            let x = sx.map(*t);
            if vertical_grid {
                let _ = write!(
                    self.out,
                    "<line x1=\"{}\" x2=\"{}\" y1=\"{}\" y2=\"{}\" stroke=\"{GRID}\"/>",
                    f(x),
                    f(x),
                    f(plot.y0),
                    f(plot.y1)
                );
            }
            let _ = write!(
                self.out,
                "<line x1=\"{}\" x2=\"{}\" y1=\"{}\" y2=\"{}\" stroke=\"{AXIS}\"/>",
                f(x),
                f(x),
                f(plot.y1),
                f(plot.y1 + 4.0)
            );
            if i % every == 0 {
                self.text(x, plot.y1 + 17.0, l, &format!("text-anchor=\"middle\" fill=\"{MUTED}\""));
            }
        }
        self.baseline(plot);
        self.x_label(plot, label);
    }

    pub(crate) fn baseline(&mut self, plot: &Plot) {
        let _ = write!(
            self.out,
            "<line x1=\"{}\" x2=\"{}\" y1=\"{}\" y2=\"{}\" stroke=\"{AXIS}\"/>",
            f(plot.x0),
            f(plot.x1),
            f(plot.y1),
            f(plot.y1)
        );
    }

    pub(crate) fn x_label(&mut self, plot: &Plot, label: &Text) {
        if !label.is_empty() {
            self.text(
                (plot.x0 + plot.x1) / 2.0,
                plot.y1 + 38.0,
                label,
                &format!("text-anchor=\"middle\" font-size=\"12\" fill=\"{MUTED}\""),
            );
        }
    }

    /// A legend laid out left to right from (x, y), wrapping at the right edge. Returns its height.
    pub(crate) fn legend(&mut self, x: f64, y: f64, items: &[LegendItem]) -> f64 {
        if items.is_empty() {
            return 0.0;
        }
        let bilingual = items.iter().any(|i| i.label.is_bilingual());
        let langs: &[(Option<&str>, bool)] = if bilingual { &[(Some("l-zh"), true), (Some("l-en"), false)] } else { &[(None, false)] };
        let mut height: f64 = 0.0;
        for (class, zh) in langs {
            match class {
                Some(c) => {
                    let _ = write!(self.out, "<g class=\"{c}\">");
                }
                None => self.out.push_str("<g>"),
            }
            let (mut cx, mut cy) = (x, y);
            for item in items {
                let label = if *zh { &item.label.zh } else { &item.label.en };
                let w = crate::text::text_width(label, FONT) + 30.0;
                if cx + w > self.w - 10.0 && cx > x {
                    cx = x;
                    cy += 18.0;
                }
                match item.kind {
                    LegendKind::Swatch => {
                        let _ = write!(
                            self.out,
                            "<rect x=\"{}\" y=\"{}\" width=\"12\" height=\"12\" rx=\"2\" fill=\"{}\"/>",
                            f(cx),
                            f(cy - 10.0),
                            item.color
                        );
                    }
                    LegendKind::Line { dashed } => {
                        let _ = write!(
                            self.out,
                            "<line x1=\"{}\" x2=\"{}\" y1=\"{}\" y2=\"{}\" stroke=\"{}\" stroke-width=\"2.5\"{}/>",
                            f(cx),
                            f(cx + 14.0),
                            f(cy - 4.0),
                            f(cy - 4.0),
                            item.color,
                            if dashed { " stroke-dasharray=\"4 3\"" } else { "" }
                        );
                    }
                    LegendKind::Dot => {
                        let _ = write!(self.out, "<circle cx=\"{}\" cy=\"{}\" r=\"5\" fill=\"{}\"/>", f(cx + 6.0), f(cy - 4.0), item.color);
                    }
                }
                let _ = write!(self.out, "<text x=\"{}\" y=\"{}\">", f(cx + 19.0), f(cy));
                escape_into(&mut self.out, label);
                self.out.push_str("</text>");
                cx += w;
            }
            self.out.push_str("</g>");
            height = height.max(cy - y + 18.0);
        }
        height
    }

    /// A small grey footnote at the bottom left.
    pub(crate) fn footnote(&mut self, t: &Text) {
        let h = self.h;
        self.text(16.0, h - 6.0, t, &format!("font-size=\"10\" fill=\"{MUTED}\""));
    }
}

/// A `<title>` tooltip element carrying both languages.
pub(crate) fn title_el(t: &Text) -> String {
    format!("<title{}>{}</title>", data_attrs(t), escape(&t.en))
}

#[derive(Clone, Debug)]
pub(crate) struct LegendItem {
    pub color: String,
    pub label: Text,
    pub kind: LegendKind,
}

#[derive(Clone, Copy, Debug)]
pub(crate) enum LegendKind {
    Swatch,
    Line { dashed: bool },
    Dot,
}

/// The plot area in pixels: x0 left, x1 right, y0 top, y1 bottom.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Plot {
    pub x0: f64,
    pub x1: f64,
    pub y0: f64,
    pub y1: f64,
}

/// The top of the plot area given the title and the legend height.
pub(crate) fn plot_top(spec: &ChartSpec, legend_h: f64) -> f64 {
    let title = if spec.title.is_empty() { 12.0 } else { 40.0 };
    title + legend_h + if legend_h > 0.0 { 6.0 } else { 4.0 }
}

/// The standard plot area for charts with a y axis of the given tick-label width.
pub(crate) fn plot_area(spec: &ChartSpec, top: f64, y_axis: &Axis, footnote: bool) -> Plot {
    let y_label_w = if spec.y_label.is_empty() { 8.0 } else { 30.0 };
    let x0 = 12.0 + y_label_w + y_axis.max_label_width(FONT) + 6.0;
    let bottom = if spec.x_label.is_empty() { 28.0 } else { 48.0 } + if footnote { 14.0 } else { 0.0 };
    Plot { x0, x1: spec.width - 20.0, y0: top, y1: spec.height - bottom }
}

/// A chart with nothing to draw: the title and a "no data" message.
pub fn empty(spec: &ChartSpec) -> Svg {
    empty_with(spec, &Text::new("暂无数据", "No data"))
}

pub(crate) fn empty_with(spec: &ChartSpec, message: &Text) -> Svg {
    let h = spec.height.min(200.0);
    let mut c = Canvas::with_size(spec, "empty", spec.width, h);
    let _ = write!(
        c.out,
        "<rect x=\"16\" y=\"40\" width=\"{}\" height=\"{}\" rx=\"8\" fill=\"#f9fafb\" stroke=\"{GRID}\" stroke-dasharray=\"6 4\"/>",
        f(spec.width - 32.0),
        f(h - 56.0)
    );
    c.text(spec.width / 2.0, 40.0 + (h - 56.0) / 2.0 + 5.0, message, &format!("text-anchor=\"middle\" font-size=\"14\" fill=\"{MUTED}\""));
    c.finish()
}

/// Indices of at most `max` elements out of `n`, evenly spaced, deterministic, always including
/// the first and the last.
pub(crate) fn sample_indices(n: usize, max: usize) -> impl Iterator<Item = usize> {
    let max = max.max(1);
    let m = n.min(max);
    (0..m).map(move |i| if m <= 1 { 0 } else if n <= max { i } else { (i as u128 * (n - 1) as u128 / (m - 1) as u128) as usize })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_1_2_5() {
        let (t, s) = nice_ticks(0.0, 97.0, 5);
        assert_eq!(s, 20.0);
        assert_eq!(t, vec![0.0, 20.0, 40.0, 60.0, 80.0, 100.0]);
        let (t, s) = nice_ticks(0.0, 1.0, 5);
        assert_eq!(s, 0.2);
        assert_eq!(t[3], 0.6);
        let (t, s) = nice_ticks(-3.0, 12.0, 6);
        assert_eq!(s, 2.0);
        assert_eq!(t[0], -4.0);
        let (t, _) = nice_ticks(5.0, 5.0, 5);
        assert!(t.len() >= 2 && t[0] <= 5.0 && *t.last().unwrap() >= 5.0);
        let (t, _) = nice_ticks(0.0, 0.0, 5);
        assert!(t.len() >= 2);
        let (t, _) = nice_ticks(f64::NAN, 3.0, 5);
        assert!(t.len() >= 2);
        assert_eq!(log_ticks(1.0, 1000.0), vec![1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0]);
    }

    #[test]
    fn samples_are_deterministic_and_bounded() {
        let v: Vec<usize> = sample_indices(1_000_000, 2000).collect();
        assert_eq!(v.len(), 2000);
        assert_eq!(v[0], 0);
        assert_eq!(*v.last().unwrap(), 999_999);
        assert!(v.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(sample_indices(5, 2000).count(), 5);
        assert_eq!(sample_indices(0, 2000).count(), 0);
    }

    #[test]
    fn colours_cannot_inject() {
        assert_eq!(safe_color(Some("\"/><script>"), "#000"), "#000");
        assert_eq!(safe_color(Some("#12ab34"), "#000"), "#12ab34");
        assert_eq!(safe_color(Some("rgb(1, 2, 3)"), "#000"), "rgb(1, 2, 3)");
    }
}
