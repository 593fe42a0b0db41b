//! Automatic choice of the weight scale (and input rate) for a backend.

use ndarray::ArrayView2;
use serde::{Deserialize, Serialize};
use spikeport_ann::Network;
use spikeport_snn::{DynBackend, Encoder, NeuronModel, Placement, Recording};

use crate::{convert_global, ConvertError, DEFAULT_DELAY_MS};

/// What to try in a [`sweep`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepSettings {
    /// Candidate `max_weight` values (unit of the neuron's synapses, e.g. µS).
    pub max_weights: Vec<f64>,
    /// Candidate maximum input rates, Hz; empty keeps the encoder's.
    pub max_freqs_hz: Vec<f64>,
    /// Seed passed to [`Backend::deploy`](spikeport_snn::Backend::deploy).
    pub seed: u64,
}

impl SweepSettings {
    /// `n` weights spaced evenly from `lo` to `hi` (inclusive), the encoder's rate, seed 0.
    pub fn linear(lo: f64, hi: f64, n: usize) -> Self {
        let max_weights = match n {
            0 => Vec::new(),
            1 => vec![lo],
            _ => (0..n).map(|i| lo + (hi - lo) * i as f64 / (n - 1) as f64).collect(),
        };
        Self { max_weights, max_freqs_hz: Vec::new(), seed: 0 }
    }
}

/// One tried setting and its accuracy.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepPoint {
    /// The weight scale tried.
    pub max_weight: f64,
    /// The maximum input rate tried, Hz.
    pub max_freq_hz: f64,
    /// Accuracy on the calibration images, percent (ties and silence count as wrong).
    pub accuracy_pct: f64,
}

/// Every point of a sweep and the one chosen.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepResult {
    /// All points, in the order tried.
    pub points: Vec<SweepPoint>,
    /// The most accurate point; when several share the best accuracy (common on training
    /// images, which a big network classifies almost perfectly), the middle one of them
    /// in the order tried (the lower middle for an even number), i.e. the centre of the
    /// plateau rather than its edge.
    pub best: SweepPoint,
    /// Number of calibration images.
    pub images: usize,
}

/// Converts `ann` with the paper's global scale for every candidate `max_weight` (and rate),
/// runs the calibration images on `backend` (one copy deployed with `settings.seed`, counts
/// only) and keeps the most accurate setting. Any backend works, as a trait object too.
///
/// Use images of the **training** set (never the test set) for calibration, as the paper's
/// sweeps did; `calibration` holds pixels in [0, 1] (rows, inputs) with their labels.
///
/// **Errors** if there is nothing to sweep, or a conversion or the backend fails.
pub fn sweep(
    backend: &dyn DynBackend,
    ann: &Network,
    neuron: &NeuronModel,
    encoder: &Encoder,
    calibration: ArrayView2<'_, f32>,
    labels: &[u8],
    settings: &SweepSettings,
) -> Result<SweepResult, ConvertError> {
    if settings.max_weights.is_empty() {
        return Err(ConvertError::EmptySweep("no max_weight candidates".into()));
    }
    if calibration.nrows() == 0 {
        return Err(ConvertError::EmptySweep("no calibration images".into()));
    }
    let freqs = if settings.max_freqs_hz.is_empty() {
        vec![encoder.max_freq_hz()]
    } else {
        settings.max_freqs_hz.clone()
    };
    let mut points = Vec::with_capacity(freqs.len() * settings.max_weights.len());
    for &max_freq_hz in &freqs {
        let enc = encoder.with_max_freq(max_freq_hz)?;
        let input = enc.encode(calibration)?;
        for &max_weight in &settings.max_weights {
            let snn = convert_global(ann, neuron, max_weight, DEFAULT_DELAY_MS)?.network;
            let out = backend
                .session(&snn, Placement::from(settings.seed))?
                .run(&input, &Recording::counts_only())?;
            let accuracy_pct = out.accuracy_pct(labels)?;
            points.push(SweepPoint { max_weight, max_freq_hz, accuracy_pct });
        }
    }
    let best = choose(&points).ok_or_else(|| ConvertError::EmptySweep("no points".into()))?;
    Ok(SweepResult { points, best, images: calibration.nrows() })
}

/// The point a sweep reports as best (see [`SweepResult::best`]): the most accurate one, or
/// the centre of the plateau when several share the best accuracy; `None` for no points.
/// For callers that run the points themselves (e.g. a resumable sweep).
pub fn choose(points: &[SweepPoint]) -> Option<SweepPoint> {
    let top = points.iter().map(|p| p.accuracy_pct).fold(f64::NEG_INFINITY, f64::max);
    let tied: Vec<SweepPoint> = points.iter().copied().filter(|p| p.accuracy_pct == top).collect();
    tied.get(tied.len().saturating_sub(1) / 2).copied()
}

#[cfg(test)]
mod choice {
    use super::*;

    fn pts(acc: &[f64]) -> Vec<SweepPoint> {
        acc.iter()
            .enumerate()
            .map(|(i, &a)| SweepPoint { max_weight: i as f64, max_freq_hz: 120.0, accuracy_pct: a })
            .collect()
    }

    #[test]
    fn the_best_point_or_the_centre_of_a_plateau() {
        assert_eq!(choose(&pts(&[50.0, 90.0, 80.0])).map(|p| p.max_weight), Some(1.0));
        assert_eq!(choose(&pts(&[90.0, 100.0, 100.0, 100.0, 95.0])).map(|p| p.max_weight), Some(2.0));
        assert_eq!(choose(&pts(&[100.0, 100.0, 90.0, 100.0, 100.0])).map(|p| p.max_weight), Some(1.0));
        assert_eq!(choose(&pts(&[100.0])).map(|p| p.max_weight), Some(0.0));
        assert_eq!(choose(&[]), None);
    }
}
