//! Named platforms for experiments: each backend the examples and the `spikeport` command
//! line know by name, with the neuron, input encoding and energy profile of its row in
//! the paper's table (Ostrau et al. 2020; DESIGN.md §4–§5).
//!
//! ```
//! use spikeport::experiment::{platform, PLATFORMS};
//! use spikeport::snn::Encoder;
//!
//! let p = platform("spinnaker", Encoder::paper_digital())?;
//! assert_eq!(p.energy_profiles[0].name, "SpiNN-5");
//! assert!(PLATFORMS.contains(&"spikey"));
//! // an unknown name suggests the closest known one
//! let err = platform("spinaker", Encoder::paper_digital()).err().map(|e| e.to_string());
//! assert!(err.is_some_and(|e| e.contains("did you mean `spinnaker`")));
//! # Ok::<(), spikeport::experiment::ExperimentError>(())
//! ```

use spikeport_analog::{brainscales_encoder, brainscales_neuron, spikey_encoder, spikey_neuron, Analog};
use spikeport_cpu::{CondExpStep, Fast, Reference};
use spikeport_energy::{profiles, Profile};
use spikeport_hil::{spikey_training_encoder, HilConfig};
use spikeport_snn::DynBackend;
use std::time::Instant;

use ndarray::{s, Array2, Axis};
use spikeport_data::{Dataset, Preprocessing};
use spikeport_snn::{Encoder, IfCondExpParams, NeuronModel, Placement, Recording, SnnNetwork};
use spikeport_spinnaker::Spinnaker;

/// Every platform name [`platform`] accepts, in the order of the paper's table rows.
///
/// * `reference`: the NEST-like simulator (f64, adaptive Dormand–Prince, dt 0.1 ms);
///   `reference-1ms` the same at dt 1 ms.
/// * `fast`: the GeNN-like CPU simulator (f32, dt 1 ms, held-conductance step);
///   `fast-genn` the same with GeNN's own held-current step.
/// * `gpu`: `Fast`'s semantics as WGSL kernels on the best Vulkan adapter
///   (`spikeport-gpu`, the paper's GeNN-GPU row); building it fails with
///   [`ExperimentError::Gpu`] where no adapter exists.
/// * `spinnaker`: the fixed-point sPyNNaker model on one SpiNN-5 board;
///   `spinnaker-spinn3` on a SpiNN-3 board.
/// * `brainscales`, `spikey`: the analog models (calibrated mismatch, default noise) in
///   their own paper settings.
pub const PLATFORMS: [&str; 10] = [
    "reference",
    "reference-1ms",
    "fast",
    "fast-genn",
    "gpu",
    "spinnaker",
    "spinnaker-spinn3",
    "brainscales",
    "spikey",
    "fast-01ms",
];

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
    /// A CPU simulator could not be built.
    #[error(transparent)]
    Cpu(#[from] spikeport_cpu::CpuError),
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
    /// The GPU backend could not be built (no Vulkan adapter, a lost device, ...).
    #[error(transparent)]
    Gpu(#[from] spikeport_gpu::GpuError),
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

/// Which family a platform belongs to; decides how the harness treats it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// The accurate (slow) reference simulator: runs few images and reuses the weight
    /// scale swept on another backend.
    Reference,
    /// A digital simulator or digital hardware model.
    Digital,
    /// An analog model (Spikey, BrainScaleS): runs its own paper setting, can be trained
    /// in the loop.
    Analog,
}

/// The family of the platform called `name`, if it is one of [`PLATFORMS`].
pub fn family_of(name: &str) -> Option<Family> {
    match name {
        "reference" | "reference-1ms" => Some(Family::Reference),
        "spikey" | "brainscales" => Some(Family::Analog),
        n if PLATFORMS.contains(&n) => Some(Family::Digital),
        _ => None,
    }
}

/// A platform ready for [`spikeport_bench::BackendSetup`]: the backend, the neuron model
/// and input encoding of its paper setting, and its energy profiles.
pub struct Platform {
    /// The name it was built from (one of [`PLATFORMS`]).
    pub name: String,
    /// The backend.
    pub backend: Box<dyn DynBackend>,
    /// Neuron model of every converted layer under the paper's global conversion.
    pub neuron: NeuronModel,
    /// Input encoding of the platform's paper setting (the digital ones take the encoder
    /// passed to [`platform`]).
    pub encoder: Encoder,
    /// Energy models of the platform's row: SNABSuite's measured profiles for SpiNNaker,
    /// Spikey and GeNN on a CPU, the stated-assumption estimate for BrainScaleS-1; empty
    /// for the reference simulator (NEST row), whose energy is the host's.
    pub energy_profiles: Vec<Profile>,
    /// How the harness treats it.
    pub family: Family,
}

/// The platform called `name` (one of [`PLATFORMS`]); digital platforms run `digital`
/// (normally [`Encoder::paper_digital`]) with the paper's digital IF_cond_exp neuron
/// ([`IfCondExpParams::paper_digital`]).
///
/// **Errors** with [`ExperimentError::Unknown`] (naming the closest known platform) for an
/// unknown name.
pub fn platform(name: &str, digital: Encoder) -> Result<Platform, ExperimentError> {
    let lif = IfCondExpParams::paper_digital().into_model()?;
    let fast_energy = vec![profiles::genn_cpu_ryzen2600x()];
    let (backend, neuron, encoder, energy_profiles, family): (Box<dyn DynBackend>, _, _, _, _) = match name {
        "reference" => (Box::new(Reference::new(0.1)?), lif, digital, Vec::new(), Family::Reference),
        "reference-1ms" => (Box::new(Reference::new(1.0)?), lif, digital, Vec::new(), Family::Reference),
        "fast" => (Box::new(Fast::new(1.0)?), lif, digital, fast_energy, Family::Digital),
        "fast-01ms" => (Box::new(Fast::new(0.1)?), lif, digital, fast_energy, Family::Digital),
        "fast-genn" => (
            Box::new(Fast::new(1.0)?.with_cond_exp_step(CondExpStep::GennHeldCurrent)),
            lif,
            digital,
            fast_energy,
            Family::Digital,
        ),
        "gpu" => (
            Box::new(spikeport_gpu::Gpu::new(1.0)?),
            lif,
            digital,
            vec![profiles::genn_gpu_rtx2070()],
            Family::Digital,
        ),
        "spinnaker" => {
            (Box::new(Spinnaker::spinn5()), lif, digital, vec![profiles::spinn5()], Family::Digital)
        }
        "spinnaker-spinn3" => {
            (Box::new(Spinnaker::spinn3()), lif, digital, vec![profiles::spinn3()], Family::Digital)
        }
        "spikey" => (
            Box::new(Analog::spikey()),
            spikey_neuron().into_model()?,
            spikey_encoder(),
            vec![profiles::spikey()],
            Family::Analog,
        ),
        "brainscales" => (
            Box::new(Analog::brainscales()),
            brainscales_neuron().into_model()?,
            brainscales_encoder(),
            vec![profiles::brainscales1()],
            Family::Analog,
        ),
        other => return Err(unknown("platform", other, &PLATFORMS)),
    };
    Ok(Platform { name: name.to_string(), backend, neuron, encoder, energy_profiles, family })
}

/// Which input presentation the analog platforms are trained in the loop with.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HilPresentation {
    /// The presentation the chip is tested with (Spikey: 300 ms at 50 Hz), spikeport's
    /// default: on Spikey it recovers 3–4 pp more than the paper's shorter training
    /// presentation, whose weights do not carry over to the test presentation
    /// (`docs/backends/analog.md`).
    #[default]
    Test,
    /// The paper's training presentation (Spikey: 180 ms at 70 Hz, shorter, so faster on a
    /// real chip). BrainScaleS has only one (its test presentation).
    Paper,
}

