//! # spikeport-plot — figures of spikeport results
//!
//! Four figures of the paper's kind, each written as SVG **and** PNG (pure Rust: plotters
//! with an embedded DejaVu Sans font, so nothing is needed from the system):
//!
//! * [`accuracy_vs_time`]: accuracy as a function of simulated time per image, one panel per
//!   network, one line per backend (from the benchmark records' `accuracy_vs_time`);
//! * [`energy_vs_accuracy`]: energy per inference (log scale, ± 1 SD bars) against
//!   accuracy, one point per network × platform;
//! * [`seed_spread`]: accuracy over chip seeds before and after hardware-in-the-loop
//!   training, per platform, with mean ± SD, the ANN's accuracy and the ideal chip's;
//! * [`energy_vs_copies`]: energy per inference against the network copies run side by side
//!   in one run, one line per network × platform (the paper's sweep over parallelism).
//!
//! ```no_run
//! use spikeport_plot::{energy_vs_accuracy, EnergyPoint};
//!
//! let points = vec![EnergyPoint {
//!     network: "spikey-net".into(),
//!     platform: "Spikey".into(),
//!     accuracy_pct: 84.0,
//!     energy_j: 1.9e-4,
//!     energy_sd_j: 5e-7,
//! }];
//! let written = energy_vs_accuracy(&points, std::path::Path::new("target/energy"))?;
//! println!("{} and {}", written.svg.display(), written.png.display());
//! # Ok::<(), spikeport_plot::PlotError>(())
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use plotters::element::DashedPathElement;
use plotters::prelude::*;
use serde::{Deserialize, Serialize};
use spikeport_bench::Record;

/// Pixel size of every figure (width, height).
pub const SIZE: (u32, u32) = (1000, 650);

/// The embedded font (DejaVu Sans; licence in `fonts/DejaVu-LICENSE.txt`).
const FONT: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");
const FAMILY: &str = "sans-serif";

/// Errors of drawing a figure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PlotError {
    /// Nothing to draw.
    #[error("{figure}: no data to plot ({reason})")]
    Empty {
        /// Which figure.
        figure: &'static str,
        /// What was missing.
        reason: String,
    },
    /// A value that cannot be drawn (NaN, infinite, or ≤ 0 on a log axis).
    #[error("{figure}: invalid value for {what}: {value}")]
    InvalidValue {
        /// Which figure.
        figure: &'static str,
        /// Which value.
        what: String,
        /// The value.
        value: f64,
    },
    /// The font could not be loaded (a corrupt build).
    #[error("the embedded font could not be loaded")]
    Font,
    /// Drawing or writing the file failed (e.g. the folder does not exist or is not
    /// writable).
    #[error("{path}: {reason}")]
    Draw {
        /// The file.
        path: PathBuf,
        /// The backend's message.
        reason: String,
    },
}

/// The two files of a figure.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Written {
    /// The SVG file.
    pub svg: PathBuf,
    /// The PNG file ([`SIZE`] pixels).
    pub png: PathBuf,
}

/// One point of [`energy_vs_accuracy`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EnergyPoint {
    /// Network name (marker shape).
    pub network: String,
    /// Platform name (colour).
    pub platform: String,
    /// Accuracy, percent.
    pub accuracy_pct: f64,
    /// Energy per inference, J (mean).
    pub energy_j: f64,
    /// Its standard deviation, J.
    pub energy_sd_j: f64,
}

/// Accuracies of one platform over chip seeds, for [`seed_spread`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SeedStudy {
    /// Platform name.
    pub platform: String,
    /// The ANN's accuracy on the same images, percent.
    pub ann_pct: f64,
    /// Accuracy on an ideal chip (no mismatch, no noise), percent, if measured.
    pub ideal_pct: Option<f64>,
    /// Accuracy per chip seed before HIL, percent.
    pub before: Vec<f64>,
    /// Accuracy per chip seed after HIL, percent (same seeds, same order).
    pub after: Vec<f64>,
}

