use super::*;

/// One tile of a treemap: its area is proportional to `size`.
#[derive(Clone, Debug, PartialEq)]
pub struct Tile {
    /// Shown in bold at the top left of the tile.
    pub label: Text,
    pub size: f64,
    /// Further lines under the label (e.g. "1,234 customers", "38% of revenue"), shown while
    /// they fit; all of them are in the tooltip.
    pub lines: Vec<Text>,
    pub color: Option<String>,
}

impl Tile {
    pub fn new(label: impl Into<Text>, size: f64) -> Self {
        Tile { label: label.into(), size, lines: Vec::new(), color: None }
    }
    pub fn line(mut self, t: impl Into<Text>) -> Self {
        self.lines.push(t.into());
        self
    }
    pub fn color(mut self, c: impl Into<String>) -> Self {
        self.color = Some(c.into());
        self
    }
}

/// A squarified treemap (Bruls, Huizing & van Wijk): e.g. RFM segments as tiles sized by their
/// number of customers. Tiles with a size ≤ 0 or not finite are left out.
pub fn treemap(spec: &ChartSpec, tiles: &[Tile]) -> Svg {
    let mut order: Vec<usize> = (0..tiles.len()).filter(|&i| tiles[i].size.is_finite() && tiles[i].size > 0.0).collect();
    if order.is_empty() {
        return empty(spec);
    }
    order.sort_by(|&a, &b| tiles[b].size.total_cmp(&tiles[a].size).then(a.cmp(&b)));
    let top = if spec.title.is_empty() { 8.0 } else { 38.0 };
    let (x, y, w, h) = (16.0, top, spec.width - 32.0, spec.height - top - 12.0);
    let total: f64 = order.iter().map(|&i| tiles[i].size).sum();
    let sizes: Vec<f64> = order.iter().map(|&i| tiles[i].size / total * w * h).collect();
    let rects = squarify(&sizes, (x, y, w, h));

    let mut c = Canvas::new(spec, "treemap");
    c.out.push_str("<g class=\"marks\">");
    let mut labels = Canvas { out: String::new(), w: 0.0, h: 0.0 };
    for (k, &i) in order.iter().enumerate() {
        let t = &tiles[i];
        let (rx, ry, rw, rh) = rects[k];
        let color = safe_color(t.color.as_deref(), palette(i));
        let mut tip = t.label.clone();
        for l in &t.lines {
            tip = tip.join(" · ", l);
        }
        let _ = write!(
            c.out,
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{color}\" stroke=\"#fff\" stroke-width=\"2\" rx=\"4\">{}</rect>",
            f(rx),
            f(ry),
            f(rw.max(0.0)),
            f(rh.max(0.0)),
            title_el(&tip)
        );
        // As many lines as fit, largest first.
        let pad = 8.0;
        let big = rw > 180.0 && rh > 90.0;
        let label_font = if big { 15.0 } else { 12.0 };
        let line_font = if big { 12.0 } else { 10.5 };
        let mut cy = ry + pad + label_font;
        if text_width_max(&t.label, label_font) + 2.0 * pad > rw || cy + 2.0 > ry + rh {
            continue;
        }
        let attrs = "fill=\"#fff\" pointer-events=\"none\"";
        labels.text(rx + pad, cy, &t.label, &format!("font-size=\"{label_font}\" font-weight=\"600\" {attrs}"));
        for l in &t.lines {
            let next = cy + line_font + 5.0;
            if next + 4.0 > ry + rh || text_width_max(l, line_font) + 2.0 * pad > rw {
                break;
            }
            cy = next;
            labels.text(rx + pad, cy, l, &format!("font-size=\"{line_font}\" fill-opacity=\"0.92\" {attrs}"));
        }
    }
    c.out.push_str("</g>");
    c.out.push_str(&labels.out);
    c.finish()
}

/// Lays out `sizes` (sorted descending, summing to the rectangle's area) in `rect`.
fn squarify(sizes: &[f64], rect: (f64, f64, f64, f64)) -> Vec<(f64, f64, f64, f64)> {
    let worst = |row: &[f64], short: f64| -> f64 {
        let s: f64 = row.iter().sum();
        let (mx, mn) = row.iter().fold((0.0f64, f64::INFINITY), |(a, b), &v| (a.max(v), b.min(v)));
        if s <= 0.0 || mn <= 0.0 || short <= 0.0 {
            return f64::INFINITY;
        }
        let s2 = s * s;
        let w2 = short * short;
        (w2 * mx / s2).max(s2 / (w2 * mn))
    };
    let (mut x, mut y, mut w, mut h) = rect;
    let mut out = Vec::with_capacity(sizes.len());
    let mut i = 0;
    while i < sizes.len() {
        let short = w.min(h);
        let mut j = i + 1;
        let mut best = worst(&sizes[i..j], short);
        while j < sizes.len() {
            let next = worst(&sizes[i..=j], short);
            if next <= best {
                best = next;
                j += 1;
            } else {
                break;
            }
        }
        let sum: f64 = sizes[i..j].iter().sum();
        if w >= h {
            let cw = if h > 0.0 { sum / h } else { 0.0 };
            let mut yy = y;
            for &s in &sizes[i..j] {
                let hh = if cw > 0.0 { s / cw } else { 0.0 };
                out.push((x, yy, cw, hh));
                yy += hh;
            }
            x += cw;
            w -= cw;
        } else {
            let rh = if w > 0.0 { sum / w } else { 0.0 };
            let mut xx = x;
            for &s in &sizes[i..j] {
                let ww = if rh > 0.0 { s / rh } else { 0.0 };
                out.push((xx, y, ww, rh));
                xx += ww;
            }
            y += rh;
            h -= rh;
        }
        i = j;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn squarify_fills_the_rectangle() {
        let sizes = [6.0, 6.0, 4.0, 3.0, 2.0, 2.0, 1.0];
        let rects = squarify(&sizes, (0.0, 0.0, 6.0, 4.0));
        assert_eq!(rects.len(), sizes.len());
        for (r, s) in rects.iter().zip(sizes) {
            assert!((r.2 * r.3 - s).abs() < 1e-9);
            assert!(r.0 >= -1e-9 && r.1 >= -1e-9 && r.0 + r.2 <= 6.0 + 1e-9 && r.1 + r.3 <= 4.0 + 1e-9);
        }
    }
}