/// The HIL setting of analog platform `name` (`"spikey"` or `"brainscales"`): the backend
/// (calibrated mismatch, default noise), the input encoding to train with and the trainer
/// settings of the paper (Spikey: batch 100, lr 0.02; BrainScaleS: batch 500, lr 0.008;
/// 5 epochs). With [`HilPresentation::Test`], Spikey trains with its test encoding and
/// normalises counts by its rate (50 Hz), so an input's activation is its pixel value.
///
/// **Errors** with [`ExperimentError::Unknown`] for any other name.
pub fn hil_setting(
    name: &str,
    presentation: HilPresentation,
) -> Result<(Analog, Encoder, HilConfig), ExperimentError> {
    match (name, presentation) {
        ("spikey", HilPresentation::Paper) => {
            Ok((Analog::spikey(), spikey_training_encoder(), HilConfig::paper_spikey()))
        }
        ("spikey", HilPresentation::Test) => {
            let encoder = spikey_encoder();
            let config = HilConfig { norm_rate_hz: encoder.max_freq_hz(), ..HilConfig::paper_spikey() };
            Ok((Analog::spikey(), encoder, config))
        }
        ("brainscales", _) => {
            Ok((Analog::brainscales(), brainscales_encoder(), HilConfig::paper_brainscales()))
        }
        (other, _) => Err(unknown("analog platform", other, &["spikey", "brainscales"])),
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
    backend: &Analog,
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
        let before_pct = 100.0 * session.run(&input, &Recording::counts_only())?.accuracy(validation.1)?;
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
        let after_pct = 100.0 * session.run(&input, &Recording::counts_only())?.accuracy(validation.1)?;
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

/// The result of [`run_as_is`]: a spiking network run as it was given (no conversion, no
/// sweep), e.g. one imported from a NIR file.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AsIsRun {
    /// Platform name (one of [`PLATFORMS`]).
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
    let mut session = platform.backend.session(network, Placement::default())?;
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
    fn every_listed_platform_builds_and_unknown_ones_are_named() {
        for name in PLATFORMS {
            let p = match platform(name, Encoder::paper_digital()) {
                Ok(p) => p,
                // machines without a Vulkan adapter: the GPU crate's own tests cover it
                Err(ExperimentError::Gpu(e)) if name == "gpu" => {
                    eprintln!("gpu not built here: {e}");
                    continue;
                }
                Err(e) => panic!("{name}: {e}"),
            };
            assert_eq!(p.name, name);
            assert_eq!(p.family == Family::Reference, name.starts_with("reference"));
            assert_eq!(p.energy_profiles.is_empty(), name.starts_with("reference"));
            assert_eq!(family_of(name), Some(p.family));
        }
        let e = platform("gpu-x", Encoder::paper_digital()).err().expect("unknown");
        assert!(matches!(e, ExperimentError::Unknown { what: "platform", .. }), "{e}");
    }

    #[test]
    fn a_network_run_as_is_scores_as_the_harness_scores_its_conversion() {
        use spikeport_bench::{run_cell, BackendSetup, Conversion};
        let mnist = spikeport_data::Mnist::load().expect("mnist");
        let test = mnist.test.take(64).expect("take");
        let model = spikeport_ann::load_zoo("nas63").expect("zoo");
        let make = || platform("fast", Encoder::paper_digital()).expect("fast");
        let p = make();
        let setup = BackendSetup {
            name: "fast".into(),
            backend: p.backend,
            neuron: p.neuron,
            encoder: p.encoder,
            conversion: Conversion::Global { max_weight: 0.02 },
            batch_size: 16,
            seed: 0,
            checkpoint_every_ms: None,
            energy_profiles: Vec::new(),
        };
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
        use spikeport_snn::Backend;
        let mnist = spikeport_data::Mnist::load().expect("mnist");
        let model = spikeport_ann::load_zoo("spikey-net").expect("zoo");
        let train = mnist.train.take(200).expect("take");
        let val = mnist.train.select(&(50_000..50_100).collect::<Vec<_>>()).expect("select");
        let (xtr, xval) = (model.features(&train).expect("x"), model.features(&val).expect("x"));
        let (backend, enc, cfg) = hil_setting("spikey", HilPresentation::Test).expect("spikey");
        let neuron = spikey_neuron().into_model().expect("neuron");
        let cfg = HilConfig { epochs: 1, ..cfg };
        let candidates = [0.015, 0.025];
        let sweep = |c: &[f64]| {
            sweep_hil_scale(
                &backend,
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
        let mut dep = backend.deploy(&net, 3).expect("deploy");
        let input = enc.encode(xval.view()).expect("encode");
        let fresh = 100.0
            * backend
                .run(&mut dep, &input, &Recording::counts_only())
                .expect("run")
                .accuracy(val.labels())
                .expect("acc");
        assert_eq!(points[1].before_pct, fresh);
        assert!(points.iter().any(|p| p.after_pct != p.before_pct), "training changed nothing: {points:?}");
        for bad in [&[][..], &[0.02, f64::NAN][..], &[-0.01][..]] {
            let err = sweep(bad).expect_err("bad candidates");
            assert!(matches!(err, ExperimentError::InvalidArgument { name: "candidates", .. }), "{err}");
        }
    }

    #[test]
    fn spikey_trains_in_the_loop_on_its_test_presentation_unless_told_otherwise() {
        let (_, enc, cfg) = hil_setting("spikey", HilPresentation::default()).expect("spikey");
        assert_eq!(enc, spikey_encoder());
        assert_eq!((enc.duration_ms(), enc.max_freq_hz()), (300.0, 50.0));
        assert_eq!(cfg.norm_rate_hz, 50.0, "an input's activation is its pixel value");
        assert_eq!((cfg.batch_size, cfg.lr), (100, 0.02));
        let (_, enc, cfg) = hil_setting("spikey", HilPresentation::Paper).expect("spikey");
        assert_eq!((enc.duration_ms(), enc.max_freq_hz()), (180.0, 70.0));
        assert_eq!(cfg, HilConfig::paper_spikey());
        for p in [HilPresentation::Test, HilPresentation::Paper] {
            let (_, enc, cfg) = hil_setting("brainscales", p).expect("brainscales");
            assert_eq!(enc, brainscales_encoder());
            assert_eq!(cfg, HilConfig::paper_brainscales());
        }
        let err = hil_setting("spikee", HilPresentation::Test).expect_err("unknown");
        assert!(err.to_string().contains("did you mean `spikey`"), "{err}");
    }
}
