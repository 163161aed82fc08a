//! Charts drawn by plotters into SVG (in the browser from WASM, and on the server for the first
//! paint): the cluster page's donuts and its utilisation heatmap.
use flotilla_domain::format::{self, Tz};
use flotilla_domain::inventory::{Heatmap, heat_colour};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// A donut: slices of `total` (the remainder is drawn as free), a title and the centre figure.
pub fn donut(title: &str, slices: &[(f64, RGBColor)], total: f64, centre: &str) -> String {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (220, 220)).into_drawing_area();
        let _ = root.fill(&TRANSPARENT);
        let used: f64 = slices.iter().map(|(v, _)| v.max(0.0)).sum();
        let mut sizes: Vec<f64> = slices.iter().map(|(v, _)| v.max(0.0)).collect();
        let mut colours: Vec<RGBColor> = slices.iter().map(|(_, c)| *c).collect();
        sizes.push((total - used).max(0.0));
        colours.push(RGBColor(0xdd, 0xe2, 0xe8));
        if sizes.iter().sum::<f64>() <= 0.0 {
            sizes = vec![1.0];
            colours = vec![RGBColor(0xdd, 0xe2, 0xe8)];
        }
        let labels: Vec<String> = sizes.iter().map(|_| String::new()).collect();
        let mut pie = Pie::new(&(110, 118), &88.0, &sizes, &colours, &labels);
        pie.start_angle(-90.0);
        pie.donut_hole(58.0);
        let _ = root.draw(&pie);
        let _ = root.draw(&Text::new(title.to_owned(), (110, 4), ("sans-serif", 15).into_font().color(&RGBColor(0x55, 0x5f, 0x6d)).pos(Pos::new(HPos::Center, VPos::Top))));
        let _ = root.draw(&Text::new(centre.to_owned(), (110, 118), ("sans-serif", 20).into_font().color(&RGBColor(0x22, 0x2b, 0x36)).pos(Pos::new(HPos::Center, VPos::Center))));
        let _ = root.present();
    }
    svg
}

/// Where the heatmap's cells are (for the hover read-out).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HeatGeometry {
    pub left: f64,
    pub top: f64,
    pub cell_w: f64,
    pub cell_h: f64,
    pub rows: usize,
    pub cols: usize,
}

pub const HEAT_WIDTH: u32 = 860;

/// Rows (nodes or namespaces) × time buckets, coloured like the fleet map; grey where no snapshot exists.
pub fn heatmap(map: &Heatmap, title: &str, zone: Tz) -> (String, HeatGeometry) {
    let rows = map.rows.len().max(1);
    let cols = map.times_ms.len().max(1);
    let left = 150.0;
    let top = 34.0;
    let cell_h = if rows > 40 { 8.0 } else { 16.0 };
    let cell_w = (f64::from(HEAT_WIDTH) - left - 10.0) / cols as f64;
    let height = (top + rows as f64 * cell_h + 30.0) as u32;
    let geom = HeatGeometry { left, top, cell_w, cell_h, rows, cols };
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (HEAT_WIDTH, height)).into_drawing_area();
        let _ = root.fill(&TRANSPARENT);
        let grey = RGBColor(0x55, 0x5f, 0x6d);
        let _ = root.draw(&Text::new(title.to_owned(), (0, 4), ("sans-serif", 15).into_font().color(&grey)));
        for (r, row) in map.rows.iter().enumerate() {
            let y = top + r as f64 * cell_h;
            if cell_h >= 12.0 || r % 4 == 0 {
                let name: String = row.name.chars().take(22).collect();
                let _ = root.draw(&Text::new(name, ((left - 6.0) as i32, (y + cell_h / 2.0) as i32), ("sans-serif", 11).into_font().color(&grey).pos(Pos::new(HPos::Right, VPos::Center))));
            }
            for (c, v) in row.values.iter().enumerate() {
                let x = left + c as f64 * cell_w;
                let colour = match v {
                    Some(f) => hex(heat_colour(*f)),
                    None => RGBColor(0xee, 0xf0, 0xf3),
                };
                let _ = root.draw(&Rectangle::new([(x as i32, y as i32), ((x + cell_w).ceil() as i32 - 1, (y + cell_h) as i32 - 1)], colour.filled()));
            }
        }
        // Time axis: about six labels.
        let step = (cols / 6).max(1);
        for (c, t) in map.times_ms.iter().enumerate().step_by(step) {
            let x = left + c as f64 * cell_w;
            let label = format::clock_ms(*t, zone);
            let _ = root.draw(&Text::new(label.get(..5).unwrap_or(&label).to_owned(), (x as i32, (top + rows as f64 * cell_h + 6.0) as i32), ("sans-serif", 11).into_font().color(&grey)));
        }
        let _ = root.present();
    }
    (svg, geom)
}

