//! # spikeport-hil — hardware-in-the-loop training against any `Backend`
//!
//! The variant of Ostrau et al. 2020 (DESIGN.md §4), after Schmitt et al. 2017: start from
//! the ANN's weights and the conversion's scale; for every batch of training images
//!
//! 1. run the batch on the backend (the deployed chip, no re-mapping);
//! 2. take every layer's spike counts ÷ (`duration` × `norm_rate_hz`) as its activation,
//!    the input layer's too;
//! 3. compute the categorical-hinge error on the output activations,
//!    `max(0, 1 + max_{j≠y} a_j − a_y)`, and backpropagate it through the ANN weights with
//!    the ReLU derivative taken as 1 (the hardware's activations replace the ANN's forward
//!    pass);
//! 4. take a plain SGD step on the batch mean, clip every weight to its range (by default
//!    `[0, initial largest weight]`, the paper's non-negative Spikey-net), and push the new
//!    weights × scale to the backend with
//!    [`Session::update_weights`].
//!
//! Training uses training images only; evaluation is the caller's. A checkpoint after every
//! batch (weights, position, log) is written atomically, so an interrupted run resumes
//! losing at most the batch in flight, and ends with the same weights as an uninterrupted
//! one (tested).

use std::path::{Path, PathBuf};

use ndarray::{Array2, ArrayView2, Axis};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use spikeport_ann::{Dense, Network};
use spikeport_snn::{BackendError, Encoder, Recording, Session};

/// Errors of HIL training.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HilError {
    /// A setting is out of range.
    #[error("invalid HIL setting `{name}`: {reason}")]
    InvalidConfig {
        /// The setting.
        name: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The data do not suit the network.
    #[error("invalid training data: {0}")]
    InvalidData(String),
    /// The backend failed (or cannot update weights).
    #[error(transparent)]
    Backend(#[from] BackendError),
    /// Encoding the images failed.
    #[error(transparent)]
    Snn(#[from] spikeport_snn::SnnError),
    /// Building the trained ANN failed.
    #[error(transparent)]
    Ann(#[from] spikeport_ann::AnnError),
    /// Reading or writing a checkpoint failed.
    #[error("checkpoint {path}: {reason}")]
    Checkpoint {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
}

/// Settings of a HIL run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HilConfig {
    /// Images per batch.
    pub batch_size: usize,
    /// Passes over the training images.
    pub epochs: usize,
    /// SGD learning rate (on the ANN's weight scale).
    pub lr: f64,
    /// Rate that maps a spike count to an activation of 1, Hz (activation = count ÷
    /// (duration × rate)); the input encoder's maximum rate makes the input layer's
    /// activation the pixel value.
    pub norm_rate_hz: f64,
    /// Range every weight is clipped to after each step. `None` (the default) keeps every
    /// weight on the side of zero it started on, within the initial extremes: a weight that
    /// started ≥ 0 stays in `[0, initial largest weight]` (the paper's rule for its
    /// non-negative networks), one that started < 0 stays in `[initial smallest weight, 0]`,
    /// so that no synapse has to change its receptor (which hardware cannot do without
    /// re-mapping) and a signed network keeps its inhibition.
    pub clip: Option<(f64, f64)>,
    /// Train only the last layer.
    pub last_layer_only: bool,
    /// Seed of the batch order.
    pub seed: u64,
}

impl HilConfig {
    /// The paper's Spikey setting: batch 100, 5 epochs, learning rate 0.02 (use it with a
    /// 180 ms / 70 Hz encoder, [`spikey_training_encoder`]).
    pub fn paper_spikey() -> Self {
        Self {
            batch_size: 100,
            epochs: 5,
            lr: 0.02,
            norm_rate_hz: 70.0,
            clip: None,
            last_layer_only: false,
            seed: 0,
        }
    }

    /// The paper's BrainScaleS setting: batch 500, 5 epochs, learning rate 0.008
    /// (normalisation rate 60 Hz, the BrainScaleS input rate).
    pub fn paper_brainscales() -> Self {
        Self {
            batch_size: 500,
            epochs: 5,
            lr: 0.008,
            norm_rate_hz: 60.0,
            clip: None,
            last_layer_only: false,
            seed: 0,
        }
    }

    /// Check the settings.
    ///
    /// **Errors** with [`HilError::InvalidConfig`].
    pub fn check(&self) -> Result<(), HilError> {
        let bad = |name, reason: String| Err(HilError::InvalidConfig { name, reason });
        if self.batch_size == 0 {
            return bad("batch_size", "must be ≥ 1".into());
        }
        if self.epochs == 0 {
            return bad("epochs", "must be ≥ 1".into());
        }
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return bad("lr", format!("must be finite and > 0, got {}", self.lr));
        }
        if !(self.norm_rate_hz.is_finite() && self.norm_rate_hz > 0.0) {
            return bad("norm_rate_hz", format!("must be finite and > 0, got {}", self.norm_rate_hz));
        }
        if let Some((lo, hi)) = self.clip {
            if !(lo.is_finite() && hi.is_finite() && lo < hi) {
                return bad("clip", format!("needs finite lo < hi, got ({lo}, {hi})"));
            }
        }
        Ok(())
    }
}

/// The paper's Spikey training input: regular trains at 70 Hz, 180 ms + 50 ms pause.
pub fn spikey_training_encoder() -> Encoder {
    match Encoder::regular(70.0, 180.0, 50.0) {
        Ok(e) => e,
        Err(_) => unreachable!("valid constants"),
    }
}

/// Progress of a run, for progress bars and logs.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum HilEvent {
    /// A batch was trained: epoch, batch index within it, batches per epoch, the batch's
    /// accuracy on the hardware (%) and mean hinge loss.
    Batch {
        /// Epoch (from 0).
        epoch: usize,
        /// Batch within the epoch (from 0).
        batch: usize,
        /// Batches per epoch.
        batches: usize,
        /// Hardware accuracy on the batch before the step, %.
        accuracy_pct: f64,
        /// Mean categorical hinge loss of the batch.
        loss: f64,
    },
    /// An epoch ended: its hardware accuracy over all its batches, %.
    Epoch {
        /// Epoch (from 0).
        epoch: usize,
        /// Accuracy over the epoch's batches, %.
        accuracy_pct: f64,
    },
}

/// What the callback tells the trainer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Control {
    /// Go on.
    Continue,
    /// Stop after this batch (its checkpoint is written): for tests and interruptions.
    Stop,
}

