//! Line charts as PNG, drawn by the project: panels stacked in one picture, each with its series,
//! a legend and an optional shaded stretch of the x axis (a surge). Text is set in DejaVu Sans,
//! embedded as bytes, so a chart draws the same on a machine without system fonts.
//!
//! ```
//! use verigrad_charts::{Chart, Panel, Series};
//!
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join("price.png");
//! let price = Series::new("live price", (200, 30, 30), vec![(0.0, 1.0), (1.0, 1.9), (2.0, 1.0)]);
//! let chart = Chart { x_label: "block".into(), shade: Some((0.5, 1.5)), panels: vec![Panel::new("Price", "VGD", vec![price])] };
//! chart.draw(&path, 640)?;
//! assert!(std::fs::metadata(&path)?.len() > 0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![warn(unused_crate_dependencies)]

use std::{path::Path, sync::OnceLock};

use plotters::{
    prelude::*,
    style::{FontStyle, register_font},
};

/// The font family charts ask for, registered from the embedded DejaVu Sans.
const FONT: &str = "sans-serif";
/// Each panel's height, pixels.
const PANEL_HEIGHT: u32 = 300;

/// Why a chart could not be drawn.
#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    /// The embedded font did not parse (a broken `dejavu` crate).
    #[error("the embedded DejaVu Sans font could not be read")]
    Font,
    /// The chart has no panel, or a panel no point.
    #[error("nothing to draw: {0}")]
    Empty(&'static str),
    /// Drawing or writing the PNG failed.
    #[error("drawing {path}: {reason}")]
    Draw {
        /// The PNG's path.
        path: String,
        /// plotters' error, as text (its type is generic over the backend).
        reason: String,
    },
}

/// `Result` with [`ChartError`].
pub type Result<T, E = ChartError> = std::result::Result<T, E>;

/// One line of a panel.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Its legend.
    pub label: String,
    /// Its colour, RGB.
    pub color: (u8, u8, u8),
    /// Its points, in x order.
    pub points: Vec<(f64, f64)>,
}

impl Series {
    /// A series called `label` in `color` through `points`.
    pub fn new(label: impl Into<String>, color: (u8, u8, u8), points: Vec<(f64, f64)>) -> Self {
        Self { label: label.into(), color, points }
    }
}

/// One panel: a title, what its y axis measures, and its lines.
#[derive(Debug, Clone, PartialEq)]
pub struct Panel {
    /// Drawn above it.
    pub title: String,
    /// The y axis' description.
    pub y_label: String,
    /// Its lines; the y axis runs from 0 to a little above the highest point.
    pub series: Vec<Series>,
}

impl Panel {
    /// A panel titled `title`, its y axis in `y_label`.
    pub fn new(title: impl Into<String>, y_label: impl Into<String>, series: Vec<Series>) -> Self {
        Self { title: title.into(), y_label: y_label.into(), series }
    }
}

/// Panels stacked over one x axis.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    /// The x axis' description, shared by every panel.
    pub x_label: String,
    /// A stretch of x shaded in every panel (the surge), if any.
    pub shade: Option<(f64, f64)>,
    /// Top to bottom.
    pub panels: Vec<Panel>,
}

