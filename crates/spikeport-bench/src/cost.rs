//! Time and energy per inference the paper's way (Ostrau et al. 2020; SNABSuite's
//! `batch_parallel` runs): a platform runs `k` network copies side by side in one run, each on
//! its share of the test images, so
//!
//! * time per inference = the run's modelled time ÷ the images in the run, where the run
//!   spans ⌈N / k⌉ images of one copy (× the time-scale factor on SpiNNaker, ÷ 10⁴ on the
//!   analog systems, or a modelled machine's time for the GeNN rows);
//! * energy per inference = the energy of the whole run (idle and per-neuron power over its
//!   time, for the units and neurons all copies occupy, plus the per-event energies of all
//!   images) ÷ the images.
//!
//! Every figure names its clock ([`CostOfInference::clock`]); a platform's power is only
//! ever multiplied by its own modelled time. Set-up, loading and calibration stay apart
//! ([`CostOfInference::setup_s`]). Per-image activity (spikes, synaptic events, packets)
//! does not depend on `k`, so one simulated run prices every `k`: at one copy (latency), at
//! the largest number that fits (throughput) and along the curve in between.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use spikeport_energy::{EnergyEstimate, EnergyInput, Profile, TimeInput};
use spikeport_platform::{Capacity, Timing};
use spikeport_snn::{DynBackend, SnnNetwork, UnitKind};

use crate::BenchError;

/// Time and energy per inference with `copies` copies side by side.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CostAt {
    /// Network copies in the run.
    pub copies: usize,
    /// Biological time the run spans, ms: the largest share of images of one copy × the
    /// image period.
    pub run_bio_ms: f64,
    /// The run's time on the platform's clock, s; `None` where that clock is this host's
    /// and the host did not run this many copies.
    pub run_time_s: Option<f64>,
    /// Its standard deviation (1 SD), s (0 for clocks without uncertainty).
    pub run_time_sd_s: f64,
    /// `run_time_s` ÷ images, s.
    pub time_per_inference_s: Option<f64>,
    /// Energy per inference under each of the platform's energy profiles (mean ± SD, J, with
    /// the per-term breakdown and sources).
    pub energy_per_inference: Vec<EnergyEstimate>,
    /// Hardware units the copies occupy (cores, chips, boards, HICANNs, blocks, …).
    pub hardware_units: BTreeMap<UnitKind, usize>,
}

/// The cost of inference of one record.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CostOfInference {
    /// Whose clock the run times are on ([`Timing::describe`]).
    pub clock: String,
    /// Images (inferences) of the run priced: the simulated activity per image scaled to
    /// them (e.g. the paper's 10,000 test images).
    pub images: usize,
    /// Copies of the priced run in the cell's setting (e.g. SNABSuite's images per copy).
    pub copies_setting: usize,
    /// The largest number of copies that fits the platform (at most one per image).
    pub copies_max: usize,
    /// Why one more copy does not fit, if a resource binds (else the images did).
    pub binding_constraint: Option<String>,
    /// At one copy: the latency of a single network.
    pub at_one: CostAt,
    /// At the copies of the cell's setting.
    pub at_setting: CostAt,
    /// At the largest number of copies that fits: the throughput setting.
    pub at_max: CostAt,
    /// Along the copies from 1 to the largest (powers of two, and the largest).
    pub curve: Vec<CostAt>,
    /// Host time outside the runs the platform models (SpiNNaker loading, analog chip
    /// configuration), s; not in the time or energy per inference.
    pub setup_s: f64,
}

/// What one simulated run did, in totals over all its images, and how many images to price.
#[derive(Clone, Debug, PartialEq)]
pub struct RunTotals {
    /// Images simulated.
    pub images: usize,
    /// Images of the run to price (e.g. the paper's 10,000 test images): the simulated
    /// activity per image is scaled to them.
    pub priced_images: usize,
    /// Image period (duration + pause), ms.
    pub period_ms: f64,
    /// Time step, ms.
    pub dt_ms: f64,
    /// Spikes of the input population.
    pub input_spikes: f64,
    /// Spikes of all other populations.
    pub spikes: f64,
    /// Synaptic events.
    pub synaptic_events: f64,
    /// Multicast packets (SpiNNaker), 0 elsewhere.
    pub packets: f64,
    /// Measured host wall time of the simulation, s (the clock of [`Timing::Host`]).
    pub host_wall_s: f64,
    /// Copies of the priced run in the cell's setting.
    pub copies: usize,
}

