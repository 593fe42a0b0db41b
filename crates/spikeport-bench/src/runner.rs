//! Running one network on one backend over a set of test images.

use std::time::Instant;

use ndarray::{s, Array2};
use serde::{Deserialize, Serialize};
use spikeport_ann::Model;
use spikeport_convert::{
    convert_global, convert_normalised, sweep, SweepResult, SweepSettings, DEFAULT_DELAY_MS,
};
use spikeport_data::Dataset;
use spikeport_energy::{HostMeter, Profile};
use spikeport_platform::{Capacity, Platform, Timing};
use spikeport_snn::timing::duration_steps;
use spikeport_snn::{
    readout, Activity, Counter, DynBackend, Encoder, IfCurrDeltaSubValidParams, ImageBoundary, NeuronModel,
    Placement, Recording, SnnNetwork,
};

use crate::cost::{cost_of_inference, RunTotals};
use crate::error::BenchError;
use crate::metrics::cost_metrics;
use crate::report::{AccuracyAt, ImagePrediction, Record};

/// How the ANN becomes an SNN in an experiment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Conversion {
    /// The paper's global factor with a fixed `max_weight` (unit of the neuron's synapses).
    Global {
        /// Weight the largest positive ANN weight maps to.
        max_weight: f64,
    },
    /// The paper's global factor with `max_weight` chosen by a sweep on the first
    /// `calibration_images` images of the **training** set.
    Sweep {
        /// Candidates.
        settings: SweepSettings,
        /// Number of training images to calibrate on.
        calibration_images: usize,
    },
    /// Per-layer data-based normalisation with reset by subtraction, calibrated on the first
    /// `calibration_images` training images; the setup's neuron model is not used.
    PerLayer {
        /// Percentile of positive activations, e.g. 99.9.
        percentile: f64,
        /// The integrate-and-fire neuron with reset by subtraction.
        neuron: IfCurrDeltaSubValidParams,
        /// Number of training images to calibrate on.
        calibration_images: usize,
    },
}

/// How many network copies a cell runs side by side (SNABSuite's `batch_parallel`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Copies {
    /// One copy: all images back to back on one network.
    One,
    /// This many copies.
    Fixed(usize),
    /// As many copies as give each this many images (SNABSuite's `batchsize`), at most as
    /// many as fit the platform.
    ImagesPerCopy(usize),
    /// As many as fit the platform, at most one per image.
    Max,
}

impl Copies {
    /// The copies for `images` images when at most `max` fit.
    pub fn resolve(self, images: usize, max: usize) -> usize {
        let k = match self {
            Copies::One => 1,
            Copies::Fixed(k) => k,
            Copies::ImagesPerCopy(b) => images.div_ceil(b.max(1)).min(max),
            Copies::Max => max,
        };
        k.clamp(1, images.max(1))
    }
}

/// One backend as used in an experiment: the simulator plus the conversion and encoding.
pub struct BackendSetup {
    /// Name in reports, e.g. `"fast"`.
    pub name: String,
    /// The simulator or hardware model.
    pub backend: Box<dyn DynBackend>,
    /// Neuron model of every converted layer (for the global conversions).
    pub neuron: NeuronModel,
    /// Input encoding (rate, duration, pause).
    pub encoder: Encoder,
    /// ANN → SNN conversion.
    pub conversion: Conversion,
    /// Images per simulated batch (bounds memory). Under `Continuous` a copy's share of
    /// the images stays whole and a run holds at least [`CONTINUOUS_MIN_COPIES_PER_RUN`]
    /// shares, whatever the batch.
    pub batch_size: usize,
    /// Deployment seed.
    pub seed: u64,
    /// Interval of the accuracy-vs-time checkpoints, ms; `None` records none.
    pub checkpoint_every_ms: Option<f64>,
    /// Energy models to price the run with (e.g. [`spikeport_energy::profiles::spinn5`]
    /// for the SpiNNaker model), on `timing`'s clock; each gives one [`Record::energy`]
    /// entry per image. The host running spikeport is always measured as well
    /// ([`Record::host_energy`]).
    pub energy_profiles: Vec<Profile>,
    /// Which clock the platform's run time and energy are on.
    pub timing: Timing,
    /// How many network copies the platform holds.
    pub capacity: Capacity,
    /// How many copies the cell runs side by side.
    pub copies: Copies,
    /// Keep every image's result in [`Record::predictions`] (class, output counts, spikes per
    /// layer).
    pub keep_predictions: bool,
    /// Images of the run whose time and energy per inference are priced, with the copies
    /// the platform would run for them (`None`: the images simulated). The paper priced
    /// runs of the whole 10,000-image MNIST test set.
    pub priced_images: Option<usize>,
}

