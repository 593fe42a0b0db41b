//! # spikeport-hil — hardware-in-the-loop training against any `Backend`
//!
//! The variant of Ostrau et al. 2020 (DESIGN.md §4), after Schmitt et al. 2017: start from
//! the ANN's weights and the conversion's scale; for every batch of training images
//!
//! 1. run the batch on the backend (the deployed chip, no re-mapping);
//! 2. turn every layer's spike counts, the input layer's too, into activations
//!    ([`activations`]): by default count ÷ (`duration` × `norm_rate_hz`) ([`Norm::Rate`]);
//!    SNABSuite divides the raw count by a constant instead, one for the input and hidden
//!    layers and one for the output layer ([`Norm::Count`], `norm_hidden` / `norm_last`);
//! 3. compute the categorical-hinge error on the output activations ([`hinge_errors`]):
//!    −1 on the label and +1 on the strongest wrong output where the margin of 1 is
//!    violated, and backpropagate it through the ANN weights with the ReLU derivative taken
//!    as 1 (the hardware's activations replace the ANN's forward pass);
//! 4. take the SGD step ([`step`]): by default one step on the batch mean
//!    ([`Update::BatchMean`]), or SNABSuite's sample by sample ([`Update::PerSample`]);
//!    clip every weight to its range (by default `[0, initial largest weight]` for the
//!    paper's non-negative Spikey-net) and push the new weights × scale to the backend with
//!    [`Session::update_weights`].
//!
//! [`HilConfig::snabsuite_spikey`] is SNABSuite's exact algorithm and setting
//! (`MnistITL.json`, `mnist.cpp`, `mnist_mlp.hpp` `backward_path_2`); the defaults of the
//! other presets are spikeport's rules.
//!
//! Training uses training images only; evaluation is the caller's. A checkpoint after every
//! batch (weights, position, log) is written atomically, so an interrupted run resumes
//! losing at most the batch in flight, and ends with the same weights as an uninterrupted
//! one (tested).

use std::path::{Path, PathBuf};

use ndarray::{Array1, Array2, ArrayView2, Axis};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use spikeport_ann::{Dense, Network};
pub use spikeport_records::Fingerprint;
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

/// How a layer's spike counts become the activations the trainer uses ([`activations`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Norm {
    /// spikeport's rule: activation = count ÷ (duration, s × [`HilConfig::norm_rate_hz`], Hz),
    /// dimensionless; with the encoder's maximum rate the input layer's activation is the
    /// pixel value.
    #[default]
    Rate,
    /// SNABSuite's rule (`spikes_to_rates`, `norm_rate_hidden` / `norm_rate_last`):
    /// activation = count ÷ this many spikes, whatever the presentation's duration; 1 takes
    /// the raw count (the count of the image's window, half a pause on either side).
    Count(f64),
}

impl Norm {
    /// What a count is divided by, for a presentation of `duration_ms` (ms) and the
    /// normalisation rate `rate_hz` (Hz, for [`Norm::Rate`]).
    pub fn divisor(self, duration_ms: f64, rate_hz: f64) -> f64 {
        match self {
            Norm::Rate => duration_ms * 1e-3 * rate_hz,
            Norm::Count(spikes) => spikes,
        }
    }
}

/// How a batch's errors become weight steps ([`step`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Update {
    /// spikeport's rule: one step `W ← clip(W − lr · ∂L/∂W)` on the gradient of the batch
    /// mean of the hinge loss, clipped once.
    #[default]
    BatchMean,
    /// SNABSuite's rule (`MLP::backward_path_2`, `update_mat`): for every image of the
    /// batch in turn, `W_ij ← W_ij − lr · a_pre,i · δ_j / batch images`, layer by layer from
    /// the output down, every weight clipped after every image; the δ of the lower layers
    /// come from the weights frozen at the start of the batch. Without clipping this sums
    /// to the [`Update::BatchMean`] step; the clip after each image makes it differ.
    PerSample,
}

/// Which output error the categorical hinge gives ([`hinge_errors`]); either is −1 on the
/// label and +1 on one wrong output `j`, or 0 everywhere.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Hinge {
    /// spikeport's rule: `j` is the strongest output other than the label (the first of
    /// equals), error where `1 + a_j − a_y > 0` (the loss is positive).
    #[default]
    Strict,
    /// SNABSuite's `CatHinge::calc_error`: the label's entry is set to 0 and `j` is the
    /// first largest entry of the result, error where `a_j − a_y + 1 ≥ 0` (a margin of
    /// exactly 1 still counts). Where every wrong output is 0 and the label comes first,
    /// `j` is the label itself and the error is −1 on the label only.
    Snabsuite,
}