fn font() -> Result<(), PlotError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok =
        *REGISTERED.get_or_init(|| plotters::style::register_font(FAMILY, FontStyle::Normal, FONT).is_ok());
    if ok {
        Ok(())
    } else {
        Err(PlotError::Font)
    }
}

/// Colour `i` of a palette that stays distinct in print (Okabe–Ito, then Tableau).
fn colour(i: usize) -> RGBColor {
    const P: [RGBColor; 10] = [
        RGBColor(0, 114, 178),
        RGBColor(213, 94, 0),
        RGBColor(0, 158, 115),
        RGBColor(204, 121, 167),
        RGBColor(230, 159, 0),
        RGBColor(86, 180, 233),
        RGBColor(0, 0, 0),
        RGBColor(140, 86, 75),
        RGBColor(127, 127, 127),
        RGBColor(188, 189, 34),
    ];
    P[i % P.len()]
}

/// The SVG and PNG paths of `stem`, checking that their folder exists.
fn paths(stem: &Path) -> Result<(PathBuf, PathBuf), PlotError> {
    font()?;
    let svg = stem.with_extension("svg");
    let png = stem.with_extension("png");
    for p in [&svg, &png] {
        if let Some(dir) = p.parent().filter(|d| !d.as_os_str().is_empty()) {
            if !dir.is_dir() {
                return Err(PlotError::Draw { path: p.clone(), reason: "the folder does not exist".into() });
            }
        }
    }
    Ok((svg, png))
}

fn draw_err(path: &Path, e: &dyn std::fmt::Display) -> PlotError {
    PlotError::Draw { path: path.to_path_buf(), reason: e.to_string() }
}

/// Runs the drawing `$body` (which uses `$root: &DrawingArea<_, Shift>` and ends in
/// `Ok(())`) once on an SVG and once on a PNG backend, and returns the [`Written`] paths.
macro_rules! render {
    ($stem:expr, |$root:ident| $body:block) => {{
        let (svg, png) = paths($stem)?;
        {
            let path = svg.clone();
            let area = SVGBackend::new(&path, SIZE).into_drawing_area();
            let $root = &area;
            let r: Result<(), DrawingAreaErrorKind<_>> = (|| $body)();
            r.map_err(|e| draw_err(&svg, &e))?;
            area.present().map_err(|e| draw_err(&svg, &e))?;
        }
        {
            let path = png.clone();
            let area = BitMapBackend::new(&path, SIZE).into_drawing_area();
            let $root = &area;
            let r: Result<(), DrawingAreaErrorKind<_>> = (|| $body)();
            r.map_err(|e| draw_err(&png, &e))?;
            area.present().map_err(|e| draw_err(&png, &e))?;
        }
        Ok(Written { svg, png })
    }};
}

fn finite(figure: &'static str, what: impl Fn() -> String, v: f64) -> Result<(), PlotError> {
    if v.is_finite() {
        Ok(())
    } else {
        Err(PlotError::InvalidValue { figure, what: what(), value: v })
    }
}

/// A curve of one record: (ms, %) points.
type Curve = (String, Vec<(f64, f64)>);

