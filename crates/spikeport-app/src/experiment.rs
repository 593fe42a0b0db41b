//! What the application shares beyond the registry: its errors and name suggestions,
//! hardware-in-the-loop training on one chip and its scale sweep, the spike-count readout
//! of a test set, and running a spiking network as it is.
//!
//! ```
//! use spikeport_app::experiment::closest;
//! assert_eq!(closest("spinaker", ["spinnaker", "spikey"]), Some("spinnaker"));
//! ```

use std::time::Instant;

use ndarray::{s, Array2, Axis};
use spikeport_data::{Dataset, Preprocessing};
use spikeport_hil::HilConfig;
use spikeport_platform::{HilPresentation, Platform};
use spikeport_snn::{DynBackend, Encoder, NeuronModel, Placement, Recording, SnnNetwork};

/// Errors of this module.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExperimentError {
    /// A name that is not one of the known ones.
    #[error("unknown {what} `{name}`{}; known: {}", suggestion_text(.suggestion), .known.join(", "))]
    Unknown {
        /// What kind of name, e.g. `"platform"`.
        what: &'static str,
        /// The name given.
        name: String,
        /// The closest known name, if one is close.
        suggestion: Option<String>,
        /// Every known name.
        known: Vec<String>,
    },
    /// The neuron parameters are invalid.
    #[error(transparent)]
    Snn(#[from] spikeport_snn::SnnError),
    /// A backend could not be built.
    #[error(transparent)]
    Backend(#[from] spikeport_snn::BackendError),
    /// The test images could not be preprocessed for the network.
    #[error(transparent)]
    Data(#[from] spikeport_data::DataError),
    /// A network given as it is does not match the images.
    #[error("the network has {inputs} inputs, but the preprocessed images have {pixels} values{}", if *.bias_input { " plus a bias input" } else { "" })]
    InputSize {
        /// Inputs of the network.
        inputs: usize,
        /// Values per preprocessed image.
        pixels: usize,
        /// Whether the network's last input is a constant bias input.
        bias_input: bool,
    },
    /// A platform of the registry is not built into this binary.
    #[error(
        "platform `{platform}` needs the `{feature}` feature of spikeport (cargo build --features {feature})"
    )]
    NotBuilt {
        /// The platform.
        platform: String,
        /// The cargo feature that builds it.
        feature: &'static str,
    },
    /// A conversion failed.
    #[error(transparent)]
    Convert(#[from] spikeport_convert::ConvertError),
    /// Hardware-in-the-loop training failed.
    #[error(transparent)]
    Hil(#[from] spikeport_hil::HilError),
    /// A benchmark cell failed.
    #[error(transparent)]
    Bench(#[from] spikeport_bench::BenchError),
    /// An argument is out of range.
    #[error("invalid {name}: {reason}")]
    InvalidArgument {
        /// The argument.
        name: &'static str,
        /// Why.
        reason: String,
    },
}

fn suggestion_text(s: &Option<String>) -> String {
    s.as_ref().map(|s| format!(" (did you mean `{s}`?)")).unwrap_or_default()
}

/// The known name closest to `name` by edit distance, if it is close (at most a third of
/// the longer name's length; 2 edits are always allowed, so a swapped pair of letters is
/// found in short names too).
pub fn closest<'a>(name: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    known
        .into_iter()
        .map(|k| (edit_distance(name, k), k))
        .filter(|(d, k)| *d <= (name.chars().count().max(k.chars().count()) / 3).max(2))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// Levenshtein distance between two strings, in characters.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diag = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1).min(row[j] + 1).min(diag + usize::from(ca != cb));
            diag = above;
        }
    }
    row[b.len()]
}

/// An unknown-name error for `name` among `known`.
pub fn unknown(what: &'static str, name: &str, known: &[&str]) -> ExperimentError {
    ExperimentError::Unknown {
        what,
        name: name.to_string(),
        suggestion: closest(name, known.iter().copied()).map(str::to_string),
        known: known.iter().map(|s| s.to_string()).collect(),
    }
}