impl BackendSetup {
    /// The setup of `platform` run on `backend` (built by the platform, maybe with its
    /// paper deployment settings): its neuron, presentation, energy profiles, clock and
    /// capacity; `conversion`, batches of `batch_size` images, deployment seed `seed`,
    /// accuracy checkpoints every 50 ms, copies as given.
    pub fn from_platform(
        platform: &Platform,
        backend: Box<dyn DynBackend>,
        conversion: Conversion,
        batch_size: usize,
        seed: u64,
        copies: Copies,
    ) -> Self {
        Self {
            name: platform.name.clone(),
            backend,
            neuron: platform.neuron,
            encoder: platform.encoder,
            conversion,
            batch_size,
            seed,
            checkpoint_every_ms: Some(50.0),
            energy_profiles: platform.energy.clone(),
            timing: platform.timing.clone(),
            capacity: platform.capacity.clone(),
            copies,
            keep_predictions: false,
            priced_images: None,
        }
    }
}

/// Progress of [`run_cell`], for progress bars.
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    /// Images simulated so far.
    pub done: usize,
    /// Images in total.
    pub total: usize,
}

/// The converted network and how it was obtained.
pub struct Converted {
    /// The spiking network.
    pub network: SnnNetwork,
    /// Human-readable description, e.g. `"global, max_weight 0.0150 (sweep)"`.
    pub description: String,
    /// The weight scale used by the global conversions.
    pub max_weight: Option<f64>,
    /// The sweep, if one ran.
    pub sweep: Option<SweepResult>,
    /// The input encoding to run it with: the setup's, with the maximum rate the sweep
    /// chose if it swept rates; the per-layer conversion presents every image from rest
    /// ([`ImageBoundary::Reset`]), whatever the setup says, because its non-leaky neurons
    /// would carry one image's charge into every later one.
    pub encoder: Encoder,
}

/// Converts `model` as `setup` says, calibrating on `calibration` (training images).
///
/// **Errors** if the conversion, a sweep or the calibration data fail.
pub fn convert(model: &Model, calibration: &Dataset, setup: &BackendSetup) -> Result<Converted, BenchError> {
    let ann = &model.network;
    match &setup.conversion {
        Conversion::Global { max_weight } => Ok(Converted {
            network: convert_global(ann, &setup.neuron, *max_weight, DEFAULT_DELAY_MS)?.network,
            description: format!("global, max_weight {max_weight}"),
            max_weight: Some(*max_weight),
            sweep: None,
            encoder: setup.encoder,
        }),
        Conversion::Sweep { settings, calibration_images } => {
            let calib = calibration.take((*calibration_images).min(calibration.len()))?;
            let x = model.features(&calib)?;
            let result = sweep(
                setup.backend.as_ref(),
                ann,
                &setup.neuron,
                &setup.encoder,
                x.view(),
                calib.labels(),
                settings,
            )?;
            let best = result.best.max_weight;
            let encoder = setup.encoder.with_max_freq(result.best.max_freq_hz)?;
            let rate = if settings.max_freqs_hz.len() > 1 {
                format!(", max_freq {} Hz", result.best.max_freq_hz)
            } else {
                String::new()
            };
            Ok(Converted {
                network: convert_global(ann, &setup.neuron, best, DEFAULT_DELAY_MS)?.network,
                description: format!(
                    "global, max_weight {best}{rate} (swept {} settings on {} training images: {:.1} %)",
                    result.points.len(),
                    result.images,
                    result.best.accuracy_pct
                ),
                max_weight: Some(best),
                sweep: Some(result),
                encoder,
            })
        }
        Conversion::PerLayer { percentile, neuron, calibration_images } => {
            let calib = calibration.take((*calibration_images).min(calibration.len()))?;
            let x = model.features(&calib)?;
            let (network, report) = convert_normalised(ann, x.view(), *percentile, neuron, DEFAULT_DELAY_MS)?;
            Ok(Converted {
                network,
                description: format!(
                    "per-layer p{percentile} on {} training images, reset by subtraction, each image from rest",
                    report.images
                ),
                max_weight: None,
                sweep: None,
                // non-leaky neurons never forget: a neuron that one image drove below rest
                // stays silent for the next ones (nas63: 97.3 % from rest, 12.7 % back to back)
                encoder: setup.encoder.with_boundary(ImageBoundary::Reset),
            })
        }
    }
}