/// Accuracy against simulated time per image: one panel per network (in the order of first
/// appearance), one line per backend, from each record's `accuracy_vs_time`. Writes
/// `stem.svg` and `stem.png`.
///
/// **Errors** with [`PlotError::Empty`] if no record has an accuracy curve,
/// [`PlotError::InvalidValue`] for a non-finite point, [`PlotError::Draw`] if a file
/// cannot be written.
pub fn accuracy_vs_time(records: &[Record], stem: &Path) -> Result<Written, PlotError> {
    const FIG: &str = "accuracy vs time";
    let mut panels: Vec<(String, Vec<Curve>)> = Vec::new();
    let mut backends: Vec<String> = Vec::new();
    for r in records.iter().filter(|r| !r.accuracy_vs_time.is_empty()) {
        let pts: Vec<(f64, f64)> = r.accuracy_vs_time.iter().map(|a| (a.t_ms, a.snn_accuracy_pct)).collect();
        for &(t, a) in &pts {
            finite(FIG, || format!("{} / {} time", r.network, r.backend), t)?;
            finite(FIG, || format!("{} / {} accuracy", r.network, r.backend), a)?;
        }
        if !backends.contains(&r.backend) {
            backends.push(r.backend.clone());
        }
        match panels.iter_mut().find(|(n, _)| n == &r.network) {
            Some((_, curves)) => curves.push((r.backend.clone(), pts)),
            None => panels.push((r.network.clone(), vec![(r.backend.clone(), pts)])),
        }
    }
    if panels.is_empty() {
        return Err(PlotError::Empty {
            figure: FIG,
            reason: "no record has an accuracy_vs_time curve".into(),
        });
    }
    render!(stem, |root| {
        root.fill(&WHITE)?;
        let (title, body) = root.split_vertically(40);
        title.titled("Accuracy vs simulated time per image", (FAMILY, 24))?;
        let cols = panels.len().min(3);
        let rows = panels.len().div_ceil(cols);
        let areas = body.split_evenly((rows, cols));
        for ((network, curves), area) in panels.iter().zip(&areas) {
            let tmax = curves.iter().flat_map(|(_, p)| p.iter().map(|q| q.0)).fold(0.0f64, f64::max).max(1.0);
            let amin = curves.iter().flat_map(|(_, p)| p.iter().map(|q| q.1)).fold(100.0f64, f64::min);
            let ylo = ((amin - 2.0) / 5.0).floor().max(0.0) * 5.0;
            let mut chart = ChartBuilder::on(area)
                .caption(network, (FAMILY, 18))
                .margin(8)
                .x_label_area_size(36)
                .y_label_area_size(48)
                .build_cartesian_2d(0.0..tmax * 1.02, ylo..100.0)?;
            chart
                .configure_mesh()
                .x_desc("simulated time per image (ms)")
                .y_desc("accuracy (%)")
                .label_style((FAMILY, 12))
                .axis_desc_style((FAMILY, 13))
                .x_labels(6)
                .y_labels(6)
                .x_label_formatter(&|x| format!("{x:.0}"))
                .y_label_formatter(&|y| format!("{y:.0}"))
                .draw()?;
            for (backend, pts) in curves {
                let i = backends.iter().position(|b| b == backend).unwrap_or(0);
                let c = colour(i);
                chart
                    .draw_series(LineSeries::new(pts.iter().copied(), c.stroke_width(2)))?
                    .label(backend.as_str())
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(2)));
                chart.draw_series(pts.iter().map(|&p| Circle::new(p, 2, c.filled())))?;
            }
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::LowerRight)
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK.mix(0.4))
                .label_font((FAMILY, 12))
                .draw()?;
        }
        Ok(())
    })
}