/// Candidate `max_weight` values (µS) of [`sweep_hil_scale`] on the analog platforms.
/// Spikey clips anything above 0.015 µS to its top level, so larger scales raise only the
/// smaller weights.
pub const HIL_SCALE_SWEEP_US: [f64; 7] = [0.015, 0.0175, 0.02, 0.0225, 0.025, 0.0275, 0.03];

/// Training images [`sweep_hil_scale`] trains each candidate on (the first ones).
pub const HIL_SCALE_SWEEP_TRAIN_IMAGES: usize = 2000;

/// Training images [`sweep_hil_scale`] judges the candidates on: 50,000–50,999, outside the
/// first 10,000 that HIL trains on by default.
pub const HIL_SCALE_SWEEP_VALIDATION: std::ops::Range<usize> = 50_000..51_000;

/// One candidate of [`sweep_hil_scale`].
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct HilScalePoint {
    /// The weight the largest positive ANN weight maps to, in the unit of the neuron's
    /// synapses (µS for the analog platforms).
    pub max_weight: f64,
    /// Accuracy on the validation images before HIL, percent.
    pub before_pct: f64,
    /// Accuracy on the validation images after the short HIL run, percent.
    pub after_pct: f64,
}

/// The global weight scale for HIL on an analog chip, chosen **with HIL in the loop** on
/// training images only: for every candidate `max_weight`, convert `ann` with the paper's
/// global factor, deploy it on chip `chip_seed`, train it in the loop with `config` on
/// `train` (images, labels) and measure the accuracy on `validation`; the best accuracy
/// after HIL wins (the centre of a plateau of equal ones).
///
/// The scale that converts best is not the one that trains best: on the Spikey model
/// Spikey-net converts best at 0.02–0.0225 µS but ends 2–3 pp higher after HIL at 0.025 µS,
/// where its neurons fire more and fewer images end in a tie (`docs/backends/analog.md`).
///
/// Returns the chosen scale and every point, in the order of `candidates`.
///
/// **Errors** if `candidates` is empty or holds a value that is not finite and positive, if
/// a conversion, deployment, run or the training fails.
#[allow(clippy::too_many_arguments)]
pub fn sweep_hil_scale(
    backend: &dyn DynBackend,
    neuron: &NeuronModel,
    test_encoder: &Encoder,
    train_encoder: &Encoder,
    config: &HilConfig,
    ann: &spikeport_ann::Network,
    candidates: &[f64],
    train: (ndarray::ArrayView2<'_, f32>, &[u8]),
    validation: (ndarray::ArrayView2<'_, f32>, &[u8]),
    chip_seed: u64,
) -> Result<(f64, Vec<HilScalePoint>), ExperimentError> {
    if candidates.is_empty() || candidates.iter().any(|w| !(w.is_finite() && *w > 0.0)) {
        return Err(ExperimentError::InvalidArgument {
            name: "candidates",
            reason: format!("need at least one finite weight > 0, got {candidates:?}"),
        });
    }
    let input = test_encoder.encode(validation.0)?;
    let mut points = Vec::with_capacity(candidates.len());
    for &max_weight in candidates {
        let converted =
            spikeport_convert::convert_global(ann, neuron, max_weight, spikeport_convert::DEFAULT_DELAY_MS)?;
        let mut session = backend.session(&converted.network, Placement::from(chip_seed))?;
        let scale = converted.scale;
        let before_pct = session.run(&input, &Recording::counts_only())?.accuracy_pct(validation.1)?;
        spikeport_hil::train(
            session.as_mut(),
            ann,
            scale,
            train_encoder,
            train.0,
            train.1,
            config,
            None,
            &mut |_| spikeport_hil::Control::Continue,
        )?;
        let after_pct = session.run(&input, &Recording::counts_only())?.accuracy_pct(validation.1)?;
        points.push(HilScalePoint { max_weight, before_pct, after_pct });
    }
    let after: Vec<spikeport_convert::SweepPoint> = points
        .iter()
        .map(|p| spikeport_convert::SweepPoint {
            max_weight: p.max_weight,
            max_freq_hz: test_encoder.max_freq_hz(),
            accuracy_pct: p.after_pct,
        })
        .collect();
    let chosen = spikeport_convert::choose(&after).map_or(candidates[0], |p| p.max_weight);
    Ok((chosen, points))
}

/// What hardware-in-the-loop training on a platform trains and tests with: the platform's
/// HIL setting for one presentation ([`Platform::hil`]), ready to run.
pub struct HilPlan {
    /// The platform's backend (chip seeds are placements of it).
    pub backend: Box<dyn DynBackend>,
    /// The neuron the ANN is converted to.
    pub neuron: NeuronModel,
    /// Input encoding of the training runs.
    pub train_encoder: Encoder,
    /// Input encoding of the test runs before and after training (the setting's, else the
    /// platform's own presentation).
    pub test_encoder: Encoder,
    /// The trainer's settings (edit `epochs`, `seed`, … before running).
    pub config: HilConfig,
}

impl HilPlan {
    /// The HIL plan of `platform` in `presentation`'s setting.
    ///
    /// **Errors** with [`ExperimentError::InvalidArgument`] if the platform has no HIL
    /// setting for `presentation`, or with the backend's error if it cannot be built.
    pub fn new(platform: &Platform, presentation: HilPresentation) -> Result<Self, ExperimentError> {
        let setting = platform.hil(presentation).ok_or_else(|| ExperimentError::InvalidArgument {
            name: "presentation",
            reason: format!(
                "platform `{}` has no `{presentation}` HIL setting (try presentation = \"test\")",
                platform.name
            ),
        })?;
        Ok(Self {
            backend: platform.backend()?,
            neuron: platform.neuron,
            train_encoder: setting.encoder,
            test_encoder: setting.test_encoder_or(platform.encoder),
            config: setting.config.clone(),
        })
    }

    /// Training batches of a whole run over `train_images` images (all epochs).
    pub fn total_batches(&self, train_images: usize) -> usize {
        self.config.batches_per_epoch(train_images) * self.config.epochs
    }
}

/// What the spike-count readout saw on a set of test images.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Readout {
    /// Images classified correctly, percent (ties and silence count as wrong).
    pub accuracy_pct: f64,
    /// Images with a tie or no output spike, percent.
    pub no_decision_pct: f64,
    /// Spikes per image per population, input population first.
    pub spikes_per_image: Vec<f64>,
}

/// Runs `session` on the images `x` (features) with `labels`, presented with `encoder` in
/// runs of at most `batch` images (the first image of each run keeps its global index, so
/// the input trains do not depend on `batch`), and reads the spike counts out.
///
/// **Errors** with [`ExperimentError::InvalidArgument`] for `batch` 0 or labels that do not
/// match the images, or with the encoder's or session's error.
pub fn read_out(
    session: &mut dyn spikeport_snn::Session,
    encoder: &Encoder,
    x: ndarray::ArrayView2<'_, f32>,
    labels: &[u8],
    batch: usize,
) -> Result<Readout, ExperimentError> {
    if batch == 0 || labels.len() != x.nrows() {
        return Err(ExperimentError::InvalidArgument {
            name: "read_out",
            reason: format!("batch {batch} (must be ≥ 1), {} labels for {} images", labels.len(), x.nrows()),
        });
    }
    let (mut correct, mut undecided, mut spikes) = (0usize, 0usize, Vec::<f64>::new());
    for (k, xb) in x.axis_chunks_iter(Axis(0), batch).enumerate() {
        let start = k * batch;
        let input = encoder.encode_from(xb, start as u64)?;
        let out = session.run(&input, &Recording::counts_only())?;
        for (p, &l) in out.predictions().iter().zip(&labels[start..start + xb.nrows()]) {
            match p {
                Some(c) if *c == usize::from(l) => correct += 1,
                None => undecided += 1,
                Some(_) => {}
            }
        }
        spikes.resize(out.counts.len(), 0.0);
        for (total, c) in spikes.iter_mut().zip(&out.counts) {
            *total += c.iter().map(|&v| f64::from(v)).sum::<f64>();
        }
    }
    let n = x.nrows().max(1) as f64;
    Ok(Readout {
        accuracy_pct: 100.0 * correct as f64 / n,
        no_decision_pct: 100.0 * undecided as f64 / n,
        spikes_per_image: spikes.into_iter().map(|s| s / n).collect(),
    })
}

/// Hardware-in-the-loop training on one chip: what [`hil_on_chip`] measured.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ChipHil {
    /// Chip seed (the deployment's placement seed).
    pub chip_seed: u64,
    /// The test readout before training.
    pub before: Readout,
    /// The test readout after training.
    pub after: Readout,
    /// Hardware accuracy on the training batches per epoch, percent.
    pub epoch_accuracy_pct: Vec<f64>,
    /// Host wall time of the training and both tests, s.
    pub wall_s: f64,
}