/// State written after every batch; [`train`] resumes from it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checkpoint {
    /// Weights per layer, (inputs, outputs), row-major.
    pub weights: Vec<(usize, usize, Vec<f64>)>,
    /// The clip range in use.
    pub clip: (f64, f64),
    /// Next epoch to train.
    pub epoch: usize,
    /// Next batch within that epoch.
    pub batch: usize,
    /// Hardware accuracy per finished epoch, %.
    pub epoch_accuracy_pct: Vec<f64>,
    /// Correct images and images so far in the current epoch.
    pub epoch_tally: (usize, usize),
}

/// The outcome of a finished run.
#[derive(Clone, Debug)]
pub struct HilResult {
    /// The trained ANN (the same layout, no biases).
    pub network: Network,
    /// Hardware accuracy on the training batches per epoch, %.
    pub epoch_accuracy_pct: Vec<f64>,
    /// Whether the run stopped early on request ([`Control::Stop`]).
    pub stopped: bool,
}

fn to_f64(w: ArrayView2<'_, f32>) -> Array2<f64> {
    w.mapv(f64::from)
}

fn write_atomic(path: &Path, cp: &Checkpoint) -> Result<(), HilError> {
    let err = |e: String| HilError::Checkpoint { path: path.to_path_buf(), reason: e };
    let text = serde_json::to_vec(cp).map_err(|e| err(e.to_string()))?;
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).map_err(|e| err(e.to_string()))?;
    std::fs::rename(&tmp, path).map_err(|e| err(e.to_string()))
}

/// Read a checkpoint written by [`train`].
///
/// **Errors** with [`HilError::Checkpoint`] for a missing or malformed file.
pub fn read_checkpoint(path: &Path) -> Result<Checkpoint, HilError> {
    let err = |e: String| HilError::Checkpoint { path: path.to_path_buf(), reason: e };
    let text = std::fs::read(path).map_err(|e| err(e.to_string()))?;
    serde_json::from_slice(&text).map_err(|e| err(e.to_string()))
}