/// Runs `model` converted for `setup` on every image of `test`, in batches, and measures
/// ANN and SNN accuracy on the same images, activity and time.
///
/// **Errors** if conversion, encoding or the backend fail.
pub fn run_cell(
    model: &Model,
    test: &Dataset,
    calibration: &Dataset,
    setup: &BackendSetup,
    progress: &mut dyn FnMut(Progress),
) -> Result<Record, BenchError> {
    if setup.batch_size == 0 {
        return Err(BenchError::InvalidArgument { name: "batch_size", reason: "must be ≥ 1".into() });
    }
    if test.is_empty() {
        return Err(BenchError::InvalidArgument { name: "images", reason: "no test images".into() });
    }
    let wall = Instant::now();
    let x = model.features(test)?;
    let labels = test.labels();
    let ann_pred = model.network.predict(x.view())?;
    let ann_correct = ann_pred.iter().zip(labels).filter(|(p, &l)| **p == usize::from(l)).count();
    let converted = convert(model, calibration, setup)?;
    let encoder = converted.encoder;
    let n = test.len();
    let backend = setup.backend.as_ref();
    let fit = setup.capacity.max_copies(backend, &converted.network, n)?;
    let copies = setup.copies.resolve(n, fit.copies);
    let mut session = backend.session(&converted.network, Placement::from(setup.seed).with_copies(copies))?;
    let mapping = session.mapping();
    let mut rec = Recording::counts_only();
    if let Some(every) = setup.checkpoint_every_ms {
        rec = rec.with_checkpoints(every);
    }
    let mut activity = Activity::default();
    let (mut snn_correct, mut agree, mut silent) = (0usize, 0usize, 0usize);
    let mut checkpoint_times: Vec<f64> = Vec::new();
    let mut checkpoint_correct: Vec<usize> = Vec::new();
    let mut window_end_ms = f64::NAN;
    let mut predictions = Vec::new();
    let sim_start = Instant::now();
    let mut host = HostMeter::start();
    for (first, last, first_copy, images_per_copy) in runs(n, copies, setup.batch_size, encoder.boundary()) {
        let xb = x.slice(s![first..last, ..]);
        let input = encoder.encode_from(xb, first as u64)?.with_copies(first_copy, images_per_copy)?;
        window_end_ms = input.readout_window_ms().1;
        let out = session.run(&input, &rec)?;
        let lb = &labels[first..last];
        if setup.keep_predictions {
            let output = out.output_counts();
            for (i, class) in out.predictions().into_iter().enumerate() {
                predictions.push(ImagePrediction {
                    image: first + i,
                    label: lb[i],
                    ann_class: ann_pred[first + i],
                    snn_class: class,
                    output_counts: output.row(i).to_vec(),
                    spikes_per_layer: out.counts.iter().map(|c| c.row(i).sum()).collect(),
                });
            }
        }
        for (i, p) in out.predictions().into_iter().enumerate() {
            match p {
                Some(c) => {
                    snn_correct += usize::from(c == usize::from(lb[i]));
                    agree += usize::from(c == ann_pred[first + i]);
                }
                None => silent += 1,
            }
        }
        if let Some(cp) = &out.checkpoints {
            if checkpoint_times.is_empty() {
                checkpoint_times = cp.times_ms.clone();
                checkpoint_correct = vec![0; cp.times_ms.len()];
            }
            for (c, counts) in cp.counts.iter().enumerate() {
                checkpoint_correct[c] += correct_of(counts, lb);
            }
        }
        activity.accumulate(&out.activity);
        host.sample();
        progress(Progress { done: last, total: n });
    }
    let host_energy = host.stop();
    let sim_wall = sim_start.elapsed().as_secs_f64();
    let info = backend.platform();
    let period_ms = encoder.duration_ms() + encoder.pause_ms();
    let counter = |c: Counter| activity.counters.get(&c).copied().unwrap_or(0) as f64;
    let totals = RunTotals {
        images: n,
        priced_images: setup.priced_images.unwrap_or(n),
        period_ms,
        dt_ms: info.dt_ms,
        input_spikes: activity.spikes.first().copied().unwrap_or(0) as f64,
        spikes: activity.spikes.iter().skip(1).sum::<u64>() as f64,
        synaptic_events: activity.total_synaptic_events() as f64,
        packets: counter(Counter::PacketsSent),
        host_wall_s: sim_wall,
        copies: {
            let priced = setup.priced_images.unwrap_or(n);
            let max = setup.capacity.max_copies(backend, &converted.network, priced.max(1))?.copies;
            setup.copies.resolve(priced, max)
        },
    };
    let setup_s =
        (counter(Counter::LoadTimeUs) + counter(Counter::ConfigOverheadUs) + counter(Counter::RunOverheadUs))
            * 1e-6;
    let cost = cost_of_inference(
        backend,
        &converted.network,
        &setup.capacity,
        &setup.timing,
        &setup.energy_profiles,
        &totals,
        setup_s,
    )?;
    let metrics = cost_metrics(
        &converted.network,
        &model.network,
        info.weight_resolution,
        &activity.spikes_per_image(),
        activity.synaptic_events_per_image(),
        duration_steps(period_ms, info.dt_ms),
        x.view(),
    )?;
    let nf = n as f64;
    let ann_accuracy_pct = 100.0 * ann_correct as f64 / nf;
    let snn_accuracy_pct = 100.0 * snn_correct as f64 / nf;
    Ok(Record {
        network: model.header.name.clone(),
        backend: setup.name.clone(),
        platform: setup.backend.platform().name.clone(),
        images: n,
        ann_accuracy_pct,
        snn_accuracy_pct,
        conversion_loss_pp: ann_accuracy_pct - snn_accuracy_pct,
        ann_agreement_pct: 100.0 * agree as f64 / nf,
        no_decision_pct: 100.0 * silent as f64 / nf,
        conversion: converted.description,
        max_weight: converted.max_weight,
        neuron_model: converted.network.populations().last().map_or("", |p| p.model.name()).to_string(),
        max_freq_hz: encoder.max_freq_hz(),
        duration_ms: encoder.duration_ms(),
        pause_ms: encoder.pause_ms(),
        dt_ms: setup.backend.platform().dt_ms,
        bio_ms_per_image: activity.bio_time_ms / nf,
        hardware_s_per_image: cost.at_setting.time_per_inference_s.unwrap_or(sim_wall / nf),
        wall_s_per_image: sim_wall / nf,
        total_wall_s: wall.elapsed().as_secs_f64(),
        synaptic_events_per_image: activity.synaptic_events_per_image(),
        spikes_per_image: activity.spikes_per_image(),
        neuron_updates_per_image: activity.neuron_updates as f64 / nf,
        neurons: mapping.neurons / copies,
        synapses: mapping.synapses / copies,
        accuracy_vs_time: accuracy_curve(
            &checkpoint_times,
            &checkpoint_correct,
            nf,
            window_end_ms,
            snn_accuracy_pct,
        ),
        seed: setup.seed,
        threads: rayon::current_num_threads(),
        hardware_units: mapping.units.iter().map(|u| (u.kind, u.count)).collect(),
        platform_counters: activity.counters.clone(),
        energy: cost.at_setting.energy_per_inference.clone(),
        host_energy: Some(host_energy),
        copies,
        cost: Some(cost),
        metrics: Some(metrics),
        predictions,
    })
}