/// Prices `totals` (a run of `net` on `backend`) at one copy, at the copies run, at the
/// largest number `capacity` holds and along the curve, on `timing`'s clock with
/// `profiles`.
///
/// **Errors** if a copy count does not fit after all (a backend whose `fit` is not monotone)
/// or an energy estimate fails.
pub fn cost_of_inference(
    backend: &dyn DynBackend,
    net: &SnnNetwork,
    capacity: &Capacity,
    timing: &Timing,
    profiles: &[Profile],
    totals: &RunTotals,
    setup_s: f64,
) -> Result<CostOfInference, BenchError> {
    let n = totals.priced_images.max(1);
    let scale = n as f64 / totals.images.max(1) as f64;
    let (spikes, input_spikes, events, packets) = (
        totals.spikes * scale,
        totals.input_spikes * scale,
        totals.synaptic_events * scale,
        totals.packets * scale,
    );
    let fit = capacity.max_copies(backend, net, n)?;
    let at = |k: usize| -> Result<CostAt, BenchError> {
        let mapping = capacity.fit(backend, net, k)?;
        let run_bio_ms = n.div_ceil(k) as f64 * totals.period_ms;
        let (run_time_s, run_time_sd_s) = match timing {
            Timing::Hardware => (backend.platform().hardware_time_s(run_bio_ms), 0.0),
            Timing::Modelled(model) => {
                let (t, sd) = model.estimate(&TimeInput {
                    steps: run_bio_ms / totals.dt_ms,
                    neurons: mapping.neurons as f64,
                    spikes,
                    synaptic_events: events,
                })?;
                (Some(t), sd)
            }
            // only the copies simulated were timed, on the images simulated
            Timing::Host => ((k == totals.copies).then_some(totals.host_wall_s * scale), 0.0),
        };
        let input = EnergyInput {
            images: n as f64,
            neurons: mapping.neurons as f64,
            spikes,
            input_spikes,
            synaptic_events: events,
            packets,
            cores: mapping.units_of(UnitKind::Core) as f64,
            chips: (mapping.units_of(UnitKind::Chip) + mapping.units_of(UnitKind::Hicann)) as f64,
            boards: mapping.units_of(UnitKind::Board) as f64,
            // neurons × the run's span: every copy's neurons run for the whole run
            bio_time_ms: run_bio_ms,
            hardware_time_s: run_time_s.unwrap_or(0.0),
            wall_time_s: 0.0,
        };
        let energy_per_inference = match run_time_s {
            Some(_) => profiles
                .iter()
                .map(|p| p.estimate(&input).and_then(|e| e.per_image()))
                .collect::<Result<_, _>>()?,
            None => Vec::new(),
        };
        Ok(CostAt {
            copies: k,
            run_bio_ms,
            run_time_s,
            run_time_sd_s,
            time_per_inference_s: run_time_s.map(|t| t / n as f64),
            energy_per_inference,
            hardware_units: mapping.units.iter().map(|u| (u.kind, u.count)).collect(),
        })
    };
    let mut ks: Vec<usize> =
        std::iter::successors(Some(1usize), |k| k.checked_mul(2)).take_while(|&k| k < fit.copies).collect();
    ks.push(fit.copies);
    Ok(CostOfInference {
        clock: timing.describe(),
        images: n,
        copies_setting: totals.copies,
        copies_max: fit.copies,
        binding_constraint: fit.binding.as_ref().map(ToString::to_string),
        at_one: at(1)?,
        at_setting: at(totals.copies.min(fit.copies))?,
        at_max: at(fit.copies)?,
        curve: ks.into_iter().map(at).collect::<Result<_, _>>()?,
        setup_s,
    })
}
