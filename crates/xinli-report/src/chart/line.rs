use super::*;

/// One line of a line or area chart.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub name: Text,
    /// (x, y) points in drawing order; non-finite points are skipped.
    pub points: Vec<(f64, f64)>,
    pub color: Option<String>,
    /// Drawn dashed (reference lines such as the diagonal of a Lorenz curve).
    pub dashed: bool,
    /// Filled down to zero (area chart).
    pub fill: bool,
}

impl Series {
    pub fn new(name: impl Into<Text>, points: Vec<(f64, f64)>) -> Self {
        Series { name: name.into(), points, color: None, dashed: false, fill: false }
    }
    pub fn color(mut self, c: impl Into<String>) -> Self {
        self.color = Some(c.into());
        self
    }
    pub fn dashed(mut self) -> Self {
        self.dashed = true;
        self
    }
    pub fn filled(mut self) -> Self {
        self.fill = true;
        self
    }
}

/// A highlighted point with a label (e.g. "top 20 % → 64 % of revenue"), drawn with guide lines
/// to both axes.
#[derive(Clone, Debug, PartialEq)]
pub struct Marker {
    pub x: f64,
    pub y: f64,
    pub label: Text,
}

impl Marker {
    pub fn new(x: f64, y: f64, label: impl Into<Text>) -> Self {
        Marker { x, y, label: label.into() }
    }
}

/// Lines never draw more than this many points per series (evenly spaced subsample).
const MAX_LINE_POINTS: usize = 1_000;

/// A line chart with any number of series and optional labelled markers.
pub fn line(spec: &ChartSpec, series: &[Series], markers: &[Marker]) -> Svg {
    draw(spec, series, markers, false)
}

/// [`line`] with every series filled down to zero.
pub fn area(spec: &ChartSpec, series: &[Series], markers: &[Marker]) -> Svg {
    draw(spec, series, markers, true)
}

