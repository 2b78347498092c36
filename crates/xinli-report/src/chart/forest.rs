use super::*;

/// One row of a forest plot: a label, a point estimate and its interval.
#[derive(Clone, Debug, PartialEq)]
pub struct ForestRow {
    pub label: Text,
    pub estimate: f64,
    pub low: f64,
    pub high: f64,
}

impl ForestRow {
    pub fn new(label: impl Into<Text>, estimate: f64, low: f64, high: f64) -> Self {
        ForestRow { label: label.into(), estimate, low, high }
    }
}

/// A forest plot: one row per estimate, a dot with a horizontal interval, and a dashed
/// reference line at `reference` (0 for differences, e.g. risk differences). Intervals that
/// exclude the reference are drawn in the first palette colour, the others in grey.
/// `spec.y_label` and `y_format` describe the value axis; rows with a non-finite estimate or
/// bound are skipped.
pub fn forest(spec: &ChartSpec, rows: &[ForestRow], reference: f64) -> Svg {
    let rows: Vec<&ForestRow> =
        rows.iter().filter(|r| r.estimate.is_finite() && r.low.is_finite() && r.high.is_finite()).collect();
    if rows.is_empty() {
        return empty(spec);
    }
    let lo = rows.iter().map(|r| r.low).fold(reference, f64::min);
    let hi = rows.iter().map(|r| r.high).fold(reference, f64::max);
    let axis = Axis::linear(lo, if hi == lo { lo + 1.0 } else { hi }, spec.y_domain, 6, &spec.y_format);
    let row_h = 26.0;
    let top = plot_top(spec, 0.0);
    let bottom = if spec.y_label.is_empty() { 28.0 } else { 48.0 };
    let height = spec.height.max(top + row_h * rows.len() as f64 + bottom);
    let mut c = Canvas::with_size(spec, "forest", spec.width, height);
    let label_w = rows.iter().map(|r| text_width_max(&r.label, FONT)).fold(0.0, f64::max).min(spec.width * 0.4);
    let plot = Plot { x0: 16.0 + label_w + 8.0, x1: spec.width - 24.0, y0: top, y1: height - bottom };
    let sx = axis.scale(plot.x0, plot.x1);
    c.x_axis(&axis, &sx, &plot, &spec.y_label, true);
    let x_ref = sx.map_clamped(reference);
    let _ = write!(
        c.out,
        "<line x1=\"{}\" x2=\"{}\" y1=\"{}\" y2=\"{}\" stroke=\"{INK}\" stroke-dasharray=\"4 3\"/>",
        f(x_ref),
        f(x_ref),
        f(plot.y0),
        f(plot.y1)
    );
    let band = (plot.y1 - plot.y0) / rows.len() as f64;
    c.out.push_str("<g class=\"marks\">");
    for (i, r) in rows.iter().enumerate() {
        let y = plot.y0 + band * (i as f64 + 0.5);
        let color = if r.low > reference || r.high < reference { palette(0) } else { "#9ca3af" };
        let (e, l, h) = (spec.y_format.value(r.estimate), spec.y_format.value(r.low), spec.y_format.value(r.high));
        let tip = Text::new(
            format!("{}：{}（{} 至 {}）", r.label.zh, e.zh, l.zh, h.zh),
            format!("{}: {} ({} to {})", r.label.en, e.en, l.en, h.en),
        );
        let _ = write!(
            c.out,
            "<g><line x1=\"{}\" x2=\"{}\" y1=\"{}\" y2=\"{}\" stroke=\"{color}\" stroke-width=\"2\"/><circle cx=\"{}\" cy=\"{}\" r=\"4.5\" fill=\"{color}\"/>{}</g>",
            f(sx.map_clamped(r.low)),
            f(sx.map_clamped(r.high)),
            f(y),
            f(y),
            f(sx.map_clamped(r.estimate)),
            f(y),
            title_el(&tip)
        );
    }
    c.out.push_str("</g>");
    for (i, r) in rows.iter().enumerate() {
        let y = plot.y0 + band * (i as f64 + 0.5) + 4.0;
        c.text(plot.x0 - 8.0, y, &r.label, "text-anchor=\"end\" fill=\"#374151\"");
    }
    c.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_every_finite_row_and_the_reference() {
        let spec = ChartSpec::new(Text::new("流失因素", "Churn drivers")).y_format(NumFormat::Percent(0));
        let rows = [
            ForestRow::new(Text::new("退货", "returned"), 0.2, 0.1, 0.3),
            ForestRow::new(Text::new("优惠券", "coupon"), -0.05, -0.1, 0.02),
            ForestRow::new("bad", f64::NAN, 0.0, 1.0),
        ];
        let svg = forest(&spec, &rows, 0.0).into_string();
        assert_eq!(svg.matches("<circle").count(), 2);
        assert!(svg.contains("stroke-dasharray") && svg.contains("returned") && svg.contains("退货"));
        // The significant row is coloured, the other grey.
        assert!(svg.contains(palette(0)) && svg.contains("#9ca3af"));
        assert!(forest(&spec, &[], 0.0).as_str().contains("<svg"));
    }
}