/// Settings of a HIL run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HilConfig {
    /// Training images per batch (one hardware run each).
    pub batch_size: usize,
    /// Passes over the training images.
    pub epochs: usize,
    /// SGD learning rate, in ANN weight units per unit of activation × error.
    pub lr: f64,
    /// Rate, Hz, that maps a spike count to an activation of 1 under [`Norm::Rate`]
    /// (activation = count ÷ (duration, s × rate)); the input encoder's maximum rate makes
    /// the input layer's activation the pixel value. Unused by [`Norm::Count`].
    pub norm_rate_hz: f64,
    /// Normalisation of the input and hidden layers' counts (SNABSuite's
    /// `norm_rate_hidden`); default [`Norm::Rate`].
    #[serde(default)]
    pub norm_hidden: Norm,
    /// Normalisation of the output layer's counts (SNABSuite's `norm_rate_last`): the hinge
    /// margin of 1 is this many output spikes under [`Norm::Count`]; default [`Norm::Rate`].
    #[serde(default)]
    pub norm_last: Norm,
    /// Batch-mean or per-image steps; default [`Update::BatchMean`].
    #[serde(default)]
    pub update: Update,
    /// spikeport's or SNABSuite's hinge error; default [`Hinge::Strict`].
    #[serde(default)]
    pub hinge: Hinge,
    /// Skip the last batch of an epoch if it holds fewer than `batch_size` images
    /// (SNABSuite); default `false`, it is trained too.
    #[serde(default)]
    pub skip_incomplete: bool,
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
    /// spikeport's trainer with the paper's Spikey batch 100, 5 epochs and learning rate
    /// 0.02: activations count ÷ (duration × 70 Hz), batch-mean steps, every batch trained
    /// (use it with a 180 ms / 70 Hz encoder, [`spikey_training_encoder`]). SNABSuite's exact
    /// algorithm is [`HilConfig::snabsuite_spikey`].
    pub fn paper_spikey() -> Self {
        Self {
            batch_size: 100,
            epochs: 5,
            lr: 0.02,
            norm_rate_hz: 70.0,
            norm_hidden: Norm::Rate,
            norm_last: Norm::Rate,
            update: Update::BatchMean,
            hinge: Hinge::Strict,
            skip_incomplete: false,
            clip: None,
            last_layer_only: false,
            seed: 0,
        }
    }

    /// spikeport's trainer with the paper's BrainScaleS batch 500, 5 epochs, learning rate
    /// 0.008 (normalisation rate 60 Hz, the BrainScaleS input rate). SNABSuite's exact
    /// algorithm is [`HilConfig::snabsuite_brainscales`].
    pub fn paper_brainscales() -> Self {
        Self { batch_size: 500, lr: 0.008, norm_rate_hz: 60.0, ..Self::paper_spikey() }
    }

    /// SNABSuite's exact ITL algorithm and Spikey setting (`config/MnistITL.json`, `spikey`,
    /// at the paper's commit 0bfcb31; HEAD trains 2 epochs): batch 100, 5 epochs, learning
    /// rate 0.02, activations raw count ÷ 1 for the input and hidden layers and count ÷ 5 for
    /// the output layer, SNABSuite's hinge, per-image steps, incomplete batches skipped,
    /// weights clipped to `[0, initial largest]`. Use it with [`spikey_training_encoder`]
    /// (180 ms at 70 Hz, 50 ms pause) for training **and** testing, as SNABSuite does.
    pub fn snabsuite_spikey() -> Self {
        Self {
            norm_hidden: Norm::Count(1.0),
            norm_last: Norm::Count(5.0),
            update: Update::PerSample,
            hinge: Hinge::Snabsuite,
            skip_incomplete: true,
            ..Self::paper_spikey()
        }
    }

    /// SNABSuite's exact ITL algorithm with the paper-era BrainScaleS setting
    /// (`config/MnistITL.json`, `nmpm1`, at 0bfcb31): batch 500, 5 epochs, learning rate
    /// 0.008, count ÷ 5 for the input and hidden layers and for the output layer (HEAD:
    /// batch 4000, 4 epochs, learning rate 0.015, hidden ÷ 1). Its presentation (900 ms at
    /// 60 Hz, 50 ms pause) is the one BrainScaleS is tested with.
    pub fn snabsuite_brainscales() -> Self {
        Self {
            batch_size: 500,
            lr: 0.008,
            norm_rate_hz: 60.0,
            norm_hidden: Norm::Count(5.0),
            norm_last: Norm::Count(5.0),
            ..Self::snabsuite_spikey()
        }
    }

    /// Batches per epoch over `images` training images: incomplete last batches count
    /// unless [`HilConfig::skip_incomplete`] drops them. A batch size of 0 gives 0.
    pub fn batches_per_epoch(&self, images: usize) -> usize {
        match (self.batch_size, self.skip_incomplete) {
            (0, _) => 0,
            (b, true) => images / b,
            (b, false) => images.div_ceil(b),
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
        for (name, norm) in [("norm_hidden", self.norm_hidden), ("norm_last", self.norm_last)] {
            if let Norm::Count(c) = norm {
                if !(c.is_finite() && c > 0.0) {
                    return bad(name, format!("a count divisor must be finite and > 0, got {c}"));
                }
            }
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

/// Version of the checkpoint layout ([`Checkpoint::version`]).
pub const CHECKPOINT_VERSION: u32 = 2;

/// State written after every batch; [`train`] resumes from it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checkpoint {
    /// Layout version, [`CHECKPOINT_VERSION`].
    pub version: u32,
    /// What the run was started with ([`fingerprint`]); a resume must match it.
    pub fingerprint: Fingerprint,
    /// Runs made on the deployment so far ([`Session::runs`]): a resumed run continues the
    /// platform's noise where the interrupted one stopped.
    pub runs: u64,
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

/// What determines a HIL run's course, for its checkpoint: the ANN's content, the weight
/// scale, the encoder, the training settings (all but [`HilConfig::epochs`], so that a
/// finished run can be continued for more epochs), the training images and labels, and
/// the platform (its name, its settings, the deployment's seed and copies).
pub fn fingerprint(
    session: &dyn Session,
    ann: &Network,
    scale: f64,
    encoder: &Encoder,
    x: ArrayView2<'_, f32>,
    labels: &[u8],
    config: &HilConfig,
) -> Fingerprint {
    let mut settings = serde_json::to_value(config).unwrap_or(serde_json::Value::Null);
    if let Some(map) = settings.as_object_mut() {
        map.remove("epochs");
    }
    let mut data = Vec::with_capacity(4 * x.len() + labels.len() + 16);
    data.extend_from_slice(&(x.nrows() as u64).to_le_bytes());
    data.extend_from_slice(&(x.ncols() as u64).to_le_bytes());
    data.extend(x.iter().flat_map(|v| v.to_bits().to_le_bytes()));
    data.extend_from_slice(labels);
    let placement = session.placement();
    Fingerprint::new()
        .setting_hash("network_sha256", &ann.content_bytes())
        .setting("scale", scale)
        .setting("encoder", format!("{encoder:?}"))
        .setting("hil_config", settings)
        .setting("train_images", x.nrows())
        .setting_hash("train_images_sha256", &data)
        .setting("platform", &session.platform().name)
        .setting_hash("platform_sha256", session.settings_text().as_bytes())
        .setting("seed", placement.seed)
        .setting("copies", placement.copies)
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
    let value: serde_json::Value = serde_json::from_slice(&text).map_err(|e| err(e.to_string()))?;
    match value.get("version").and_then(serde_json::Value::as_u64) {
        Some(v) if v == u64::from(CHECKPOINT_VERSION) => {}
        Some(v) => return Err(err(format!("layout version {v}, this spikeport reads {CHECKPOINT_VERSION}"))),
        None => {
            return Err(err(
                "no layout version: written by an older spikeport, without the settings it was made \
                 with; start a new checkpoint file"
                    .into(),
            ))
        }
    }
    serde_json::from_value(value).map_err(|e| err(e.to_string()))
}

/// Activations from spike counts, as `config` says ([`HilConfig::norm_hidden`],
/// [`HilConfig::norm_last`]): `counts[l]` is (images, units) of layer `l` (0 = input, the
/// last one the output), `duration_ms` the presentation's duration, ms (for [`Norm::Rate`]).
pub fn activations(counts: &[Array2<u32>], duration_ms: f64, config: &HilConfig) -> Vec<Array2<f64>> {
    let last = counts.len().saturating_sub(1);
    counts
        .iter()
        .enumerate()
        .map(|(l, c)| {
            let norm = if l == last { config.norm_last } else { config.norm_hidden };
            let d = norm.divisor(duration_ms, config.norm_rate_hz);
            c.mapv(|k| f64::from(k) / d)
        })
        .collect()
}

/// The categorical hinge's output errors under `rule`, one row per image: −1 on the label
/// and +1 on the chosen wrong output where the margin is violated, else 0 (unscaled: neither
/// divided by the batch size nor by a learning rate); and the mean hinge loss
/// `max(0, 1 + max_{j≠y} a_j − a_y)` over the images (the same for both rules).
pub fn hinge_errors(out: &Array2<f64>, labels: &[u8], rule: Hinge) -> (Array2<f64>, f64) {
    let mut err = Array2::<f64>::zeros(out.dim());
    let mut loss = 0.0;
    for (i, row) in out.rows().into_iter().enumerate() {
        let y = usize::from(labels[i]);
        // the strongest wrong output, the first of equals
        let mut best: Option<(usize, f64)> = None;
        for (j, &a) in row.iter().enumerate() {
            if j != y && best.is_none_or(|(_, b)| a > b) {
                best = Some((j, a));
            }
        }
        if let Some((_, a)) = best {
            loss += (1.0 + a - row[y]).max(0.0);
        }
        match rule {
            Hinge::Strict => {
                if let Some((j, a)) = best {
                    if 1.0 + a - row[y] > 0.0 {
                        err[(i, j)] = 1.0;
                        err[(i, y)] = -1.0;
                    }
                }
            }
            Hinge::Snabsuite => {
                // CatHinge::calc_error: mask the label to 0, std::max_element (first largest)
                let mut j = 0;
                let mut top = if y == 0 { 0.0 } else { row[0] };
                for (k, &a) in row.iter().enumerate().skip(1) {
                    let v = if k == y { 0.0 } else { a };
                    if top < v {
                        (j, top) = (k, v);
                    }
                }
                if top - row[y] + 1.0 >= 0.0 {
                    err[(i, y)] = -1.0;
                    if j != y {
                        err[(i, j)] = 1.0;
                    }
                }
            }
        }
    }
    (err, loss / out.nrows().max(1) as f64)
}

/// One HIL step on given activations: returns the weight gradients (batch mean) and the
/// mean hinge loss. `acts[l]` is (images, units) for layer `l` (0 = input), `weights[l]`
/// (units of `l`, units of `l + 1`); the ReLU derivative is 1; the error is spikeport's
/// ([`Hinge::Strict`]). The step of [`Update::BatchMean`] is `W − lr ·` these.
pub fn hinge_gradients(
    acts: &[Array2<f64>],
    weights: &[Array2<f64>],
    labels: &[u8],
) -> (Vec<Array2<f64>>, f64) {
    let (err, loss) = hinge_errors(&acts[acts.len() - 1], labels, Hinge::Strict);
    (backprop_mean(acts, weights, err), loss)
}

fn backprop_mean(acts: &[Array2<f64>], weights: &[Array2<f64>], err: Array2<f64>) -> Vec<Array2<f64>> {
    let n = err.nrows().max(1) as f64;
    let mut delta = err / n;
    let mut grads = vec![Array2::zeros((0, 0)); weights.len()];
    for l in (0..weights.len()).rev() {
        grads[l] = acts[l].t().dot(&delta);
        if l > 0 {
            delta = delta.dot(&weights[l].t());
        }
    }
    grads
}

/// The range weights are clipped to: `clip` (lo, hi) for every weight if
/// [`HilConfig::clip`] is set, else each weight's side of zero of `initial` within
/// (lo, hi), the initial extremes ([`HilConfig::clip`]).
fn clamp_layer(w: &mut Array2<f64>, initial: &Array2<f64>, clip: (f64, f64), explicit: bool) {
    let (lo, hi) = clip;
    if explicit {
        w.mapv_inplace(|v| v.clamp(lo, hi));
    } else {
        ndarray::Zip::from(w).and(initial).for_each(|v, w0| {
            let (a, b) = if *w0 < 0.0 { (lo.min(0.0), 0.0) } else { (0.0, hi.max(0.0)) };
            *v = v.clamp(a, b);
        });
    }
}

/// One batch's training step on given activations, as `config` says ([`HilConfig::hinge`],
/// [`HilConfig::update`], [`HilConfig::lr`], [`HilConfig::last_layer_only`]): changes
/// `weights` (ANN units; `weights[l]` is (units of `l`, units of `l + 1`)) in place and clips
/// them to `clip`, (lo, hi) in ANN units, applied as [`HilConfig::clip`] says (set: every
/// weight in (lo, hi); `None`: each weight on the side of zero of its `initial` value, within
/// (lo, hi)). `acts[l]` is (images, units) of layer `l` (0 = input, [`activations`]).
/// Returns the batch's mean hinge loss.
pub fn step(
    weights: &mut [Array2<f64>],
    initial: &[Array2<f64>],
    clip: (f64, f64),
    acts: &[Array2<f64>],
    labels: &[u8],
    config: &HilConfig,
) -> f64 {
    let (err, loss) = hinge_errors(&acts[acts.len() - 1], labels, config.hinge);
    let first = if config.last_layer_only { weights.len() - 1 } else { 0 };
    let explicit = config.clip.is_some();
    match config.update {
        Update::BatchMean => {
            let grads = backprop_mean(acts, weights, err);
            for k in first..weights.len() {
                weights[k].zip_mut_with(&grads[k], |w, g| *w -= config.lr * g);
                clamp_layer(&mut weights[k], &initial[k], clip, explicit);
            }
        }
        Update::PerSample => {
            let frozen = weights.to_vec();
            let n = err.nrows().max(1) as f64;
            for (i, e) in err.rows().into_iter().enumerate() {
                if e.iter().all(|&v| v == 0.0) {
                    continue; // no step, and the weights are already in range
                }
                let mut delta: Array1<f64> = e.to_owned();
                for l in (first..weights.len()).rev() {
                    let pre = acts[l].row(i);
                    let k = config.lr / n;
                    for (p, &a) in pre.iter().enumerate() {
                        if a != 0.0 {
                            weights[l].row_mut(p).scaled_add(-k * a, &delta);
                        }
                    }
                    if l > first {
                        delta = frozen[l].dot(&delta);
                    }
                }
                for k in first..weights.len() {
                    clamp_layer(&mut weights[k], &initial[k], clip, explicit);
                }
            }
        }
    }
    loss
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
    let n = x.nrows();
    let batches = config.batches_per_epoch(n);
    if batches == 0 {
        return Err(HilError::InvalidData(format!(
            "{n} training images hold no complete batch of {} (skip_incomplete)",
            config.batch_size
        )));
    }
    let fp = fingerprint(&*session, ann, scale, encoder, x, labels, config);
    let mut state = match checkpoint.filter(|p| p.exists()) {
        Some(p) => {
            let cp = read_checkpoint(p)?;
            let refuse = |reason: String| HilError::Checkpoint { path: p.to_path_buf(), reason };
            let differences = cp.fingerprint.differences(&fp);
            if !differences.is_empty() {
                return Err(refuse(format!(
                    "it was made with other settings: {}; start a new checkpoint file (or remove this \
                     one) to train afresh",
                    spikeport_records::list(&differences)
                )));
            }
            // the fingerprint fixes the images and batch size, so this holds for any
            // checkpoint that train wrote; a hand-edited one must not stall the loop
            if cp.batch >= batches {
                return Err(refuse(format!(
                    "its position, batch {}, is past the {batches} batches of an epoch",
                    cp.batch
                )));
            }
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
            version: CHECKPOINT_VERSION,
            fingerprint: fp,
            runs: session.runs(),
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
    // the deployment must carry the current weights (after a resume) and continue the
    // platform's noise where the checkpoint left it
    for (k, w) in weights.iter().enumerate() {
        session.update_weights(k, (w * scale).view())?;
    }
    session.set_runs(state.runs);
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
            let acts = activations(&out.counts, encoder.duration_ms(), config);
            let correct =
                out.predictions().iter().zip(&yb).filter(|(p, &y)| **p == Some(usize::from(y))).count();
            let loss = step(&mut weights, &initial, state.clip, &acts, &yb, config);
            let first = if config.last_layer_only { weights.len() - 1 } else { 0 };
            for (k, w) in weights.iter().enumerate().skip(first) {
                session.update_weights(k, (w * scale).view())?;
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
            state.runs = session.runs();
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