/// Energy per inference (log scale, J) against accuracy (%), one point per network ×
/// platform: colour by platform, marker shape by network, horizontal bars ± 1 SD (a lower
/// end at or below zero is drawn at the axis' left edge). Writes `stem.svg` and `stem.png`.
///
/// **Errors** with [`PlotError::Empty`] for no points, [`PlotError::InvalidValue`] for an
/// energy ≤ 0 or a non-finite value, a negative SD, [`PlotError::Draw`] if a file cannot be
/// written.
pub fn energy_vs_accuracy(points: &[EnergyPoint], stem: &Path) -> Result<Written, PlotError> {
    const FIG: &str = "energy vs accuracy";
    if points.is_empty() {
        return Err(PlotError::Empty { figure: FIG, reason: "no points".into() });
    }
    for p in points {
        finite(FIG, || format!("{} on {} accuracy", p.network, p.platform), p.accuracy_pct)?;
        if !(p.energy_j.is_finite() && p.energy_j > 0.0) {
            return Err(PlotError::InvalidValue {
                figure: FIG,
                what: format!("{} on {} energy (must be > 0 J on a log axis)", p.network, p.platform),
                value: p.energy_j,
            });
        }
        if !(p.energy_sd_j.is_finite() && p.energy_sd_j >= 0.0) {
            return Err(PlotError::InvalidValue {
                figure: FIG,
                what: format!("{} on {} energy SD", p.network, p.platform),
                value: p.energy_sd_j,
            });
        }
    }
    let mut platforms: Vec<&str> = Vec::new();
    let mut networks: Vec<&str> = Vec::new();
    for p in points {
        if !platforms.contains(&p.platform.as_str()) {
            platforms.push(&p.platform);
        }
        if !networks.contains(&p.network.as_str()) {
            networks.push(&p.network);
        }
    }
    let emin = points.iter().map(|p| p.energy_j).fold(f64::INFINITY, f64::min);
    let emax = points.iter().map(|p| p.energy_j + p.energy_sd_j).fold(0.0f64, f64::max);
    let (xlo, xhi) = (10f64.powf(emin.log10().floor() - 0.3), 10f64.powf(emax.log10().ceil() + 0.3));
    let amin = points.iter().map(|p| p.accuracy_pct).fold(100.0f64, f64::min);
    let ylo = ((amin - 3.0) / 5.0).floor().max(0.0) * 5.0;
    render!(stem, |root| {
        root.fill(&WHITE)?;
        // the legend gets its own column on the right, so it never hides a point
        let (plot, legend) = root.split_horizontally(SIZE.0 - 200);
        let mut chart = ChartBuilder::on(&plot)
            .caption("Energy per inference vs accuracy", (FAMILY, 24))
            .margin(15)
            .x_label_area_size(50)
            .y_label_area_size(60)
            .build_cartesian_2d((xlo..xhi).log_scale(), ylo..100.0)?;
        chart
            .configure_mesh()
            .x_desc("energy per inference (J, log scale; bars ± 1 SD)")
            .y_desc("accuracy (%)")
            .label_style((FAMILY, 14))
            .axis_desc_style((FAMILY, 15))
            .x_label_formatter(&|x| format!("{x:.0e}"))
            .y_label_formatter(&|y| format!("{y:.0}"))
            .draw()?;
        for (pi, platform) in platforms.iter().enumerate() {
            let c = colour(pi);
            let mine: Vec<&EnergyPoint> = points.iter().filter(|p| p.platform == *platform).collect();
            // error bars, carrying the platform's legend entry
            chart.draw_series(mine.iter().map(|p| {
                let lo = (p.energy_j - p.energy_sd_j).max(xlo);
                let hi = (p.energy_j + p.energy_sd_j).min(xhi);
                PathElement::new(vec![(lo, p.accuracy_pct), (hi, p.accuracy_pct)], c.stroke_width(2))
            }))?;
            for (ni, network) in networks.iter().enumerate() {
                let at = mine.iter().filter(|p| p.network == *network).map(|p| (p.energy_j, p.accuracy_pct));
                let style = c.filled();
                match ni % 5 {
                    0 => chart.draw_series(at.map(|q| Circle::new(q, 6, style)))?,
                    1 => chart.draw_series(at.map(|q| TriangleMarker::new(q, 8, style)))?,
                    2 => chart.draw_series(
                        at.map(|q| EmptyElement::at(q) + Rectangle::new([(-5, -5), (5, 5)], style)),
                    )?,
                    3 => chart.draw_series(at.map(|q| Cross::new(q, 6, c.stroke_width(3))))?,
                    _ => chart.draw_series(at.map(|q| {
                        EmptyElement::at(q) + Polygon::new(vec![(0, -7), (7, 0), (0, 7), (-7, 0)], style)
                    }))?,
                };
            }
        }
        // the legend column: platforms by colour, then networks by shape
        platform_network_legend(&legend, &platforms, &networks)?;
        Ok(())
    })
}

