//! The paper's digital experiment as a library function: networks × platforms, each
//! converted with the paper's method (or per-layer normalisation) and run over test images,
//! one [`Record`] per cell. `examples/paper_benchmark.rs` is its command line.
//!
//! Per platform (Ostrau et al. 2020; DESIGN.md §4): every non-reference platform sweeps the
//! weight scale (its own grid, [`Platform::sweep_us`](crate::registry::Platform)) on itself,
//! on training images; the `reference` platforms reuse the scale swept on the
//! first other platform of the list, since a sweep on the accurate simulator would cost more
//! than the run; the analog platforms run their own paper setting (neuron, input).

use spikeport_ann::Model;
use spikeport_bench::{run_cell, BackendSetup, BenchError, Conversion, Progress, Record};
use spikeport_convert::{ConvertError, SweepSettings, DEFAULT_PERCENTILE};
use spikeport_data::Mnist;
use spikeport_snn::{BackendError, IfCurrDeltaSubParams, ImageBoundary};

use crate::experiment::{unknown, ExperimentError};
use crate::registry::{deployment_for, platform, Family, PLATFORMS};

/// How the ANN is converted in a benchmark.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConversionKind {
    /// The paper's global factor (swept unless [`BenchmarkSpec::max_weight`] is given).
    Paper,
    /// Per-layer data-based normalisation with reset by subtraction.
    PerLayer,
}

impl ConversionKind {
    /// `"paper"` or `"per-layer"`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Paper => "paper",
            Self::PerLayer => "per-layer",
        }
    }
}

/// What [`run_benchmark`] runs. [`BenchmarkSpec::paper`] gives the paper's setting.
#[derive(Clone, Debug, PartialEq)]
pub struct BenchmarkSpec {
    /// Platform names from [`PLATFORMS`], in order (the reference platforms reuse the scale
    /// swept on the first other one).
    pub platforms: Vec<String>,
    /// Test images on every platform but the reference ones (the first ones of the set).
    pub images: usize,
    /// Test images on the reference platforms.
    pub reference_images: usize,
    /// Conversions to run, in order.
    pub conversions: Vec<ConversionKind>,
    /// A fixed `max_weight` (µS) instead of a sweep on the non-reference platforms.
    pub max_weight: Option<f64>,
    /// Maximum input rate of the digital platforms, Hz.
    pub max_freq_hz: f64,
    /// Input rates to sweep together with the weight scale, Hz (empty: the rate is fixed).
    pub sweep_freqs_hz: Vec<f64>,
    /// Input rate of the per-layer conversion, Hz (`None`: `max_freq_hz`).
    pub per_layer_freq_hz: Option<f64>,
    /// Training images each sweep or per-layer calibration uses.
    pub calibration_images: usize,
    /// Images per simulated batch.
    pub batch: usize,
    /// Keep every image's result in the records ([`Record::predictions`]).
    pub keep_predictions: bool,
    /// How state carries between images: `None` keeps each platform's paper setting (images
    /// back to back, `Continuous`, on the digital platforms; from rest on the analog ones).
    pub boundary: Option<ImageBoundary>,
}

/// Input rate of the per-layer conversion unless told otherwise, Hz.
pub const DEFAULT_PER_LAYER_FREQ_HZ: f64 = 250.0;

impl BenchmarkSpec {
    /// The paper's setting on `platforms`: 10,000 test images (100 on the reference
    /// platforms), the paper's conversion swept on 500 training images, 120 Hz input, batches
    /// of 500 images.
    pub fn paper(platforms: &[&str]) -> Self {
        Self {
            platforms: platforms.iter().map(|s| s.to_string()).collect(),
            images: 10_000,
            reference_images: 100,
            conversions: vec![ConversionKind::Paper],
            max_weight: None,
            max_freq_hz: 120.0,
            sweep_freqs_hz: Vec::new(),
            per_layer_freq_hz: Some(DEFAULT_PER_LAYER_FREQ_HZ),
            calibration_images: 500,
            batch: 500,
            keep_predictions: false,
            boundary: None,
        }
    }

    /// Checks names and counts.
    ///
    /// **Errors** with [`ExperimentError::Unknown`] for an unknown platform (naming the
    /// closest known one) and [`ExperimentError::InvalidArgument`] for a zero count.
    pub fn check(&self) -> Result<(), ExperimentError> {
        for p in &self.platforms {
            if !PLATFORMS.contains(&p.as_str()) {
                return Err(unknown("platform", p, &PLATFORMS));
            }
        }
        for (name, v) in [("images", self.images), ("batch", self.batch)] {
            if v == 0 {
                return Err(ExperimentError::InvalidArgument { name, reason: "must be ≥ 1".into() });
            }
        }
        Ok(())
    }
}

/// What [`run_benchmark`] reports while it works.
#[derive(Debug)]
pub enum BenchmarkEvent<'a> {
    /// A cell starts.
    CellStarted {
        /// Network name.
        network: &'a str,
        /// Label of the cell's backend (the platform name, with the conversion when it is
        /// not the paper's).
        label: &'a str,
        /// Test images it runs.
        images: usize,
    },
    /// Images simulated in the running cell.
    Images(Progress),
    /// The network cannot run on the platform (does not fit, or needs what it lacks).
    Skipped {
        /// Network name.
        network: &'a str,
        /// Backend label.
        label: &'a str,
        /// The platform's reason.
        reason: &'a BackendError,
    },
    /// A cell finished.
    Done(&'a Record),
}

