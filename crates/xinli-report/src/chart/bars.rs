use super::*;

/// Which way bars grow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Orientation {
    /// Categories along the x axis, bars grow upwards.
    #[default]
    Vertical,
    /// Categories down the y axis, bars grow to the right (for long category names).
    Horizontal,
}

/// One series of a bar chart: a value per category (NaN = no bar).
#[derive(Clone, Debug, PartialEq)]
pub struct BarSeries {
    pub name: Text,
    pub values: Vec<f64>,
    pub color: Option<String>,
}

impl BarSeries {
    pub fn new(name: impl Into<Text>, values: Vec<f64>) -> Self {
        BarSeries { name: name.into(), values, color: None }
    }
    pub fn color(mut self, c: impl Into<String>) -> Self {
        self.color = Some(c.into());
        self
    }
}

/// A bar chart; with several series the bars are grouped per category (e.g. predicted vs
/// actual). `spec.y_label`, `y_format` and `y_domain` always describe the value axis and
/// `spec.x_label` the category axis, whatever the orientation. Horizontal charts grow taller to
/// fit their categories.
pub fn bars(spec: &ChartSpec, categories: &[Text], series: &[BarSeries], orientation: Orientation) -> Svg {
    let ncat = categories.len();
    let (mut lo, mut hi) = (0.0f64, f64::NEG_INFINITY);
    for s in series {
        for &v in s.values.iter().take(ncat) {
            if v.is_finite() {
                lo = lo.min(v);
                hi = hi.max(v);
            }
        }
    }
    if ncat == 0 || series.is_empty() || hi == f64::NEG_INFINITY {
        return empty(spec);
    }
    let hi = hi.max(0.0);
    let value_axis = Axis::linear(lo, if hi == lo { lo + 1.0 } else { hi }, spec.y_domain, 5, &spec.y_format);
    let colors: Vec<String> = series.iter().enumerate().map(|(i, s)| safe_color(s.color.as_deref(), palette(i))).collect();
    let legend: Vec<LegendItem> = if series.len() > 1 {
        series
            .iter()
            .zip(&colors)
            .map(|(s, c)| LegendItem { color: c.clone(), label: s.name.clone(), kind: LegendKind::Swatch })
            .collect()
    } else {
        Vec::new()
    };
    let tip = |cat: &Text, s: &BarSeries, v: f64| -> Text {
        let val = spec.y_format.value(v);
        if series.len() > 1 {
            Text::new(format!("{} · {}：{}", cat.zh, s.name.zh, val.zh), format!("{} · {}: {}", cat.en, s.name.en, val.en))
        } else {
            Text::new(format!("{}：{}", cat.zh, val.zh), format!("{}: {}", cat.en, val.en))
        }
    };
    let ns = series.len() as f64;

    match orientation {
        Orientation::Vertical => {
            let mut c = Canvas::new(spec, "bars");
            let legend_h = c.legend(16.0, 52.0, &legend);
            let top = plot_top(spec, legend_h);
            let mut plot = plot_area(spec, top, &value_axis, false);
            let band = (plot.x1 - plot.x0) / ncat as f64;
            let max_label = categories.iter().map(|t| text_width_max(t, FONT)).fold(0.0, f64::max);
            let rotate = max_label > band - 4.0;
            if rotate {
                plot.y1 -= (max_label * 0.55).min(90.0);
            }
            let sy = value_axis.scale(plot.y1, plot.y0);
            c.y_axis(&value_axis, &sy, &plot, &spec.y_label);
            let inner = band * if ncat == 1 { 0.5 } else { 0.78 };
            let bw = inner / ns;
            let zero = sy.map_clamped(0.0);
            c.out.push_str("<g class=\"marks\">");
            let mut labels = String::new();
            for (ci, cat) in categories.iter().enumerate() {
                let gx = plot.x0 + band * ci as f64 + (band - inner) / 2.0;
                for (si, s) in series.iter().enumerate() {
                    let v = s.values.get(ci).copied().unwrap_or(f64::NAN);
                    if !v.is_finite() {
                        continue;
                    }
                    let y = sy.map_clamped(v);
                    let (top_y, h) = if y < zero { (y, zero - y) } else { (zero, y - zero) };
                    let x = gx + bw * si as f64;
                    let _ = write!(
                        c.out,
                        "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\" rx=\"2\">{}</rect>",
                        f(x + 0.5),
                        f(top_y),
                        f((bw - 1.0).max(0.5)),
                        f(h.max(0.5)),
                        colors[si],
                        title_el(&tip(cat, s, v))
                    );
                    if spec.show_values {
                        let val = spec.y_format.value(v);
                        if text_width_max(&val, 10.0) <= bw + 8.0 {
                            let ly = if v >= 0.0 { top_y - 4.0 } else { top_y + h + 12.0 };
                            let mut tmp = Canvas { out: std::mem::take(&mut labels), w: 0.0, h: 0.0 };
                            tmp.text(x + bw / 2.0, ly, &val, &format!("text-anchor=\"middle\" font-size=\"10\" fill=\"{}\"", "#4b5563"));
                            labels = tmp.out;
                        }
                    }
                }
            }
            c.out.push_str("</g>");
            c.out.push_str(&labels);
            // Category labels, thinned out when there are very many.
            let every = ((12.0 / band).ceil() as usize).max(1);
            for (ci, cat) in categories.iter().enumerate() {
                if ci % every != 0 {
                    continue;
                }
                let x = plot.x0 + band * (ci as f64 + 0.5);
                let y = plot.y1 + 16.0;
                if rotate {
                    c.text(x, y, cat, &format!("text-anchor=\"end\" fill=\"#4b5563\" transform=\"rotate(-35 {} {})\"", f(x), f(y)));
                } else {
                    c.text(x, y, cat, "text-anchor=\"middle\" fill=\"#4b5563\"");
                }
            }
            c.baseline(&plot);
            if !spec.x_label.is_empty() {
                let y = if rotate { spec.height - 8.0 } else { plot.y1 + 38.0 };
                c.text((plot.x0 + plot.x1) / 2.0, y, &spec.x_label, "text-anchor=\"middle\" font-size=\"12\" fill=\"#6b7280\"");
            }
            c.finish()
        }
        Orientation::Horizontal => {
            let row = (ns * 14.0 + 10.0).max(24.0);
            let legend_probe_h = if legend.is_empty() { 0.0 } else { 22.0 };
            let top_guess = plot_top(spec, legend_probe_h);
            let bottom = if spec.y_label.is_empty() { 28.0 } else { 48.0 };
            let height = spec.height.max(top_guess + row * ncat as f64 + bottom);
            let mut c = Canvas::with_size(spec, "bars", spec.width, height);
            let legend_h = c.legend(16.0, 52.0, &legend);
            let top = plot_top(spec, legend_h);
            let label_w = categories.iter().map(|t| text_width_max(t, FONT)).fold(0.0, f64::max).min(spec.width * 0.35);
            let x_label_w = if spec.x_label.is_empty() { 0.0 } else { 22.0 };
            let plot = Plot { x0: 16.0 + x_label_w + label_w + 8.0, x1: spec.width - 40.0, y0: top, y1: height - bottom };
            let sx = value_axis.scale(plot.x0, plot.x1);
            let band = (plot.y1 - plot.y0) / ncat as f64;
            // Grid and value labels along the bottom.
            c.x_axis(&value_axis, &sx, &plot, &spec.y_label, true);
            let inner = band * 0.78;
            let bh = inner / ns;
            let zero = sx.map_clamped(0.0);
            c.out.push_str("<g class=\"marks\">");
            let mut labels = Canvas { out: String::new(), w: 0.0, h: 0.0 };
            for (ci, cat) in categories.iter().enumerate() {
                let gy = plot.y0 + band * ci as f64 + (band - inner) / 2.0;
                for (si, s) in series.iter().enumerate() {
                    let v = s.values.get(ci).copied().unwrap_or(f64::NAN);
                    if !v.is_finite() {
                        continue;
                    }
                    let x = sx.map_clamped(v);
                    let (left, w) = if x < zero { (x, zero - x) } else { (zero, x - zero) };
                    let y = gy + bh * si as f64;
                    let _ = write!(
                        c.out,
                        "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\" rx=\"2\">{}</rect>",
                        f(left),
                        f(y + 0.5),
                        f(w.max(0.5)),
                        f((bh - 1.0).max(0.5)),
                        colors[si],
                        title_el(&tip(cat, s, v))
                    );
                    if spec.show_values && bh >= 9.0 {
                        let val = spec.y_format.value(v);
                        labels.text(left + w + 4.0, y + bh / 2.0 + 4.0, &val, "font-size=\"10\" fill=\"#4b5563\"");
                    }
                }
            }
            c.out.push_str("</g>");
            c.out.push_str(&labels.out);
            for (ci, cat) in categories.iter().enumerate() {
                let y = plot.y0 + band * (ci as f64 + 0.5) + 4.0;
                c.text(plot.x0 - 8.0, y, cat, "text-anchor=\"end\" fill=\"#374151\"");
            }
            if !spec.x_label.is_empty() {
                let (cx, cy) = (18.0, (plot.y0 + plot.y1) / 2.0);
                c.text(cx, cy, &spec.x_label, &format!("text-anchor=\"middle\" font-size=\"12\" fill=\"#6b7280\" transform=\"rotate(-90 {} {})\"", f(cx), f(cy)));
            }
            c.finish()
        }
    }
}