/// The legend column of the energy figures: platforms by colour, then networks by marker
/// shape (the shapes of [`energy_vs_accuracy`] and [`energy_vs_copies`]).
fn platform_network_legend<DB: DrawingBackend>(
    legend: &DrawingArea<DB, plotters::coord::Shift>,
    platforms: &[&str],
    networks: &[&str],
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let font = (FAMILY, 14).into_font();
    let mut y = 70;
    legend.draw(&Text::new("platform", (10, y - 25), font.clone()))?;
    for (pi, platform) in platforms.iter().enumerate() {
        legend.draw(&Rectangle::new([(10, y - 6), (22, y + 6)], colour(pi).filled()))?;
        legend.draw(&Text::new(platform.to_string(), (30, y - 8), font.clone()))?;
        y += 24;
    }
    y += 30;
    legend.draw(&Text::new("network", (10, y - 25), font.clone()))?;
    for (ni, network) in networks.iter().enumerate() {
        let style = BLACK.filled();
        let at = (16, y);
        match ni % 5 {
            0 => legend.draw(&Circle::new(at, 6, style))?,
            1 => legend.draw(&TriangleMarker::new(at, 8, style))?,
            2 => legend.draw(&Rectangle::new([(11, y - 5), (21, y + 5)], style))?,
            3 => legend.draw(&Cross::new(at, 6, BLACK.stroke_width(3)))?,
            _ => legend.draw(&Polygon::new(vec![(16, y - 7), (23, y), (16, y + 7), (9, y)], style))?,
        }
        legend.draw(&Text::new(network.to_string(), (30, y - 8), font.clone()))?;
        y += 24;
    }
    Ok(())
}

/// One line of [`energy_vs_copies`]: a network on a platform, energy per inference at each
/// number of network copies run side by side.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CopiesSeries {
    /// Network name (marker shape).
    pub network: String,
    /// Platform name (colour).
    pub platform: String,
    /// `(copies, energy per inference in J)`, ascending in copies.
    pub points: Vec<(f64, f64)>,
}

/// Energy per inference (J) against the number of network copies in one run (both log
/// scale), one line per network × platform: the paper's sweep over parallelism. Colour by
/// platform, marker by network. Writes `stem.svg` and `stem.png`.
///
/// **Errors** with [`PlotError::Empty`] for no points, [`PlotError::InvalidValue`] for a value
/// that is not finite and > 0, [`PlotError::Draw`] if a file cannot be written.
pub fn energy_vs_copies(series: &[CopiesSeries], stem: &Path) -> Result<Written, PlotError> {
    const FIG: &str = "energy vs copies";
    if series.iter().all(|s| s.points.is_empty()) {
        return Err(PlotError::Empty { figure: FIG, reason: "no points".into() });
    }
    for s in series {
        for &(k, e) in &s.points {
            for (what, v) in [("copies", k), ("energy", e)] {
                if !(v.is_finite() && v > 0.0) {
                    return Err(PlotError::InvalidValue {
                        figure: FIG,
                        what: format!("{} on {} {what} (must be > 0 on a log axis)", s.network, s.platform),
                        value: v,
                    });
                }
            }
        }
    }
    let mut platforms: Vec<&str> = Vec::new();
    let mut networks: Vec<&str> = Vec::new();
    for s in series {
        if !platforms.contains(&s.platform.as_str()) {
            platforms.push(&s.platform);
        }
        if !networks.contains(&s.network.as_str()) {
            networks.push(&s.network);
        }
    }
    let all = || series.iter().flat_map(|s| s.points.iter().copied());
    let kmax = all().map(|p| p.0).fold(1.0f64, f64::max);
    let (emin, emax) = all().fold((f64::INFINITY, 0.0f64), |(lo, hi), p| (lo.min(p.1), hi.max(p.1)));
    let (ylo, yhi) = (10f64.powf(emin.log10().floor()), 10f64.powf(emax.log10().ceil()));
    let xhi = 10f64.powf(kmax.log10().ceil().max(1.0));
    render!(stem, |root| {
        root.fill(&WHITE)?;
        let (plot, legend) = root.split_horizontally(SIZE.0 - 200);
        let mut chart = ChartBuilder::on(&plot)
            .caption("Energy per inference vs network copies per run", (FAMILY, 24))
            .margin(15)
            .x_label_area_size(50)
            .y_label_area_size(70)
            .build_cartesian_2d((0.8..xhi).log_scale(), (ylo..yhi).log_scale())?;
        chart
            .configure_mesh()
            .x_desc("network copies side by side in one run (log scale)")
            .y_desc("energy per inference (J, log scale)")
            .label_style((FAMILY, 14))
            .axis_desc_style((FAMILY, 15))
            .x_label_formatter(&|x| format!("{x:.0}"))
            .y_label_formatter(&|y| format!("{y:.0e}"))
            .draw()?;
        for s in series {
            let pi = platforms.iter().position(|p| *p == s.platform).unwrap_or(0);
            let ni = networks.iter().position(|n| *n == s.network).unwrap_or(0);
            let c = colour(pi);
            chart.draw_series(LineSeries::new(s.points.iter().copied(), c.stroke_width(2)))?;
            let at = s.points.iter().copied();
            let style = c.filled();
            match ni % 5 {
                0 => chart.draw_series(at.map(|q| Circle::new(q, 5, style)))?,
                1 => chart.draw_series(at.map(|q| TriangleMarker::new(q, 7, style)))?,
                2 => chart.draw_series(
                    at.map(|q| EmptyElement::at(q) + Rectangle::new([(-4, -4), (4, 4)], style)),
                )?,
                3 => chart.draw_series(at.map(|q| Cross::new(q, 5, c.stroke_width(3))))?,
                _ => chart.draw_series(at.map(|q| {
                    EmptyElement::at(q) + Polygon::new(vec![(0, -6), (6, 0), (0, 6), (-6, 0)], style)
                }))?,
            };
        }
        platform_network_legend(&legend, &platforms, &networks)?;
        Ok(())
    })
}