/// Series colours of cost charts (the legend uses the same list, by position).
pub const SERIES: [&str; 10] = ["#2563eb", "#16a34a", "#d97706", "#9333ea", "#0891b2", "#dc2626", "#65a30d", "#db2777", "#475569", "#ca8a04"];
/// The colour of the idle and "other" series.
pub const IDLE_COLOUR: &str = "#cbd2dc";

pub const BARS_WIDTH: u32 = 900;
const BARS_HEIGHT: u32 = 300;

/// A "nice" axis maximum above `max`: 1, 2 or 5 × a power of ten.
fn nice_ceiling(max: f64) -> f64 {
    if !(max.is_finite() && max > 0.0) {
        return 1.0;
    }
    let magnitude = 10f64.powf(max.log10().floor());
    [1.0, 2.0, 5.0, 10.0].into_iter().map(|m| m * magnitude).find(|v| *v >= max).unwrap_or(10.0 * magnitude)
}

/// Stacked cost bars: one bar per bucket, one colour per series (`(values, colour)` in drawing
/// order, bottom first), an optional dashed budget line, and a money axis.
pub fn cost_bars(labels: &[String], series: &[(Vec<f64>, &str)], budget: Option<f64>, currency: &str) -> String {
    let n = labels.len().max(1);
    let totals: Vec<f64> = (0..n).map(|i| series.iter().map(|(v, _)| v.get(i).copied().unwrap_or(0.0).max(0.0)).sum()).collect();
    let top_value = nice_ceiling(totals.iter().copied().fold(budget.unwrap_or(0.0), f64::max) * 1.05);
    let (left, right, top, bottom) = (70.0, 10.0, 12.0, 40.0);
    let plot_w = f64::from(BARS_WIDTH) - left - right;
    let plot_h = f64::from(BARS_HEIGHT) - top - bottom;
    let y_of = |v: f64| top + plot_h * (1.0 - v / top_value);
    let slot = plot_w / n as f64;
    let bar_w = (slot * 0.72).max(1.0);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (BARS_WIDTH, BARS_HEIGHT)).into_drawing_area();
        let _ = root.fill(&TRANSPARENT);
        let grey = RGBColor(0x55, 0x5f, 0x6d);
        // Mid grey at low opacity: visible on light and dark backgrounds alike.
        let grid = RGBAColor(0x80, 0x8c, 0x9b, 0.3);
        for k in 0..=4 {
            let v = top_value * f64::from(k) / 4.0;
            let y = y_of(v) as i32;
            let _ = root.draw(&PathElement::new(vec![(left as i32, y), ((left + plot_w) as i32, y)], grid.stroke_width(1)));
            let text = if top_value >= 10.0 { format!("{v:.0}") } else { format!("{v:.2}") };
            let _ = root.draw(&Text::new(text, ((left - 8.0) as i32, y), ("sans-serif", 11).into_font().color(&grey).pos(Pos::new(HPos::Right, VPos::Center))));
        }
        let _ = root.draw(&Text::new(currency.to_owned(), (4, top as i32), ("sans-serif", 11).into_font().color(&grey)));
        for i in 0..n {
            let x = left + slot * i as f64 + (slot - bar_w) / 2.0;
            let mut base = 0.0;
            for (values, colour) in series {
                let v = values.get(i).copied().unwrap_or(0.0).max(0.0);
                if v <= 0.0 {
                    continue;
                }
                let (y0, y1) = (y_of(base + v), y_of(base));
                let _ = root.draw(&Rectangle::new([(x as i32, y0 as i32), ((x + bar_w) as i32, (y1 as i32).max(y0 as i32 + 1))], hex(colour).filled()));
                base += v;
            }
        }
        if let Some(b) = budget.filter(|b| *b > 0.0) {
            let y = y_of(b) as i32;
            let mut x = left;
            while x < left + plot_w {
                let _ = root.draw(&PathElement::new(vec![(x as i32, y), ((x + 8.0).min(left + plot_w) as i32, y)], RGBColor(0xc2, 0x25, 0x2c).stroke_width(2)));
                x += 14.0;
            }
            let _ = root.draw(&Text::new(
                format!("budget {b:.0}"),
                ((left + plot_w - 4.0) as i32, y - 4),
                ("sans-serif", 11).into_font().color(&RGBColor(0xc2, 0x25, 0x2c)).pos(Pos::new(HPos::Right, VPos::Bottom)),
            ));
        }
        // About eight labels along the time axis.
        let step = n.div_ceil(8).max(1);
        for (i, label) in labels.iter().enumerate().step_by(step) {
            let x = left + slot * (i as f64 + 0.5);
            let _ = root.draw(&Text::new(label.clone(), (x as i32, (top + plot_h + 8.0) as i32), ("sans-serif", 11).into_font().color(&grey).pos(Pos::new(HPos::Center, VPos::Top))));
        }
        let _ = root.present();
    }
    svg
}

