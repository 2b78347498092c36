use super::*;

/// Sequential colour scale, light to dark blue.
const STOPS: [(f64, (u8, u8, u8)); 5] =
    [(0.0, (239, 246, 255)), (0.25, (191, 219, 254)), (0.5, (96, 165, 250)), (0.75, (37, 99, 235)), (1.0, (30, 58, 138))];

pub(crate) fn ramp(t: f64) -> String {
    let t = if t.is_finite() { t.clamp(0.0, 1.0) } else { 0.0 };
    let mut i = 0;
    while i + 2 < STOPS.len() && t > STOPS[i + 1].0 {
        i += 1;
    }
    let (t0, c0) = STOPS[i];
    let (t1, c1) = STOPS[i + 1];
    let u = ((t - t0) / (t1 - t0)).clamp(0.0, 1.0);
    let mix = |a: u8, b: u8| (a as f64 + (b as f64 - a as f64) * u).round() as u8;
    format!("#{:02x}{:02x}{:02x}", mix(c0.0, c1.0), mix(c0.1, c1.1), mix(c0.2, c1.2))
}

/// A heatmap: `values[r][c]` for row `rows[r]` and column `cols[c]` (`None`, NaN or a missing
/// entry = blank cell), e.g. cohort retention with acquisition months as rows and months since
/// the first purchase as columns.
///
/// Cell values are printed (when they fit and `spec.show_values`) and formatted with
/// `spec.y_format`; the colour scale spans `spec.y_domain` if given (values outside are clamped),
/// otherwise the data's range. `spec.x_label` titles the columns and `spec.y_label` the rows. The
/// chart grows taller to fit its rows.
#[allow(clippy::needless_range_loop)] // rows, columns and values are indexed together
pub fn heatmap(spec: &ChartSpec, rows: &[Text], cols: &[Text], values: &[Vec<Option<f64>>]) -> Svg {
    let cell = |r: usize, c: usize| -> Option<f64> { values.get(r).and_then(|row| row.get(c)).copied().flatten().filter(|v| v.is_finite()) };
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for r in 0..rows.len() {
        for c in 0..cols.len() {
            if let Some(v) = cell(r, c) {
                lo = lo.min(v);
                hi = hi.max(v);
            }
        }
    }
    if rows.is_empty() || cols.is_empty() || lo > hi {
        return empty(spec);
    }
    let (d0, d1) = spec.y_domain.unwrap_or((lo, hi));
    let t_of = |v: f64| if d1 > d0 { (v - d0) / (d1 - d0) } else { 0.5 };

    let nr = rows.len();
    let nc = cols.len();
    let ch = if nr <= 24 { 24.0 } else if nr <= 48 { 18.0 } else { 12.0 };
    let row_label_w = rows.iter().map(|t| text_width_max(t, FONT)).fold(0.0, f64::max).min(spec.width * 0.3);
    let y_label_w = if spec.y_label.is_empty() { 0.0 } else { 24.0 };
    let x0 = 16.0 + y_label_w + row_label_w + 8.0;
    let x1 = spec.width - 16.0;
    let cw = (x1 - x0) / nc as f64;
    let title_h = if spec.title.is_empty() { 8.0 } else { 36.0 };
    let x_label_h = if spec.x_label.is_empty() { 0.0 } else { 20.0 };
    let y0 = title_h + x_label_h + 22.0;
    let y1 = y0 + ch * nr as f64;
    let height = y1 + 56.0;
    let mut c = Canvas::with_size(spec, "heatmap", spec.width, height);
    let plot = Plot { x0, x1, y0, y1 };

    if !spec.x_label.is_empty() {
        c.text((x0 + x1) / 2.0, title_h + 14.0, &spec.x_label, "text-anchor=\"middle\" font-size=\"12\" fill=\"#6b7280\"");
    }
    let col_every = ((text_width_max(&cols[cols.len() - 1], FONT) + 6.0) / cw).ceil().max(1.0) as usize;
    for (ci, t) in cols.iter().enumerate() {
        if ci % col_every == 0 {
            c.text(x0 + cw * (ci as f64 + 0.5), y0 - 7.0, t, "text-anchor=\"middle\" fill=\"#6b7280\"");
        }
    }
    let row_every = if ch >= 12.0 { 1 } else { 2 };
    for (ri, t) in rows.iter().enumerate() {
        if ri % row_every == 0 {
            c.text(x0 - 8.0, y0 + ch * (ri as f64 + 0.5) + 4.0, t, "text-anchor=\"end\" fill=\"#374151\"");
        }
    }
    if !spec.y_label.is_empty() {
        let (cx, cy) = (18.0, (y0 + y1) / 2.0);
        c.text(cx, cy, &spec.y_label, &format!("text-anchor=\"middle\" font-size=\"12\" fill=\"#6b7280\" transform=\"rotate(-90 {} {})\"", f(cx), f(cy)));
    }

    let font = if ch >= 20.0 { 10.0 } else { 9.0 };
    c.out.push_str("<g class=\"marks\">");
    let mut labels = String::new();
    for ri in 0..nr {
        for ci in 0..nc {
            let Some(v) = cell(ri, ci) else { continue };
            let t = t_of(v);
            let (x, y) = (x0 + cw * ci as f64, y0 + ch * ri as f64);
            let val = spec.y_format.value(v);
            let tip = Text::new(
                format!("{} · {}：{}", rows[ri].zh, cols[ci].zh, val.zh),
                format!("{} · {}: {}", rows[ri].en, cols[ci].en, val.en),
            );
            let _ = write!(
                c.out,
                "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\" stroke=\"#fff\" stroke-width=\"1\">{}</rect>",
                f(x),
                f(y),
                f(cw),
                f(ch),
                ramp(t),
                title_el(&tip)
            );
            if spec.show_values && ch >= 14.0 && text_width_max(&val, font) + 4.0 <= cw {
                let ink = if t > 0.55 { "#ffffff" } else { "#1f2937" };
                let _ = write!(
                    labels,
                    "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"{font}\" fill=\"{ink}\" pointer-events=\"none\">",
                    f(x + cw / 2.0),
                    f(y + ch / 2.0 + font * 0.36)
                );
                crate::text::escape_into(&mut labels, &val.en);
                labels.push_str("</text>");
            }
        }
    }
    c.out.push_str("</g>");
    c.out.push_str(&labels);
    let _ = plot;

    // Colour legend: five steps with their boundaries.
    let steps = 5;
    let sw = 44.0;
    let lx = x0;
    let ly = y1 + 18.0;
    for i in 0..steps {
        let t = (i as f64 + 0.5) / steps as f64;
        let _ = write!(c.out, "<rect x=\"{}\" y=\"{}\" width=\"{sw}\" height=\"10\" fill=\"{}\"/>", f(lx + sw * i as f64), f(ly), ramp(t));
    }
    for i in 0..=steps {
        let v = d0 + (d1 - d0) * i as f64 / steps as f64;
        let mut label = spec.y_format.value(v);
        if i == steps && spec.y_domain.is_some() && hi > d1 {
            label = label.map(|_, s| format!("≥{s}"));
        }
        c.text(lx + sw * i as f64, ly + 24.0, &label, "text-anchor=\"middle\" font-size=\"10\" fill=\"#6b7280\"");
    }
    c.finish()
}

#[cfg(test)]
mod tests {
    #[test]
    fn ramp_ends() {
        assert_eq!(super::ramp(0.0), "#eff6ff");
        assert_eq!(super::ramp(1.0), "#1e3a8a");
        assert_eq!(super::ramp(f64::NAN), "#eff6ff");
    }
}