/// Mean and sample standard deviation (n − 1; 0 for a single value) of `v`, as the seed
/// figures show them.
pub fn mean_sd(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    let sd =
        if v.len() > 1 { (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0)).sqrt() } else { 0.0 };
    (m, sd)
}

/// Accuracy over chip seeds before and after HIL: per platform two columns of dots (one per
/// seed, spread sideways by a fixed pattern so ties stay visible) with mean ± 1 SD bars; the
/// ANN's accuracy as a dashed line and the ideal chip's as a dotted line per platform.
/// Writes `stem.svg` and `stem.png`.
///
/// **Errors** with [`PlotError::Empty`] for no studies or a study without seeds,
/// [`PlotError::InvalidValue`] for a non-finite accuracy, [`PlotError::Draw`] if a file
/// cannot be written.
pub fn seed_spread(studies: &[SeedStudy], stem: &Path) -> Result<Written, PlotError> {
    const FIG: &str = "accuracy over chip seeds";
    if studies.is_empty() {
        return Err(PlotError::Empty { figure: FIG, reason: "no platforms".into() });
    }
    for s in studies {
        if s.before.is_empty() || s.after.is_empty() {
            return Err(PlotError::Empty {
                figure: FIG,
                reason: format!("{} has no seeds before or after", s.platform),
            });
        }
        for &v in s.before.iter().chain(&s.after).chain([&s.ann_pct]).chain(s.ideal_pct.as_ref()) {
            finite(FIG, || format!("{} accuracy", s.platform), v)?;
        }
    }
    let all = studies
        .iter()
        .flat_map(|s| s.before.iter().chain(&s.after).chain([&s.ann_pct]).chain(s.ideal_pct.as_ref()));
    let amin = all.clone().copied().fold(100.0f64, f64::min);
    let amax = all.copied().fold(0.0f64, f64::max);
    let (ylo, yhi) = (((amin - 2.0) / 2.0).floor() * 2.0, (((amax + 2.0) / 2.0).ceil() * 2.0).min(100.0));
    let n = studies.len() * 2;
    let labels: Vec<String> = studies
        .iter()
        .flat_map(|s| [format!("{} before HIL", s.platform), format!("{} after HIL", s.platform)])
        .collect();
    render!(stem, |root| {
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(root)
            .caption(
                format!("Accuracy over {} chip seeds, before and after HIL", studies[0].before.len()),
                (FAMILY, 24),
            )
            .margin(15)
            .x_label_area_size(45)
            .y_label_area_size(60)
            .build_cartesian_2d(-0.5..(n as f64 - 0.5), ylo..yhi)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(n)
            .x_label_formatter(&|x| {
                let i = x.round();
                if (x - i).abs() < 1e-6 && i >= 0.0 {
                    labels.get(i as usize).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            })
            .y_desc("test accuracy (%)")
            .y_label_formatter(&|y| format!("{y:.0}"))
            .label_style((FAMILY, 14))
            .axis_desc_style((FAMILY, 15))
            .draw()?;
        for (si, s) in studies.iter().enumerate() {
            let c = colour(si);
            let (x0, x1) = (2.0 * si as f64 - 0.5, 2.0 * si as f64 + 1.5);
            chart
                .draw_series(std::iter::once(DashedPathElement::new(
                    vec![(x0, s.ann_pct), (x1, s.ann_pct)],
                    8,
                    5,
                    BLACK.stroke_width(2),
                )))?
                .label(format!("{} ANN ({:.2} %)", s.platform, s.ann_pct))
                .legend(|(x, y)| {
                    DashedPathElement::new(vec![(x, y), (x + 18, y)], 5, 3, BLACK.stroke_width(2))
                });
            if let Some(ideal) = s.ideal_pct {
                chart
                    .draw_series(std::iter::once(DashedPathElement::new(
                        vec![(x0, ideal), (x1, ideal)],
                        2,
                        4,
                        c.stroke_width(2),
                    )))?
                    .label(format!("{} ideal chip, no HIL ({ideal:.2} %)", s.platform))
                    .legend(move |(x, y)| {
                        DashedPathElement::new(vec![(x, y), (x + 18, y)], 2, 3, c.stroke_width(2))
                    });
            }
            for (k, values) in [&s.before, &s.after].into_iter().enumerate() {
                let x = (2 * si + k) as f64;
                chart.draw_series(values.iter().enumerate().map(|(i, &v)| {
                    // a fixed low-discrepancy spread, ±0.18 around the column
                    let dx = ((i as f64 * 0.618_034).fract() - 0.5) * 0.36;
                    Circle::new((x + dx, v), 5, c.mix(0.55).filled())
                }))?;
                let (m, sd) = mean_sd(values);
                chart.draw_series([
                    PathElement::new(vec![(x + 0.28, m - sd), (x + 0.28, m + sd)], BLACK.stroke_width(2)),
                    PathElement::new(vec![(x + 0.22, m - sd), (x + 0.34, m - sd)], BLACK.stroke_width(2)),
                    PathElement::new(vec![(x + 0.22, m + sd), (x + 0.34, m + sd)], BLACK.stroke_width(2)),
                ])?;
                chart.draw_series(std::iter::once(
                    EmptyElement::at((x + 0.28, m)) + Rectangle::new([(-5, -5), (5, 5)], BLACK.filled()),
                ))?;
                // the figure above the bar and the dots, centred on the column
                let top = values.iter().copied().fold(m + sd, f64::max);
                chart.draw_series(std::iter::once(
                    EmptyElement::at((x, top))
                        + Text::new(format!("{m:.2} ± {sd:.2} %"), (-40, -24), (FAMILY, 14)),
                ))?;
            }
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.4))
            .label_font((FAMILY, 13))
            .draw()?;
        Ok(())
    })
}

/// Energy points of records: each record's first energy estimate per image, labelled by the
/// record's network and backend (records without an estimate are skipped).
pub fn energy_points(records: &[Record]) -> Vec<EnergyPoint> {
    records
        .iter()
        .filter_map(|r| {
            let e = r.energy.first()?;
            Some(EnergyPoint {
                network: r.network.clone(),
                platform: r.backend.clone(),
                accuracy_pct: r.snn_accuracy_pct,
                energy_j: e.energy_j,
                energy_sd_j: e.sd_j,
            })
        })
        .collect()
}

/// Counts of points per platform, for captions and tests.
pub fn per_platform(points: &[EnergyPoint]) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for p in points {
        *m.entry(p.platform.clone()).or_insert(0) += 1;
    }
    m
}