/// Under `Continuous`, a run holds at least this many copies' shares (when there are as
/// many), even if they exceed the batch: each share is one sequential simulation (a lane),
/// so a run of one share would keep every other core idle. Copies are independent (their
/// own lanes, cores or circuits), so how they are grouped into runs changes no result; the
/// number is a constant, not the thread count, so the grouping is the same on any machine.
pub const CONTINUOUS_MIN_COPIES_PER_RUN: usize = 8;

/// The runs of a cell of `n` images on `copies` copies, in batches of at most `batch`
/// images: `(first image, end, first copy, images per copy)`. Copy `c` runs images
/// `c · ⌈n / copies⌉ ..`; a run holds whole copies' shares, as many as fit the batch, so that
/// a copy's images run back to back in one simulation (state carries under `Continuous`).
/// Under `Reset` a share longer than the batch is split (every image starts from rest);
/// under `Continuous` it stays whole, and a run holds at least
/// [`CONTINUOUS_MIN_COPIES_PER_RUN`] shares so that the cores have lanes to share.
fn runs(n: usize, copies: usize, batch: usize, boundary: ImageBoundary) -> Vec<(usize, usize, usize, usize)> {
    let per_copy = n.div_ceil(copies.max(1)).max(1);
    let mut out = Vec::new();
    if per_copy > batch && boundary == ImageBoundary::Reset {
        for c in 0..copies {
            let (start, end) = (c * per_copy, ((c + 1) * per_copy).min(n));
            for first in (start..end).step_by(batch.max(1)) {
                let last = (first + batch).min(end);
                out.push((first, last, c, last - first));
            }
        }
    } else {
        let min = if boundary == ImageBoundary::Continuous { CONTINUOUS_MIN_COPIES_PER_RUN } else { 1 };
        let per_run = (batch / per_copy).max(min);
        for c in (0..copies).step_by(per_run) {
            let first = c * per_copy;
            if first < n {
                out.push((first, ((c + per_run) * per_copy).min(n), c, per_copy));
            }
        }
    }
    out
}