/// Why a network cannot run on a platform at all (so its cell is reported, not fatal).
pub fn does_not_run(e: &BenchError) -> Option<&BackendError> {
    let backend = match e {
        BenchError::Backend(b) => b,
        BenchError::Convert(ConvertError::Backend(b)) => b,
        _ => return None,
    };
    matches!(backend, BackendError::Unsupported { .. } | BackendError::DoesNotFit { .. }).then_some(backend)
}

/// Runs every network of `models` (name, model) × platform × conversion of `spec` on the
/// first test images of `mnist` (training images for sweeps and calibration), in that
/// order, and returns the records of the cells that ran; cells whose network cannot run on
/// the platform are reported through `on_event` and left out.
///
/// **Errors** for a bad spec, or a failure that is not "does not fit".
pub fn run_benchmark(
    spec: &BenchmarkSpec,
    models: &[(String, Model)],
    mnist: &Mnist,
    on_event: &mut dyn FnMut(BenchmarkEvent<'_>),
) -> Result<Vec<Record>, ExperimentError> {
    spec.check()?;
    let test = mnist.test.take(spec.images.min(mnist.test.len()))?;
    let mut records = Vec::new();
    for (name, model) in models {
        for &conv in &spec.conversions {
            // The weight scale swept on the first non-reference platform is reused for the
            // reference platforms (a sweep at dt 0.1 ms would take longer than the run).
            let mut chosen = spec.max_weight;
            let mut chosen_freq = spec.max_freq_hz;
            for pname in &spec.platforms {
                let platform = platform(pname)?;
                let is_reference = platform.family == Family::Reference;
                let images = if is_reference { spec.reference_images.min(test.len()) } else { test.len() };
                if images == 0 {
                    continue;
                }
                // every non-reference platform sweeps on itself
                let reuse = if is_reference { chosen } else { spec.max_weight };
                let conversion = match (conv, reuse) {
                    (ConversionKind::PerLayer, _) => Conversion::PerLayer {
                        percentile: DEFAULT_PERCENTILE,
                        neuron: IfCurrDeltaSubParams::new().check()?,
                        calibration_images: spec.calibration_images,
                    },
                    (_, Some(max_weight)) => Conversion::Global { max_weight },
                    (_, None) => Conversion::Sweep {
                        settings: SweepSettings {
                            max_weights: platform.sweep_us.clone(),
                            max_freqs_hz: spec.sweep_freqs_hz.clone(),
                            seed: 0,
                        },
                        calibration_images: spec.calibration_images,
                    },
                };
                let label = match conv {
                    ConversionKind::Paper => pname.clone(),
                    other => format!("{pname} ({})", other.name()),
                };
                // the analog platforms run their own paper settings
                let presentation = match spec.boundary {
                    Some(b) => platform.encoder.with_boundary(b),
                    None => platform.encoder,
                };
                let cell_encoder = match (conv, spec.per_layer_freq_hz) {
                    _ if platform.family == Family::Analog => presentation,
                    (ConversionKind::PerLayer, Some(f)) => presentation.with_max_freq(f)?,
                    (ConversionKind::PerLayer, None) => presentation.with_max_freq(spec.max_freq_hz)?,
                    _ if is_reference => presentation.with_max_freq(chosen_freq)?,
                    _ => presentation.with_max_freq(spec.max_freq_hz)?,
                };
                let (copies, settings) = deployment_for(&platform, name);
                let backend = match platform.backend_for(&settings) {
                    Ok(b) => b,
                    Err(e @ BackendError::Unsupported { .. }) => {
                        on_event(BenchmarkEvent::Skipped { network: name, label: &label, reason: &e });
                        continue;
                    }
                    Err(e) => return Err(e.into()),
                };
                let mut setup =
                    BackendSetup::from_platform(&platform, backend, conversion, spec.batch, 0, copies);
                setup.name = label.clone();
                setup.encoder = cell_encoder;
                setup.priced_images = Some(mnist.test.len());
                setup.keep_predictions = spec.keep_predictions;
                let subset = test.take(images)?;
                on_event(BenchmarkEvent::CellStarted { network: name, label: &label, images });
                let result = run_cell(model, &subset, &mnist.train, &setup, &mut |p| {
                    on_event(BenchmarkEvent::Images(p))
                });
                let record = match result {
                    Ok(r) => r,
                    Err(e) => match does_not_run(&e) {
                        Some(why) => {
                            on_event(BenchmarkEvent::Skipped { network: name, label: &label, reason: why });
                            continue;
                        }
                        None => return Err(e.into()),
                    },
                };
                on_event(BenchmarkEvent::Done(&record));
                if conv == ConversionKind::Paper && !is_reference && chosen.is_none() {
                    chosen = record.max_weight;
                    chosen_freq = record.max_freq_hz;
                }
                records.push(record);
            }
        }
    }
    Ok(records)
}
