//! Mini-batch training by back-propagation.

use std::time::Instant;

use ndarray::{Array2, ArrayView2, Axis, Zip};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::error::{AnnError, Result};
use crate::linalg::gemm;
use crate::loss::Loss;
use crate::network::{argmax, Network};
use crate::optim::{LrSchedule, OptState, Optimizer};

/// Everything that defines a training run. Same config and seed ⇒ same weights, bit for bit,
/// whatever the number of threads.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainConfig {
    /// Passes over the training set (≥ 1).
    pub epochs: usize,
    /// Samples per mini-batch (≥ 1); the last batch of an epoch may be smaller.
    pub batch_size: usize,
    /// The optimiser.
    pub optimizer: Optimizer,
    /// Learning-rate schedule over the epochs.
    #[serde(default)]
    pub schedule: LrSchedule,
    /// The loss on the output layer.
    pub loss: Loss,
    /// L2 coefficient λ ≥ 0 on the weights (not the biases), in Keras' convention: the
    /// penalty λ·Σw² is added to the mean batch loss, so its gradient is 2λw.
    #[serde(default)]
    pub l2: f32,
    /// Clip weights to ≥ 0 after every step (Keras' `NonNeg` constraint); the paper's Spikey-net.
    #[serde(default)]
    pub non_negative: bool,
    /// Probability of dropping an input pixel during training, in [0, 1).
    #[serde(default)]
    pub input_dropout: f32,
    /// Probability of dropping a hidden unit during training, in [0, 1).
    #[serde(default)]
    pub hidden_dropout: f32,
    /// Standard deviation σ ≥ 0 of multiplicative Gaussian noise on every hidden unit's
    /// activation during training: each activation is scaled by max(0, 1 + σ·ε), ε ~ N(0, 1),
    /// drawn per sample and unit (Gaussian dropout, Srivastava et al. 2014). Inference is
    /// unchanged (a plain ReLU network); the noise teaches the network to tolerate the rate
    /// errors of its spiking conversion. 0 (the default) draws nothing.
    #[serde(default)]
    pub hidden_noise: f32,
    /// Largest offset θ ≥ 0 subtracted from every hidden unit's input during training: each
    /// sample draws u ~ U(0, 1) and its hidden units compute max(0, z − θ·u) instead of
    /// max(0, z). A leaky spiking neuron does not fire below its rheobase, which acts as a
    /// negative bias of the converted network; the offset teaches the network not to rely on
    /// small activations. Inference is unchanged (a bias-free ReLU network). 0 (the default)
    /// draws nothing.
    #[serde(default)]
    pub hidden_offset: f32,
    /// Seed for shuffling and dropout masks.
    pub seed: u64,
}

impl Default for TrainConfig {
    /// Adam 1e-3, cross-entropy, batch 128, 10 epochs, no regularisation, seed 0.
    fn default() -> Self {
        Self {
            epochs: 10,
            batch_size: 128,
            optimizer: Optimizer::adam(1e-3),
            schedule: LrSchedule::Constant,
            loss: Loss::CrossEntropy,
            l2: 0.0,
            non_negative: false,
            input_dropout: 0.0,
            hidden_dropout: 0.0,
            hidden_noise: 0.0,
            hidden_offset: 0.0,
            seed: 0,
        }
    }
}

impl TrainConfig {
    /// Checks every setting; each violation names the setting.
    pub fn check(&self) -> Result<()> {
        let bad = |name, reason: String| Err(AnnError::InvalidConfig { name, reason });
        if self.epochs == 0 {
            return bad("epochs", "must be ≥ 1".into());
        }
        if self.batch_size == 0 {
            return bad("batch_size", "must be ≥ 1".into());
        }
        if !(self.l2.is_finite() && self.l2 >= 0.0) {
            return bad("l2", format!("must be finite and ≥ 0, got {}", self.l2));
        }
        if !(0.0..1.0).contains(&self.input_dropout) {
            return bad("input_dropout", format!("must be in [0, 1), got {}", self.input_dropout));
        }
        if !(0.0..1.0).contains(&self.hidden_dropout) {
            return bad("hidden_dropout", format!("must be in [0, 1), got {}", self.hidden_dropout));
        }
        if !(self.hidden_noise.is_finite() && self.hidden_noise >= 0.0) {
            return bad("hidden_noise", format!("must be finite and ≥ 0, got {}", self.hidden_noise));
        }
        if !(self.hidden_offset.is_finite() && self.hidden_offset >= 0.0) {
            return bad("hidden_offset", format!("must be finite and ≥ 0, got {}", self.hidden_offset));
        }
        self.optimizer.check()?;
        self.schedule.check()
    }
}