impl Chart {
    /// Draws the chart `width` pixels wide into a PNG at `path`, each panel [`PANEL_HEIGHT`] high.
    pub fn draw(&self, path: &Path, width: u32) -> Result<()> {
        font()?;
        let points = || self.panels.iter().flat_map(|p| &p.series).flat_map(|s| &s.points);
        if self.panels.is_empty() || points().next().is_none() {
            return Err(ChartError::Empty("a chart needs a panel with points"));
        }
        let (x0, x1) = points().fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(p.0), b.max(p.0)));
        let x1 = if x1 > x0 { x1 } else { x0 + 1.0 };
        let failed = |reason: String| ChartError::Draw { path: path.display().to_string(), reason };
        let height = PANEL_HEIGHT * self.panels.len() as u32;
        let root = BitMapBackend::new(path, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| failed(e.to_string()))?;
        let areas = root.split_evenly((self.panels.len(), 1));
        for (panel, area) in self.panels.iter().zip(&areas) {
            self.draw_panel(panel, area, (x0, x1)).map_err(failed)?;
        }
        root.present().map_err(|e| failed(e.to_string()))
    }

    /// Draws one panel into `area` over x in `x`.
    fn draw_panel(
        &self,
        panel: &Panel,
        area: &DrawingArea<BitMapBackend<'_>, plotters::coord::Shift>,
        (x0, x1): (f64, f64),
    ) -> std::result::Result<(), String> {
        let top = panel.series.iter().flat_map(|s| &s.points).map(|p| p.1).fold(0.0, f64::max);
        let y1 = if top > 0.0 { top * 1.1 } else { 1.0 };
        let mut chart = ChartBuilder::on(area)
            .caption(&panel.title, (FONT, 18))
            .margin(8)
            .x_label_area_size(36)
            .y_label_area_size(64)
            .build_cartesian_2d(x0..x1, 0.0..y1)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .x_desc(&self.x_label)
            .y_desc(&panel.y_label)
            .label_style((FONT, 13))
            .axis_desc_style((FONT, 14))
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(|e| e.to_string())?;
        if let Some((from, to)) = self.shade {
            let band =
                Rectangle::new([(from, 0.0), (to, y1)], RGBColor(255, 200, 200).mix(0.35).filled());
            chart.draw_series(std::iter::once(band)).map_err(|e| e.to_string())?;
        }
        for series in &panel.series {
            let (r, g, b) = series.color;
            let color = RGBColor(r, g, b);
            chart
                .draw_series(LineSeries::new(series.points.iter().copied(), color.stroke_width(2)))
                .map_err(|e| e.to_string())?
                .label(&series.label)
                .legend(move |(x, y)| {
                    PathElement::new([(x, y), (x + 18, y)], color.stroke_width(2))
                });
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .label_font((FONT, 13))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.4))
            .draw()
            .map_err(|e| e.to_string())
    }
}

/// Registers the embedded font with plotters, once per process.
fn font() -> Result<()> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED
        .get_or_init(|| register_font(FONT, FontStyle::Normal, dejavu::sans::regular()).is_ok());
    if ok { Ok(()) } else { Err(ChartError::Font) }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The PNG signature, then the IHDR chunk's length and type.
    const PNG_START: [u8; 16] =
        [137, 80, 78, 71, 13, 10, 26, 10, 0, 0, 0, 13, b'I', b'H', b'D', b'R'];

    fn chart(panels: usize) -> Chart {
        let line = |k: f64| (0..40).map(|x| (f64::from(x), k * f64::from(x % 13))).collect();
        let panel = |i: usize| {
            let series = vec![
                Series::new("offered", (30, 90, 200), line(3.0)),
                Series::new("capacity", (0, 0, 0), vec![(0.0, 4.0), (39.0, 4.0)]),
            ];
            Panel::new(format!("panel {i}"), "tasks", series)
        };
        Chart {
            x_label: "block".into(),
            shade: Some((10.0, 30.0)),
            panels: (0..panels).map(panel).collect(),
        }
    }

    #[test]
    fn a_chart_is_a_png_of_its_size_with_text_and_lines() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("chart.png");
        chart(3).draw(&path, 800).expect("drawn");
        let bytes = std::fs::read(&path).expect("written");
        assert_eq!(bytes[..16], PNG_START);
        let word = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().expect("4 bytes"));
        assert_eq!((word(16), word(20)), (800, 3 * PANEL_HEIGHT), "width and height");
        // A blank picture compresses to almost nothing; lines, a legend and text do not.
        assert!(bytes.len() > 10_000, "{} bytes", bytes.len());
    }

    #[test]
    fn nothing_to_draw_is_an_error() {
        let dir = tempfile::tempdir().expect("temp dir");
        let empty = Chart { x_label: "block".into(), shade: None, panels: vec![] };
        let error = empty.draw(&dir.path().join("empty.png"), 400).expect_err("refused");
        assert!(matches!(error, ChartError::Empty(_)), "{error}");
    }
}
