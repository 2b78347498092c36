use super::*;
use crate::format;

/// How scatter points are coloured.
#[derive(Clone, Copy, Debug, Default)]
pub enum PointColors<'a> {
    /// All points in the first palette colour.
    #[default]
    Single,
    /// `index[i]` is the group of point `i` (its colour and legend entry is `names[index[i]]`).
    /// Points whose index is out of range are grey.
    Groups { index: &'a [u8], names: &'a [Text] },
}

/// A scatter plot. Non-finite points (and x ≤ 0 on a log axis) are skipped. With more than
/// `spec.max_points` (default 2,000) points, an evenly spaced, deterministic subsample is drawn
/// and a footnote says so; the axes still cover every point.
pub fn scatter(spec: &ChartSpec, points: &[(f64, f64)], colors: PointColors<'_>) -> Svg {
    let ok = |&(x, y): &(f64, f64)| x.is_finite() && y.is_finite() && (!spec.log_x || x > 0.0);
    let (mut x0, mut x1, mut y0, mut y1) = (f64::INFINITY, f64::NEG_INFINITY, f64::INFINITY, f64::NEG_INFINITY);
    let mut n = 0usize;
    for p in points {
        if ok(p) {
            n += 1;
            x0 = x0.min(p.0);
            x1 = x1.max(p.0);
            y0 = y0.min(p.1);
            y1 = y1.max(p.1);
        }
    }
    if n == 0 {
        return empty(spec);
    }
    let skipped = points.len() - n;
    let x_axis = if spec.log_x { Axis::log(x0, x1, spec.x_domain, &spec.x_format) } else { Axis::linear(x0, x1, spec.x_domain, 8, &spec.x_format) };
    let y_axis = Axis::linear(y0, y1, spec.y_domain, 5, &spec.y_format);

    let mut c = Canvas::new(spec, "scatter");
    let (index, names): (&[u8], &[Text]) = match colors {
        PointColors::Single => (&[], &[]),
        PointColors::Groups { index, names } => (index, names),
    };
    let group_colors: Vec<&str> = (0..names.len()).map(palette).collect();
    let legend: Vec<LegendItem> =
        names.iter().zip(&group_colors).map(|(t, col)| LegendItem { color: col.to_string(), label: t.clone(), kind: LegendKind::Dot }).collect();
    let legend_h = c.legend(16.0, 52.0, &legend);
    let sampled = n > spec.max_points;
    let footnote = sampled || skipped > 0;
    let plot = plot_area(spec, plot_top(spec, legend_h), &y_axis, footnote);
    let sx = x_axis.scale(plot.x0, plot.x1);
    let sy = y_axis.scale(plot.y1, plot.y0);
    c.y_axis(&y_axis, &sy, &plot, &spec.y_label);
    c.x_axis(&x_axis, &sx, &plot, &spec.x_label, true);

    let r = if n > 500 { 2.6 } else { 3.5 };
    let _ = write!(c.out, "<g class=\"marks\" fill-opacity=\"0.6\">");
    // Walk the valid points in order, keeping those whose rank is next in the sample.
    let mut wanted = sample_indices(n, spec.max_points).peekable();
    let mut rank = 0usize;
    for (i, p) in points.iter().enumerate() {
        if !ok(p) {
            continue;
        }
        let this = rank;
        rank += 1;
        if wanted.peek() != Some(&this) {
            continue;
        }
        wanted.next();
        let (col, group) = match index.get(i) {
            Some(&g) if (g as usize) < names.len() => (group_colors[g as usize], Some(&names[g as usize])),
            Some(_) => ("#9ca3af", None),
            None => (palette(0), None),
        };
        let (vx, vy) = (spec.x_format.value(p.0), spec.y_format.value(p.1));
        let tip = match group {
            Some(g) => Text::new(format!("{}：({}, {})", g.zh, vx.zh, vy.zh), format!("{}: ({}, {})", g.en, vx.en, vy.en)),
            None => Text::new(format!("({}, {})", vx.zh, vy.zh), format!("({}, {})", vx.en, vy.en)),
        };
        let _ = write!(c.out, "<circle cx=\"{}\" cy=\"{}\" r=\"{r}\" fill=\"{col}\">{}</circle>", f(sx.map_clamped(p.0)), f(sy.map_clamped(p.1)), title_el(&tip));
    }
    c.out.push_str("</g>");
    if footnote {
        let shown = n.min(spec.max_points) as u64;
        let mut zh = Vec::new();
        let mut en = Vec::new();
        if sampled {
            zh.push(format!("显示 {} / {} 个点（等距抽样）", format::int(shown), format::int(n as u64)));
            en.push(format!("Showing {} of {} points (evenly spaced sample)", format::int(shown), format::int(n as u64)));
        }
        if skipped > 0 {
            zh.push(format!("{} 个无效点已跳过", format::int(skipped as u64)));
            en.push(format!("{} invalid points skipped", format::int(skipped as u64)));
        }
        c.footnote(&Text::new(zh.join("；"), en.join("; ")));
    }
    c.finish()
}