/// What happened in one epoch.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EpochStats {
    /// Epoch index (0-based).
    pub epoch: usize,
    /// Learning rate used in this epoch.
    pub lr: f32,
    /// Mean batch loss (without the L2 penalty).
    pub loss: f32,
    /// Accuracy on the training batches as they were trained (with dropout), in percent.
    pub train_accuracy_pct: f64,
    /// Accuracy on the validation set at the end of the epoch, in percent, if one was given.
    pub validation_accuracy_pct: Option<f64>,
    /// Wall-clock time of the epoch, in seconds.
    pub seconds: f64,
}

/// Progress events passed to the observer of [`train`].
#[derive(Debug)]
#[non_exhaustive]
pub enum TrainEvent<'a> {
    /// A batch finished.
    Batch {
        /// Epoch (0-based).
        epoch: usize,
        /// Batch within the epoch (0-based).
        batch: usize,
        /// Batches per epoch.
        batches: usize,
        /// This batch's mean loss.
        loss: f32,
    },
    /// An epoch finished.
    Epoch(&'a EpochStats),
}

/// Labelled inputs: features (rows, inputs) and one class label per row.
#[derive(Clone, Copy, Debug)]
pub struct Labelled<'a> {
    /// Inputs, shape (rows, inputs).
    pub x: ArrayView2<'a, f32>,
    /// Class labels, one per row.
    pub labels: &'a [u8],
}

impl<'a> Labelled<'a> {
    /// Pairs features with labels.
    pub fn new(x: ArrayView2<'a, f32>, labels: &'a [u8]) -> Self {
        Self { x, labels }
    }

    fn check(&self, net: &Network) -> Result<()> {
        if self.x.nrows() != self.labels.len() {
            return Err(AnnError::LabelCountMismatch { inputs: self.x.nrows(), labels: self.labels.len() });
        }
        if self.x.ncols() != net.inputs() {
            return Err(AnnError::ShapeMismatch {
                what: "training input".into(),
                expected: vec![self.x.nrows(), net.inputs()],
                found: vec![self.x.nrows(), self.x.ncols()],
            });
        }
        if let Some((index, &l)) =
            self.labels.iter().enumerate().find(|(_, &l)| usize::from(l) >= net.outputs())
        {
            return Err(AnnError::LabelOutOfRange { index, label: usize::from(l), classes: net.outputs() });
        }
        if let Some(((r, c), v)) = self.x.indexed_iter().find(|(_, v)| !v.is_finite()) {
            return Err(AnnError::InvalidConfig {
                name: "inputs",
                reason: format!("non-finite value {v} at row {r}, column {c}"),
            });
        }
        Ok(())
    }
}