fn hex(s: &str) -> RGBColor {
    let v = u32::from_str_radix(s.trim_start_matches('#'), 16).unwrap_or(0);
    RGBColor((v >> 16) as u8, (v >> 8) as u8, v as u8)
}

/// Slice colours: used, requested (not used), as in the legend.
pub const USED: RGBColor = RGBColor(0x25, 0x63, 0xeb);
pub const REQUESTED: RGBColor = RGBColor(0x93, 0xb4, 0xf5);

#[cfg(test)]
mod tests {
    use super::*;
    use flotilla_domain::inventory::HeatRow;

    #[test]
    fn a_donut_is_an_svg_with_its_title_and_figure() {
        let svg = donut("CPU", &[(2.0, USED), (1.0, REQUESTED)], 8.0, "25 %");
        assert!(svg.starts_with("<svg") && svg.contains("CPU") && svg.contains("25 %"));
        assert!(svg.contains("path") || svg.contains("polygon"), "slices are drawn");
        assert!(donut("Empty", &[], 0.0, "–").contains("Empty"));
    }

    #[test]
    fn cost_bars_stack_the_series_and_draw_the_budget() {
        let labels: Vec<String> = vec!["11-01".into(), "11-02".into(), "11-03".into()];
        let series = vec![(vec![1.0, 2.0, 0.0], SERIES[0]), (vec![0.5, 0.5, 0.0], SERIES[1])];
        let svg = cost_bars(&labels, &series, Some(4.0), "USD");
        let lower = svg.to_lowercase();
        // Four non-zero segments, in their colours; the empty day draws nothing.
        assert_eq!(lower.matches("fill=\"#2563eb\"").count(), 2, "{svg}");
        assert_eq!(lower.matches("fill=\"#16a34a\"").count(), 2);
        assert!(svg.contains("budget 4") && svg.contains("11-02") && svg.contains("USD"));
        assert_eq!(nice_ceiling(3.2), 5.0);
        assert_eq!(nice_ceiling(0.0), 1.0);
        assert_eq!(nice_ceiling(120.0), 200.0);
    }

    #[test]
    fn a_heatmap_has_one_cell_per_row_and_bucket() {
        let map = Heatmap {
            times_ms: vec![0, 3_600_000, 7_200_000],
            rows: vec![HeatRow { name: "node-a".into(), values: vec![Some(0.1), None, Some(0.95)] }, HeatRow { name: "node-b".into(), values: vec![None; 3] }],
        };
        let (svg, g) = heatmap(&map, "CPU by node", Tz::UTC);
        assert_eq!((g.rows, g.cols), (2, 3));
        assert!(svg.contains("node-a") && svg.contains("CPU by node"));
        let lower = svg.to_lowercase();
        assert_eq!(lower.matches("fill=\"#eef0f3\"").count(), 4, "four cells without a snapshot");
        assert!(lower.contains("#4bb05c") && lower.contains("#c2252c"), "10 % and 95 % cells in their colours");
    }
}
