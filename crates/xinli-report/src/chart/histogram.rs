use super::*;
use crate::format;

/// A histogram of `values` with about `bins` bins (0 = automatic). With `spec.log_x` the bins are
/// equal-width in log space (for skewed data such as CLV); values ≤ 0 are then left out and
/// counted in a footnote. Non-finite values are skipped (and counted). With `spec.x_domain`,
/// values outside it are left out (and counted).
///
/// Runs in one pass over the data after finding the range: fine for millions of values.
pub fn histogram(spec: &ChartSpec, values: &[f64], bins: usize) -> Svg {
    let bins = if bins == 0 { 30 } else { bins.min(200) };
    let mut skipped_nonfinite = 0usize;
    let mut skipped_nonpositive = 0usize;
    let mut skipped_outside = 0usize;
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    let keep = |v: f64| -> Result<(), u8> {
        if !v.is_finite() {
            return Err(0);
        }
        if spec.log_x && v <= 0.0 {
            return Err(1);
        }
        if let Some((a, b)) = spec.x_domain {
            if v < a || v > b {
                return Err(2);
            }
        }
        Ok(())
    };
    for &v in values {
        match keep(v) {
            Ok(()) => {
                lo = lo.min(v);
                hi = hi.max(v);
            }
            Err(0) => skipped_nonfinite += 1,
            Err(1) => skipped_nonpositive += 1,
            Err(_) => skipped_outside += 1,
        }
    }
    if lo > hi {
        return empty(spec);
    }
    if let Some((a, b)) = spec.x_domain {
        lo = if spec.log_x && a <= 0.0 { lo } else { a };
        hi = b;
    }

    // Bins: equal-width in log space (exact edges, fast lookup), or nice linear steps.
    let log_bins = spec.log_x.then(|| crate::stats::LogBins::new(lo, hi, bins));
    let (start, width, nbins) = match &log_bins {
        Some(b) => (0.0, 0.0, b.len()),
        None => {
            let (_, step) = nice_ticks(lo, hi, bins);
            let start = (lo / step).floor() * step;
            let n = (((hi - start) / step).ceil() as usize).max(1);
            // `hi` exactly on an edge would make a final, empty bin of its own: fold it into the last.
            let n = if start + n as f64 * step <= hi { n + 1 } else { n };
            (start, step, n.min(400))
        }
    };
    let mut counts = vec![0u64; nbins];
    let mut total = 0u64;
    let inv_width = 1.0 / width;
    for &v in values {
        if keep(v).is_err() {
            continue;
        }
        let i = match &log_bins {
            Some(b) => b.index(v),
            None => {
                let g = (v - start) * inv_width;
                if g > 0.0 {
                    (g as usize).min(nbins - 1)
                } else {
                    0
                }
            }
        };
        counts[i] += 1;
        total += 1;
    }
    let edge = |i: usize| -> f64 {
        match &log_bins {
            Some(b) if i >= b.len() => if b.len() == 1 { hi * 1.1 } else { hi },
            Some(b) if b.len() == 1 => lo / 1.1,
            Some(b) => b.edge(i),
            None => start + i as f64 * width,
        }
    };
    let edges: Vec<f64> = (0..=nbins).map(edge).collect();
    let mut notes = (Vec::new(), Vec::new());
    if skipped_nonpositive > 0 {
        notes.0.push(format!("{} 个 ≤ 0 的值未显示（对数坐标）", format::int(skipped_nonpositive as u64)));
        notes.1.push(format!("{} values ≤ 0 not shown (log scale)", format::int(skipped_nonpositive as u64)));
    }
    if skipped_outside > 0 {
        notes.0.push(format!("{} 个超出范围的值未显示", format::int(skipped_outside as u64)));
        notes.1.push(format!("{} values outside the range not shown", format::int(skipped_outside as u64)));
    }
    if skipped_nonfinite > 0 {
        notes.0.push(format!("{} 个无效值已跳过", format::int(skipped_nonfinite as u64)));
        notes.1.push(format!("{} invalid values skipped", format::int(skipped_nonfinite as u64)));
    }
    let footnote = (!notes.0.is_empty()).then(|| Text::new(notes.0.join("；"), notes.1.join("; ")));
    draw(spec, &edges, &counts, total, footnote.as_ref())
}

/// A histogram of data binned by the caller: `counts[i]` values fall in `[edges[i], edges[i+1])`
/// (so `edges.len() == counts.len() + 1`, ascending; on a log axis all edges must be > 0).
/// Invalid input gives the "no data" chart. `footnote` is shown under the chart (e.g. how many
/// values were left out).
pub fn histogram_binned(spec: &ChartSpec, edges: &[f64], counts: &[u64], footnote: Option<&Text>) -> Svg {
    let valid = edges.len() == counts.len() + 1
        && !counts.is_empty()
        && edges.iter().all(|e| e.is_finite() && (!spec.log_x || *e > 0.0))
        && edges.windows(2).all(|w| w[0] < w[1]);
    let total: u64 = counts.iter().sum();
    if !valid || total == 0 {
        return empty(spec);
    }
    draw(spec, edges, counts, total, footnote)
}

fn draw(spec: &ChartSpec, edges: &[f64], counts: &[u64], total: u64, footnote: Option<&Text>) -> Svg {
    let nbins = counts.len();
    let edge = |i: usize| edges[i];
    let max_count = counts.iter().copied().max().unwrap_or(0) as f64;
    let y_axis = Axis::linear(0.0, max_count.max(1.0), None, 5, &NumFormat::Number);
    let x_axis = if spec.log_x {
        Axis::log(edge(0), edge(nbins), None, &spec.x_format)
    } else {
        Axis::linear(edge(0), edge(nbins), Some((edge(0), edge(nbins))), 8, &spec.x_format)
    };
    let mut c = Canvas::new(spec, "histogram");
    let top = plot_top(spec, 0.0);
    let plot = plot_area(spec, top, &y_axis, footnote.is_some());
    let sy = y_axis.scale(plot.y1, plot.y0);
    let sx = x_axis.scale(plot.x0, plot.x1);
    c.y_axis(&y_axis, &sy, &plot, &spec.y_label);

    let color = palette(0);
    c.out.push_str("<g class=\"marks\">");
    for (i, &n) in counts.iter().enumerate() {
        if n == 0 {
            continue;
        }
        let (a, b) = (edge(i), edge(i + 1));
        let (x0, x1) = (sx.map_clamped(a), sx.map_clamped(b));
        let gap = if x1 - x0 > 4.0 { 1.0 } else { 0.0 };
        let y = sy.map(n as f64);
        let share = n as f64 / total.max(1) as f64;
        let (fa, fb) = (spec.x_format.value(a), spec.x_format.value(b));
        let tip = Text::new(
            format!("{} – {}：{}（{}）", fa.zh, fb.zh, format::int(n), format::pct(share, 1)),
            format!("{} – {}: {} ({})", fa.en, fb.en, format::int(n), format::pct(share, 1)),
        );
        let _ = write!(
            c.out,
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{color}\" rx=\"1\">{}</rect>",
            f(x0 + gap / 2.0),
            f(y),
            f((x1 - x0 - gap).max(0.5)),
            f((plot.y1 - y).max(0.5)),
            title_el(&tip)
        );
    }
    c.out.push_str("</g>");
    c.x_axis(&x_axis, &sx, &plot, &spec.x_label, false);
    if let Some(t) = footnote {
        c.footnote(t);
    }
    c.finish()
}