/// Trains `net` in place on `data` with mini-batch back-propagation.
///
/// Batches are drawn from a permutation shuffled per epoch by `cfg.seed`; hidden layers use
/// ReLU (derivative 1 where the unit is active), the output is linear. `observer` sees every
/// batch and epoch (for progress bars and logs). Returns the per-epoch statistics.
///
/// **Errors** if the config is invalid, the data do not fit the network, or the loss becomes
/// NaN or infinite.
///
/// ```
/// use ndarray::Array2;
/// use spikeport_ann::{train, Init, Labelled, Network, TrainConfig};
/// // Two linearly separable classes in 2-D.
/// let x = Array2::from_shape_fn((200, 2), |(i, j)| if (i % 2 == 0) == (j == 0) { 1.0 } else { 0.1 });
/// let y: Vec<u8> = (0..200).map(|i| (i % 2) as u8).collect();
/// let mut net = Network::init(&[2, 8, 2], false, Init::HeUniform, 1).unwrap();
/// let cfg = TrainConfig { epochs: 30, batch_size: 20, ..TrainConfig::default() };
/// let stats = train(&mut net, Labelled::new(x.view(), &y), None, &cfg, &mut |_| {}).unwrap();
/// assert_eq!(stats.len(), 30);
/// assert!(net.evaluate(x.view(), &y).unwrap().accuracy_pct() > 99.0);
/// ```
pub fn train(
    net: &mut Network,
    data: Labelled<'_>,
    validation: Option<Labelled<'_>>,
    cfg: &TrainConfig,
    observer: &mut dyn FnMut(TrainEvent<'_>),
) -> Result<Vec<EpochStats>> {
    cfg.check()?;
    data.check(net)?;
    if let Some(v) = &validation {
        v.check(net)?;
    }
    let n = data.labels.len();
    if n == 0 {
        return Err(AnnError::InvalidConfig { name: "inputs", reason: "the training set is empty".into() });
    }
    let lengths: Vec<usize> =
        net.layers().iter().flat_map(|l| [l.weight().len(), l.bias().map_or(0, |b| b.len())]).collect();
    let mut opt = OptState::new(&lengths);
    let mut shuffle_rng = ChaCha8Rng::seed_from_u64(cfg.seed);
    let mut dropout_rng = ChaCha8Rng::seed_from_u64(cfg.seed);
    dropout_rng.set_stream(1);
    let mut order: Vec<usize> = (0..n).collect();
    let batches = n.div_ceil(cfg.batch_size);
    let mut history = Vec::with_capacity(cfg.epochs);
    for epoch in 0..cfg.epochs {
        let start = Instant::now();
        let lr = cfg.optimizer.lr() * cfg.schedule.factor(epoch, cfg.epochs);
        order.shuffle(&mut shuffle_rng);
        let (mut loss_sum, mut correct) = (0.0f64, 0usize);
        for (batch, idx) in order.chunks(cfg.batch_size).enumerate() {
            let (loss, ok) = step(net, &data, idx, cfg, lr, &mut opt, &mut dropout_rng);
            if !loss.is_finite() {
                return Err(AnnError::Diverged { epoch, batch, loss });
            }
            loss_sum += f64::from(loss);
            correct += ok;
            observer(TrainEvent::Batch { epoch, batch, batches, loss });
        }
        let validation_accuracy_pct = match &validation {
            Some(v) => Some(net.evaluate(v.x, v.labels)?.accuracy_pct()),
            None => None,
        };
        let stats = EpochStats {
            epoch,
            lr,
            loss: (loss_sum / batches as f64) as f32,
            train_accuracy_pct: 100.0 * correct as f64 / n as f64,
            validation_accuracy_pct,
            seconds: start.elapsed().as_secs_f64(),
        };
        observer(TrainEvent::Epoch(&stats));
        history.push(stats);
    }
    Ok(history)
}

/// Draws an inverted-dropout mask: 0 with probability `p`, else 1/(1−p).
fn dropout_mask(rows: usize, cols: usize, p: f32, rng: &mut ChaCha8Rng) -> Array2<f32> {
    let keep = 1.0 - p;
    Array2::from_shape_simple_fn((rows, cols), || if rng.random::<f32>() < p { 0.0 } else { 1.0 / keep })
}

/// Draws a multiplicative Gaussian-noise mask: max(0, 1 + σ·ε) with ε ~ N(0, 1).
fn noise_mask(rows: usize, cols: usize, sigma: f32, rng: &mut ChaCha8Rng) -> Array2<f32> {
    Array2::from_shape_simple_fn((rows, cols), || {
        let e: f32 = rng.sample(rand_distr::StandardNormal);
        (1.0 + sigma * e).max(0.0)
    })
}

/// One optimisation step on the samples `idx`; returns (mean loss, correctly classified).
fn step(
    net: &mut Network,
    data: &Labelled<'_>,
    idx: &[usize],
    cfg: &TrainConfig,
    lr: f32,
    opt: &mut OptState,
    rng: &mut ChaCha8Rng,
) -> (f32, usize) {
    let b = idx.len();
    let nl = net.layers().len();
    let labels: Vec<u8> = idx.iter().map(|&i| data.labels[i]).collect();
    let mut x = data.x.select(Axis(0), idx);
    if cfg.input_dropout > 0.0 {
        x *= &dropout_mask(b, x.ncols(), cfg.input_dropout, rng);
    }
    // Forward: acts[l] is the input of layer l (acts[0] = x); masks[l] the dropout scale on it.
    let mut acts: Vec<Array2<f32>> = Vec::with_capacity(nl);
    let mut masks: Vec<Option<Array2<f32>>> = Vec::with_capacity(nl);
    acts.push(x);
    masks.push(None);
    let offsets: Option<Vec<f32>> = (cfg.hidden_offset > 0.0 && nl > 1)
        .then(|| (0..b).map(|_| cfg.hidden_offset * rng.random::<f32>()).collect());
    let mut z = Array2::zeros((0, 0));
    for (l, layer) in net.layers().iter().enumerate() {
        let mut out = Array2::zeros((b, layer.outputs()));
        layer.affine_into(acts[l].view(), &mut out);
        if l + 1 < nl {
            match &offsets {
                Some(o) => {
                    for (mut row, &c) in out.rows_mut().into_iter().zip(o) {
                        row.mapv_inplace(|v| (v - c).max(0.0));
                    }
                }
                None => out.mapv_inplace(|v| v.max(0.0)),
            }
            let mut mask =
                (cfg.hidden_dropout > 0.0).then(|| dropout_mask(b, out.ncols(), cfg.hidden_dropout, rng));
            if cfg.hidden_noise > 0.0 {
                let n = noise_mask(b, out.ncols(), cfg.hidden_noise, rng);
                mask = Some(match mask {
                    Some(m) => m * n,
                    None => n,
                });
            }
            if let Some(m) = &mask {
                out *= m;
            }
            masks.push(mask);
            acts.push(out);
        } else {
            z = out;
        }
    }
    let correct = z.rows().into_iter().zip(&labels).filter(|(r, &y)| argmax(*r) == usize::from(y)).count();
    let mut delta = Array2::zeros(z.dim());
    let loss = cfg.loss.loss_and_grad(z.view(), &labels, &mut delta);
    if !loss.is_finite() {
        return (loss, correct);
    }
    // Backward.
    let mut grads: Vec<(Array2<f32>, Option<ndarray::Array1<f32>>)> = Vec::with_capacity(nl);
    for l in (0..nl).rev() {
        let layer = &net.layers()[l];
        let mut gw = if cfg.l2 > 0.0 {
            layer.weight().mapv(|w| 2.0 * cfg.l2 * w)
        } else {
            Array2::zeros(layer.weight().dim())
        };
        let beta = if cfg.l2 > 0.0 { 1.0 } else { 0.0 };
        gemm(1.0, acts[l].t(), delta.view(), beta, gw.view_mut());
        let gb = layer.bias().map(|_| delta.sum_axis(Axis(0)));
        if l > 0 {
            let mut prev = Array2::zeros((b, layer.inputs()));
            gemm(1.0, delta.view(), layer.weight().t(), 0.0, prev.view_mut());
            match &masks[l] {
                Some(m) => Zip::from(&mut prev).and(&acts[l]).and(m).for_each(|d, &a, &s| {
                    *d = if a > 0.0 { *d * s } else { 0.0 };
                }),
                None => Zip::from(&mut prev).and(&acts[l]).for_each(|d, &a| {
                    if a <= 0.0 {
                        *d = 0.0;
                    }
                }),
            }
            delta = prev;
        }
        grads.push((gw, gb));
    }
    grads.reverse();
    // Update.
    opt.begin_step();
    for (l, (gw, gb)) in grads.iter().enumerate() {
        let layer = &mut net.layers_mut()[l];
        let w = layer.weight_mut();
        if let (Some(p), Some(g)) = (w.as_slice_mut(), gw.as_slice()) {
            opt.update(&cfg.optimizer, 2 * l, lr, p, g);
        }
        if cfg.non_negative {
            w.mapv_inplace(|v| v.max(0.0));
        }
        if let (Some(bias), Some(gb)) = (layer.bias_mut(), gb) {
            if let (Some(p), Some(g)) = (bias.as_slice_mut(), gb.as_slice()) {
                opt.update(&cfg.optimizer, 2 * l + 1, lr, p, g);
            }
        }
    }
    (loss, correct)
}