/// Converts `ann` with the paper's global factor at `max_weight` for `plan`'s neuron,
/// deploys it on chip `chip_seed`, tests it on `test` (features, labels) with the plan's
/// test presentation in runs of at most `test_batch` images, trains it in the loop on
/// `train` with the plan's trainer (resuming from and saving to `checkpoint` if given;
/// `on_event` sees every batch and may stop), and tests it again.
///
/// This is the one HIL loop of the application: `spikeport hil`, the results table and the
/// `analog_hil` seed study all run it.
///
/// **Errors** if the conversion, deployment, a run or the training fails.
#[allow(clippy::too_many_arguments)]
pub fn hil_on_chip(
    plan: &HilPlan,
    ann: &spikeport_ann::Network,
    max_weight: f64,
    chip_seed: u64,
    train: (ndarray::ArrayView2<'_, f32>, &[u8]),
    test: (ndarray::ArrayView2<'_, f32>, &[u8]),
    test_batch: usize,
    checkpoint: Option<&std::path::Path>,
    on_event: &mut dyn FnMut(spikeport_hil::HilEvent) -> spikeport_hil::Control,
) -> Result<ChipHil, ExperimentError> {
    let t0 = Instant::now();
    let converted = spikeport_convert::convert_global(
        ann,
        &plan.neuron,
        max_weight,
        spikeport_convert::DEFAULT_DELAY_MS,
    )?;
    let mut session = plan.backend.session(&converted.network, Placement::from(chip_seed))?;
    let before = read_out(session.as_mut(), &plan.test_encoder, test.0, test.1, test_batch)?;
    let result = spikeport_hil::train(
        session.as_mut(),
        ann,
        converted.scale,
        &plan.train_encoder,
        train.0,
        train.1,
        &plan.config,
        checkpoint,
        on_event,
    )?;
    let after = read_out(session.as_mut(), &plan.test_encoder, test.0, test.1, test_batch)?;
    Ok(ChipHil {
        chip_seed,
        before,
        after,
        epoch_accuracy_pct: result.epoch_accuracy_pct,
        wall_s: t0.elapsed().as_secs_f64(),
    })
}

/// The result of [`run_as_is`]: a spiking network run as it was given (no conversion, no
/// sweep), e.g. one imported from a NIR file.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AsIsRun {
    /// Platform name (one of [`PLATFORMS`](crate::registry::PLATFORMS)).
    pub platform: String,
    /// Test images run.
    pub images: usize,
    /// SNN accuracy, percent (ties and silent outputs count as wrong, as in the paper).
    pub snn_accuracy_pct: f64,
    /// Images with a tie or no output spike, percent.
    pub no_decision_pct: f64,
    /// Spikes per image per population, input population first.
    pub spikes_per_image: Vec<f64>,
    /// Synaptic events per image.
    pub synaptic_events_per_image: f64,
    /// Host wall-clock time of the simulation per image, s.
    pub wall_s_per_image: f64,
}

/// Runs `network` as it is on `platform` over the first `images` images of `test` in
/// batches of `batch`, with the platform's input encoding, and counts the paper's
/// spike-count readout against the labels. Pixels are preprocessed as
/// `preprocessing` says (a 81-input network normally takes [`Preprocessing::SPIKEY`], the
/// others [`Preprocessing::Scale`]); with `bias_input` the network's last input is a constant
/// 1 (how spikeport-io folds ANN biases into a bias-free network).
///
/// **Errors** with [`ExperimentError::InputSize`] if the network's inputs do not match the
/// preprocessed images, and with the backend's error if it cannot deploy or run the network
/// (e.g. a network too big for Spikey).
pub fn run_as_is(
    network: &SnnNetwork,
    bias_input: bool,
    preprocessing: Preprocessing,
    test: &Dataset,
    platform: &Platform,
    images: usize,
    batch: usize,
) -> Result<AsIsRun, ExperimentError> {
    let mut x = preprocessing.apply(test)?;
    if bias_input {
        let mut with_bias = Array2::ones((x.nrows(), x.ncols() + 1));
        with_bias.slice_mut(s![.., ..x.ncols()]).assign(&x);
        x = with_bias;
    }
    if x.ncols() != network.input_size() {
        return Err(ExperimentError::InputSize {
            inputs: network.input_size(),
            pixels: x.ncols() - usize::from(bias_input),
            bias_input,
        });
    }
    let n = images.min(x.nrows());
    let batch = batch.max(1);
    let backend = platform.backend()?;
    let mut session = backend.session(network, Placement::default())?;
    let (mut correct, mut silent) = (0usize, 0usize);
    let mut activity = spikeport_snn::Activity::default();
    let start = Instant::now();
    for (b, xb) in x.slice(s![..n, ..]).axis_chunks_iter(Axis(0), batch).enumerate() {
        let first = b * batch;
        let out = session.run(&platform.encoder.encode_from(xb, first as u64)?, &Recording::counts_only())?;
        for (p, &label) in out.predictions().iter().zip(&test.labels()[first..first + xb.nrows()]) {
            match p {
                Some(c) => correct += usize::from(*c == usize::from(label)),
                None => silent += 1,
            }
        }
        activity.accumulate(&out.activity);
    }
    let nf = n.max(1) as f64;
    Ok(AsIsRun {
        platform: platform.name.clone(),
        images: n,
        snn_accuracy_pct: 100.0 * correct as f64 / nf,
        no_decision_pct: 100.0 * silent as f64 / nf,
        spikes_per_image: activity.spikes_per_image(),
        synaptic_events_per_image: activity.synaptic_events_per_image(),
        wall_s_per_image: start.elapsed().as_secs_f64() / nf,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::{platform, HilPresentation, PLATFORMS};

    #[test]
    fn edit_distance_matches_hand_counts() {
        assert_eq!(edit_distance("", ""), 0);
        assert_eq!(edit_distance("abc", ""), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("spikey", "spikey"), 0);
        assert_eq!(edit_distance("µS", "uS"), 1);
    }

    #[test]
    fn closest_suggests_only_near_names() {
        assert_eq!(closest("refrence", PLATFORMS), Some("reference"));
        assert_eq!(closest("brainscale", PLATFORMS), Some("brainscales"));
        assert_eq!(closest("loihi", PLATFORMS), None);
        assert_eq!(closest("nas36", spikeport_ann::ZOO_NAMES), Some("nas63"));
    }

    #[test]
    fn a_network_run_as_is_scores_as_the_harness_scores_its_conversion() {
        use spikeport_bench::{run_cell, BackendSetup, Conversion, Copies};
        let mnist = spikeport_data::Mnist::load().expect("mnist");
        let test = mnist.test.take(64).expect("take");
        let model = spikeport_ann::load_zoo("nas63").expect("zoo");
        let make = || platform("fast").expect("fast");
        let p = make();
        let backend = p.backend().expect("backend");
        let conversion = Conversion::Global { max_weight: 0.02 };
        let mut setup = BackendSetup::from_platform(&p, backend, conversion, 16, 0, Copies::One);
        setup.checkpoint_every_ms = None;
        let record = run_cell(&model, &test, &mnist.train, &setup, &mut |_| {}).expect("cell");
        let net = spikeport_bench::convert(&model, &mnist.train, &setup).expect("convert").network;
        let run = run_as_is(&net, false, Preprocessing::Scale, &test, &make(), 64, 16).expect("as is");
        assert_eq!(run.images, 64);
        assert_eq!(run.snn_accuracy_pct, record.snn_accuracy_pct);
        assert_eq!(run.no_decision_pct, record.no_decision_pct);
        assert_eq!(run.spikes_per_image, record.spikes_per_image);
        assert!(run.snn_accuracy_pct > 80.0, "{}", run.snn_accuracy_pct);
        // 81 pooled pixels do not feed a 784-input network
        let err = run_as_is(&net, false, Preprocessing::SPIKEY, &test, &make(), 8, 8).expect_err("size");
        assert!(matches!(err, ExperimentError::InputSize { inputs: 784, pixels: 81, .. }), "{err}");
    }

    #[test]
    fn the_hil_scale_sweep_trains_each_candidate_on_its_chip_and_keeps_the_best_after_training() {
        let mnist = spikeport_data::Mnist::load().expect("mnist");
        let model = spikeport_ann::load_zoo("spikey-net").expect("zoo");
        let train = mnist.train.take(200).expect("take");
        let val = mnist.train.select(&(50_000..50_100).collect::<Vec<_>>()).expect("select");
        let (xtr, xval) = (model.features(&train).expect("x"), model.features(&val).expect("x"));
        let spikey = platform("spikey").expect("spikey");
        let hil = spikey.hil(HilPresentation::Test).expect("a HIL setting").clone();
        let (backend, enc, neuron) = (spikey.backend().expect("backend"), hil.encoder, spikey.neuron);
        let cfg = HilConfig { epochs: 1, ..hil.config };
        let candidates = [0.015, 0.025];
        let sweep = |c: &[f64]| {
            sweep_hil_scale(
                backend.as_ref(),
                &neuron,
                &enc,
                &enc,
                &cfg,
                &model.network,
                c,
                (xtr.view(), train.labels()),
                (xval.view(), val.labels()),
                3,
            )
        };
        let (chosen, points) = sweep(&candidates).expect("sweep");
        assert_eq!(points.iter().map(|p| p.max_weight).collect::<Vec<_>>(), candidates);
        let best = points.iter().map(|p| p.after_pct).fold(f64::NEG_INFINITY, f64::max);
        let winner = points.iter().find(|p| p.max_weight == chosen).expect("chosen is a candidate");
        assert_eq!(winner.after_pct, best, "{points:?}");
        // "before" is the untrained conversion on chip 3, as a fresh deployment measures it
        let net =
            spikeport_convert::convert_global(&model.network, &neuron, 0.025, 1.0).expect("convert").network;
        let mut session = backend.session(&net, Placement::from(3)).expect("deploy");
        let input = enc.encode(xval.view()).expect("encode");
        let fresh = session
            .run(&input, &Recording::counts_only())
            .expect("run")
            .accuracy_pct(val.labels())
            .expect("acc");
        assert_eq!(points[1].before_pct, fresh);
        assert!(points.iter().any(|p| p.after_pct != p.before_pct), "training changed nothing: {points:?}");
        for bad in [&[][..], &[0.02, f64::NAN][..], &[-0.01][..]] {
            let err = sweep(bad).expect_err("bad candidates");
            assert!(matches!(err, ExperimentError::InvalidArgument { name: "candidates", .. }), "{err}");
        }
    }
}