/// One HIL step on given activations: returns the weight gradients (batch mean) and the
/// mean hinge loss. `acts[l]` is (images, units) for layer `l` (0 = input), `weights[l]`
/// (units of `l`, units of `l + 1`); the ReLU derivative is 1.
pub fn hinge_gradients(
    acts: &[Array2<f64>],
    weights: &[Array2<f64>],
    labels: &[u8],
) -> (Vec<Array2<f64>>, f64) {
    let out = &acts[acts.len() - 1];
    let n = out.nrows().max(1) as f64;
    let mut delta = Array2::<f64>::zeros(out.dim());
    let mut loss = 0.0;
    for (i, row) in out.rows().into_iter().enumerate() {
        let y = usize::from(labels[i]);
        let mut best: Option<(usize, f64)> = None;
        for (j, &a) in row.iter().enumerate() {
            if j != y && best.is_none_or(|(_, b)| a > b) {
                best = Some((j, a));
            }
        }
        if let Some((j, a)) = best {
            let margin = 1.0 + a - row[y];
            if margin > 0.0 {
                loss += margin;
                delta[(i, j)] += 1.0 / n;
                delta[(i, y)] -= 1.0 / n;
            }
        }
    }
    let mut grads = vec![Array2::zeros((0, 0)); weights.len()];
    for l in (0..weights.len()).rev() {
        grads[l] = acts[l].t().dot(&delta);
        if l > 0 {
            delta = delta.dot(&weights[l].t());
        }
    }
    (grads, loss / n)
}