/// The checkpoints' accuracies, completed by the final accuracy at the readout window's end
/// (spikes in the pause after the last checkpoint still count in the paper's readout).
fn accuracy_curve(
    times: &[f64],
    correct: &[usize],
    n: f64,
    window_end_ms: f64,
    final_pct: f64,
) -> Vec<AccuracyAt> {
    let mut curve: Vec<AccuracyAt> = times
        .iter()
        .zip(correct)
        .map(|(&t_ms, &c)| AccuracyAt { t_ms, snn_accuracy_pct: 100.0 * c as f64 / n })
        .collect();
    if !curve.is_empty() && curve.last().is_some_and(|a| a.t_ms < window_end_ms) {
        curve.push(AccuracyAt { t_ms: window_end_ms, snn_accuracy_pct: final_pct });
    }
    curve
}

fn correct_of(counts: &Array2<u32>, labels: &[u8]) -> usize {
    (0..counts.nrows())
        .filter(|&i| readout::predict(counts.slice(s![i, ..])) == Some(usize::from(labels[i])))
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_cover_every_image_once_in_whole_shares() {
        for (n, copies, batch) in
            [(10_000, 67, 256), (10_000, 1, 256), (1000, 53, 100), (7, 3, 2), (12, 12, 1)]
        {
            for boundary in [ImageBoundary::Reset, ImageBoundary::Continuous] {
                let r = runs(n, copies, batch, boundary);
                let mut next = 0;
                for &(first, last, _, _) in &r {
                    assert_eq!(first, next, "{n} {copies} {batch} {boundary:?}");
                    assert!(last > first);
                    next = last;
                }
                assert_eq!(next, n);
            }
        }
    }

    #[test]
    fn continuous_runs_hold_several_shares_so_the_cores_have_lanes() {
        // NEST's nastop deployment: 150 images per copy, 67 copies, batch 256: one share
        // fits the batch, yet each run holds 8 shares (8 lanes for the cores)
        let r = runs(10_000, 67, 256, ImageBoundary::Continuous);
        assert_eq!(r[0], (0, 1200, 0, 150));
        assert_eq!(r.len(), 9);
        assert_eq!(*r.last().expect("runs"), (9600, 10_000, 64, 150));
        // a batch that holds more shares than the minimum keeps them all
        assert_eq!(runs(1000, 100, 500, ImageBoundary::Continuous)[0], (0, 500, 0, 10));
        // under Reset a long share is split by the batch, one copy per run
        assert_eq!(runs(1000, 2, 256, ImageBoundary::Reset)[0], (0, 256, 0, 256));
    }
}