fn draw(spec: &ChartSpec, series: &[Series], markers: &[Marker], all_filled: bool) -> Svg {
    let ok = |&(x, y): &(f64, f64)| x.is_finite() && y.is_finite() && (!spec.log_x || x > 0.0);
    let cleaned: Vec<Vec<(f64, f64)>> = series
        .iter()
        .map(|s| {
            let valid: Vec<(f64, f64)> = s.points.iter().copied().filter(ok).collect();
            if valid.len() > MAX_LINE_POINTS {
                sample_indices(valid.len(), MAX_LINE_POINTS).map(|i| valid[i]).collect()
            } else {
                valid
            }
        })
        .collect();
    let markers: Vec<&Marker> = markers.iter().filter(|m| ok(&(m.x, m.y))).collect();
    let all = cleaned.iter().flatten().copied().chain(markers.iter().map(|m| (m.x, m.y)));
    let (mut x0, mut x1, mut y0, mut y1) = (f64::INFINITY, f64::NEG_INFINITY, f64::INFINITY, f64::NEG_INFINITY);
    let mut any = false;
    for (x, y) in all {
        any = true;
        x0 = x0.min(x);
        x1 = x1.max(x);
        y0 = y0.min(y);
        y1 = y1.max(y);
    }
    if !any || cleaned.iter().all(|c| c.is_empty()) {
        return empty(spec);
    }
    let any_fill = all_filled || series.iter().any(|s| s.fill);
    if any_fill {
        y0 = y0.min(0.0);
        y1 = y1.max(0.0);
    }
    let x_axis = if spec.log_x { Axis::log(x0, x1, spec.x_domain, &spec.x_format) } else { Axis::linear(x0, x1, spec.x_domain, 8, &spec.x_format) };
    let y_axis = Axis::linear(y0, y1, spec.y_domain, 5, &spec.y_format);
    let colors: Vec<String> = series.iter().enumerate().map(|(i, s)| safe_color(s.color.as_deref(), palette(i))).collect();

    let mut c = Canvas::new(spec, "line");
    let legend: Vec<LegendItem> = if series.len() > 1 {
        series
            .iter()
            .zip(&colors)
            .map(|(s, col)| LegendItem { color: col.clone(), label: s.name.clone(), kind: LegendKind::Line { dashed: s.dashed } })
            .collect()
    } else {
        Vec::new()
    };
    let legend_h = c.legend(16.0, 52.0, &legend);
    let plot = plot_area(spec, plot_top(spec, legend_h), &y_axis, false);
    let sx = x_axis.scale(plot.x0, plot.x1);
    let sy = y_axis.scale(plot.y1, plot.y0);
    c.y_axis(&y_axis, &sy, &plot, &spec.y_label);
    c.x_axis(&x_axis, &sx, &plot, &spec.x_label, false);

    let base = sy.map_clamped(0.0f64.clamp(y_axis.domain.0, y_axis.domain.1));
    c.out.push_str("<g class=\"marks\">");
    for ((s, pts), col) in series.iter().zip(&cleaned).zip(&colors) {
        if pts.is_empty() {
            continue;
        }
        let mut d = String::with_capacity(pts.len() * 14);
        for (i, &(x, y)) in pts.iter().enumerate() {
            let _ = write!(d, "{}{},{}", if i == 0 { "M" } else { "L" }, f(sx.map_clamped(x)), f(sy.map_clamped(y)));
        }
        if all_filled || s.fill {
            let (fx, lx) = (sx.map_clamped(pts[0].0), sx.map_clamped(pts[pts.len() - 1].0));
            let _ = write!(c.out, "<path d=\"{d}L{},{}L{},{}Z\" fill=\"{col}\" fill-opacity=\"0.14\" stroke=\"none\"/>", f(lx), f(base), f(fx), f(base));
        }
        let _ = write!(
            c.out,
            "<path d=\"{d}\" fill=\"none\" stroke=\"{col}\" stroke-width=\"{}\" stroke-linejoin=\"round\" stroke-linecap=\"round\"{}>{}</path>",
            if s.dashed { "1.5" } else { "2.5" },
            if s.dashed { " stroke-dasharray=\"5 4\"" } else { "" },
            title_el(&s.name)
        );
        // Hover targets with exact values for short series.
        if pts.len() <= 300 && !s.dashed {
            let visible = pts.len() <= 40;
            for &(x, y) in pts {
                let (vx, vy) = (spec.x_format.value(x), spec.y_format.value(y));
                let tip = Text::new(format!("{}：{}, {}", s.name.zh, vx.zh, vy.zh), format!("{}: {}, {}", s.name.en, vx.en, vy.en));
                let _ = write!(
                    c.out,
                    "<circle cx=\"{}\" cy=\"{}\" r=\"{}\" fill=\"{}\"{}>{}</circle>",
                    f(sx.map_clamped(x)),
                    f(sy.map_clamped(y)),
                    if visible { "3.5" } else { "4" },
                    if visible { col.as_str() } else { "transparent" },
                    if visible { " stroke=\"#fff\" stroke-width=\"1.5\"" } else { "" },
                    title_el(&tip)
                );
            }
        }
    }
    c.out.push_str("</g>");

    for m in markers {
        let (px, py) = (sx.map_clamped(m.x), sy.map_clamped(m.y));
        let _ = write!(
            c.out,
            "<g class=\"marker\"><path d=\"M{},{}V{}M{},{}H{}\" stroke=\"#111827\" stroke-width=\"1\" stroke-dasharray=\"3 3\" fill=\"none\"/><circle cx=\"{}\" cy=\"{}\" r=\"5.5\" fill=\"#111827\" stroke=\"#fff\" stroke-width=\"2\">{}</circle>",
            f(px),
            f(py),
            f(plot.y1),
            f(plot.x0),
            f(py),
            f(px),
            f(px),
            f(py),
            title_el(&m.label)
        );
        // Label to the right of the point, or to the left near the right edge.
        let w = text_width_max(&m.label, 12.0);
        let (lx, anchor) = if px + 10.0 + w < plot.x1 { (px + 10.0, "start") } else { (px - 10.0, "end") };
        let ly = if py - 10.0 > plot.y0 + 10.0 { py + 18.0 } else { py + 20.0 };
        c.text(
            lx,
            ly,
            &m.label,
            &format!("text-anchor=\"{anchor}\" font-size=\"12\" font-weight=\"600\" stroke=\"#fff\" stroke-width=\"4\" paint-order=\"stroke\" stroke-linejoin=\"round\""),
        );
        c.out.push_str("</g>");
    }
    c.finish()
}