/// Train `ann` in the loop on `session` (any backend's deployment, [`Session`]): a deployment of `ann` converted with
/// weights = `scale` × ANN weights (µS per ANN unit, e.g. `max_weight / largest positive
/// weight` of the paper's conversion); `x` (images, pixels) in [0, 1] and `labels` are
/// **training** images; `encoder` encodes them. With `checkpoint` set, the state is written
/// there after every batch and, if the file exists when called, training resumes from it.
/// `on_event` sees every batch and epoch and may stop the run.
///
/// **Errors** with [`HilError`] for bad settings or data, a backend failure (including a
/// backend that cannot update weights), or an unreadable checkpoint.
#[allow(clippy::too_many_arguments)]
pub fn train(
    session: &mut dyn Session,
    ann: &Network,
    scale: f64,
    encoder: &Encoder,
    x: ArrayView2<'_, f32>,
    labels: &[u8],
    config: &HilConfig,
    checkpoint: Option<&Path>,
    on_event: &mut dyn FnMut(HilEvent) -> Control,
) -> Result<HilResult, HilError> {
    config.check()?;
    if !(scale.is_finite() && scale > 0.0) {
        return Err(HilError::InvalidConfig { name: "scale", reason: format!("must be > 0, got {scale}") });
    }
    if x.nrows() != labels.len() || x.nrows() == 0 {
        return Err(HilError::InvalidData(format!("{} images but {} labels", x.nrows(), labels.len())));
    }
    if x.ncols() != ann.inputs() {
        return Err(HilError::InvalidData(format!(
            "{} pixels, the network has {} inputs",
            x.ncols(),
            ann.inputs()
        )));
    }
    if let Some(&bad) = labels.iter().find(|&&l| usize::from(l) >= ann.outputs()) {
        return Err(HilError::InvalidData(format!("label {bad} ≥ {} classes", ann.outputs())));
    }
    let initial: Vec<Array2<f64>> = ann.layers().iter().map(|l| to_f64(l.weight())).collect();
    let top = initial.iter().flat_map(|w| w.iter().copied()).fold(0.0f64, f64::max);
    let bottom = initial.iter().flat_map(|w| w.iter().copied()).fold(0.0f64, f64::min);
    let mut state = match checkpoint.filter(|p| p.exists()) {
        Some(p) => {
            let cp = read_checkpoint(p)?;
            let ok = cp.weights.len() == initial.len()
                && cp
                    .weights
                    .iter()
                    .zip(&initial)
                    .all(|((r, c, v), w)| (*r, *c) == w.dim() && v.len() == r * c);
            if !ok {
                return Err(HilError::Checkpoint {
                    path: p.to_path_buf(),
                    reason: "its weights do not match the network's layout".into(),
                });
            }
            cp
        }
        None => Checkpoint {
            weights: initial.iter().map(|w| (w.nrows(), w.ncols(), w.iter().copied().collect())).collect(),
            clip: config.clip.unwrap_or((bottom, top)),
            epoch: 0,
            batch: 0,
            epoch_accuracy_pct: Vec::new(),
            epoch_tally: (0, 0),
        },
    };
    let mut weights: Vec<Array2<f64>> = state
        .weights
        .iter()
        .map(|(r, c, v)| Array2::from_shape_vec((*r, *c), v.clone()))
        .collect::<Result<_, _>>()
        .map_err(|e| HilError::InvalidData(e.to_string()))?;
    // the deployment must carry the current weights (after a resume)
    for (k, w) in weights.iter().enumerate() {
        session.update_weights(k, (w * scale).view())?;
    }
    let n = x.nrows();
    let batches = n.div_ceil(config.batch_size);
    let duration_s = encoder.duration_ms() * 1e-3;
    let mut stopped = false;
    'epochs: while state.epoch < config.epochs {
        let mut order: Vec<usize> = (0..n).collect();
        order.shuffle(&mut ChaCha8Rng::seed_from_u64(
            config.seed ^ (state.epoch as u64).wrapping_mul(0x9E37_79B9),
        ));
        while state.batch < batches {
            let idx = &order[state.batch * config.batch_size..((state.batch + 1) * config.batch_size).min(n)];
            let xb = x.select(Axis(0), idx);
            let yb: Vec<u8> = idx.iter().map(|&i| labels[i]).collect();
            let input = encoder.encode(xb.view())?;
            let out = session.run(&input, &Recording::counts_only())?;
            let acts: Vec<Array2<f64>> = out
                .counts
                .iter()
                .map(|c| c.mapv(|k| f64::from(k) / (duration_s * config.norm_rate_hz)))
                .collect();
            let correct =
                out.predictions().iter().zip(&yb).filter(|(p, &y)| **p == Some(usize::from(y))).count();
            let (grads, loss) = hinge_gradients(&acts, &weights, &yb);
            let first = if config.last_layer_only { weights.len() - 1 } else { 0 };
            for k in first..weights.len() {
                let (lo, hi) = state.clip;
                if config.clip.is_some() {
                    weights[k].zip_mut_with(&grads[k], |w, g| *w = (*w - config.lr * g).clamp(lo, hi));
                } else {
                    // each weight stays on its initial side of zero
                    ndarray::Zip::from(&mut weights[k]).and(&grads[k]).and(&initial[k]).for_each(
                        |w, g, w0| {
                            let (a, b) = if *w0 < 0.0 { (lo.min(0.0), 0.0) } else { (0.0, hi.max(0.0)) };
                            *w = (*w - config.lr * g).clamp(a, b);
                        },
                    );
                }
                session.update_weights(k, (&weights[k] * scale).view())?;
            }
            state.epoch_tally.0 += correct;
            state.epoch_tally.1 += yb.len();
            state.batch += 1;
            let accuracy_pct = 100.0 * correct as f64 / yb.len() as f64;
            let control = on_event(HilEvent::Batch {
                epoch: state.epoch,
                batch: state.batch - 1,
                batches,
                accuracy_pct,
                loss,
            });
            if state.batch == batches {
                let acc = 100.0 * state.epoch_tally.0 as f64 / state.epoch_tally.1.max(1) as f64;
                state.epoch_accuracy_pct.push(acc);
                on_event(HilEvent::Epoch { epoch: state.epoch, accuracy_pct: acc });
                state.epoch += 1;
                state.batch = 0;
                state.epoch_tally = (0, 0);
            }
            state.weights =
                weights.iter().map(|w| (w.nrows(), w.ncols(), w.iter().copied().collect())).collect();
            if let Some(p) = checkpoint {
                write_atomic(p, &state)?;
            }
            if control == Control::Stop {
                stopped = true;
                break 'epochs;
            }
            if state.batch == 0 {
                continue 'epochs;
            }
        }
    }
    let layers = weights
        .iter()
        .enumerate()
        .map(|(l, w)| Dense::new(w.mapv(|v| v as f32), None, l))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(HilResult { network: Network::new(layers)?, epoch_accuracy_pct: state.epoch_accuracy_pct, stopped })
}
