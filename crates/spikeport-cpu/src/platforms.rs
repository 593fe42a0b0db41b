//! The platforms of this crate for applications ([`platforms`]): the paper's NEST row
//! (`reference`, dt 1 ms as SNABSuite ran NEST, and `reference-01ms`) and GeNN-CPU row
//! (`fast`, `fast-genn`, `fast-01ms`), each with its energy profile and clock.
//!
//! The GeNN rows are priced with the SNABSuite energy model of GeNN on the paper's Ryzen
//! 2600X *on a modelled run time of that machine* ([`genn_cpu_time_model`]), never on this
//! host's wall time; this host's own energy is measured separately by the harness.

use spikeport_energy::{profiles, Coefficient, RunTimeModel, TimeTerm};
use spikeport_platform::paper_digital;
use spikeport_platform::{
    hil_on_presentation, snabsuite_deployment, snabsuite_genn_deployments, DeploymentSettings, Family,
    PaperDeployment, Platform, Timing, DIGITAL_SWEEP_US,
};
use spikeport_snn::{BackendError, DynBackend};

use crate::{CondExpStep, Fast, Reference};

/// SNABSuite's NEST runs (`nest`, largest `bench_index`).
fn nest_deployments() -> Vec<PaperDeployment> {
    let d = DeploymentSettings::default();
    vec![
        snabsuite_deployment("spikey-net", "MnistSpikey.json", 50, d),
        snabsuite_deployment("nas63", "MnistNAS63.json", 56, d),
        snabsuite_deployment("nas129", "MnistNAS129.json", 70, d),
        snabsuite_deployment("nastop", "MnistNAStop.json", 150, d),
        snabsuite_deployment("diehl", "MnistDiehl.json", 190, d),
    ]
}

/// Run times of GeNN's CPU backend (SNABSuite's calibration runs of `genn_energy.json`,
/// Ryzen 2600X, dt 1 ms; `util.<benchmark>.runtime_avg` in ms, the step loop only).
mod ryzen {
    /// 50,000 idle neurons, 60,000 steps: 3,742.3 ± 28.0 ms.
    pub const NON_SPIKING: (f64, f64) = (3742.2851612500003, 27.962251262031547);
    /// 50,000 neurons spiking every step (2.5·10⁸ spikes), 30,000 steps: 1,985.0 ± 306.7 ms.
    pub const FULL_SPIKING: (f64, f64) = (1985.0170509, 306.6815807873689);
    /// 50,000 neurons, 50,000 steps, 5·10⁴ spikes each to all 50,000 targets (one-to-all,
    /// 2.5·10⁹ events): 4,537.0 ± 26.4 ms.
    pub const INTER_S2A: (f64, f64) = (4536.952781350002, 26.39543245223176);
    /// 50,100 neurons, 10,000 steps, 166,700 spikes to 25,000 random targets each
    /// (4.17·10⁹ events): 9,708.7 ± 47.5 ms.
    pub const INTER_RANDOM: (f64, f64) = (9708.674235599998, 47.51832318082653);
}

/// A modelled run time of GeNN on the paper's Ryzen 2600X CPU, from SNABSuite's calibration
/// runs (`hbp-unibi/SNABSuite@8202f41 config_energy/genn_energy.json`, `util.*.runtime_avg`),
/// so that the GeNN-CPU energy profile is priced on that machine's time:
///
/// * per neuron-step: the idle run, 3,742 ms ÷ (5·10⁴ neurons × 6·10⁴ steps) = 1.25 ns
///   (it includes any per-step overhead, which these runs cannot separate);
/// * per spike: the fully spiking run less its neuron-steps, ÷ 2.5·10⁸ spikes = 0.46 ± 1.23 ns;
/// * per synaptic event: an equal-weight mixture of the one-to-all run (dense rows,
///   0.57 ns) and the random-connectivity run (individual targets, 2.18 ns), each less its
///   neuron-steps, since the converted networks' dense layers of individual weights
///   (cypress maps them to `DENSE_INDIVIDUALG`) sit between the two: 1.37 ± 0.81 ns.
pub fn genn_cpu_time_model() -> RunTimeModel {
    let src = "hbp-unibi/SNABSuite@8202f41 config_energy/genn_energy.json, util";
    let neuron_steps = |n: f64, steps: f64| n * steps;
    let per_ns = ryzen::NON_SPIKING.0 * 1e-3 / neuron_steps(5e4, 6e4);
    let per_ns_sd = ryzen::NON_SPIKING.1 * 1e-3 / neuron_steps(5e4, 6e4);
    let base = |n: f64, steps: f64| per_ns * neuron_steps(n, steps);
    let spike = (ryzen::FULL_SPIKING.0 * 1e-3 - base(5e4, 3e4)) / 2.5e8;
    let spike_sd = ryzen::FULL_SPIKING.1 * 1e-3 / 2.5e8;
    let s2a_events = 5e4 * 5e4;
    let s2a = (ryzen::INTER_S2A.0 * 1e-3 - base(5e4, 5e4)) / s2a_events;
    let random_events = 166_700.0 * 25_000.0;
    let random = (ryzen::INTER_RANDOM.0 * 1e-3 - base(50_100.0, 1e4)) / random_events;
    RunTimeModel::new(
        "GeNN on a Ryzen 2600X",
        "wall time of GeNN's CPU step loop (no code generation, compilation or initialisation)",
        "derived from SNABSuite's calibration runs of 5·10⁴ neurons at dt 1 ms; per-step overhead is folded into \
         the per-neuron cost",
    )
    .with(
        TimeTerm::NeuronStep,
        Coefficient::new(per_ns, per_ns_sd, format!("{src}.non_spiking_non_rec: 3742 ms / (5e4 neurons × 6e4 steps)")),
    )
    .with(
        TimeTerm::Spike,
        Coefficient::new(
            spike.max(0.0),
            spike_sd,
            format!("{src}.full_spiking_non_rec less its neuron-steps, / 2.5e8 spikes"),
        ),
    )
    .with(
        TimeTerm::SynapticEvent,
        Coefficient::mixture(
            &[(s2a, ryzen::INTER_S2A.1 * 1e-3 / s2a_events), (random, ryzen::INTER_RANDOM.1 * 1e-3 / random_events)],
            format!(
                "{src}.inter_s2A (dense rows) and .inter_random (individual targets), each less its neuron-steps; \
                 equal-weight mixture"
            ),
        ),
    )
}

/// This crate's platforms: `reference` (the NEST row: f64, adaptive integration, dt 1 ms as
/// SNABSuite ran NEST), `reference-01ms` (dt 0.1 ms), `fast` (the GeNN-CPU row: f32, dt 1
/// ms, held-conductance step), `fast-genn` (GeNN's own held-current step) and `fast-01ms`.
pub fn platforms() -> Vec<Platform> {
    let (lif, digital) = paper_digital();
    let reference = |name: &'static str, dt: f64, what: &str| {
        Platform::new(name, what, Family::Reference, lif, digital, move |s: &DeploymentSettings| {
            s.require_default(name)?;
            let b: Box<dyn DynBackend> =
                Box::new(Reference::new(dt).map_err(|e| BackendError::Internal { what: e.to_string() })?);
            Ok(b)
        })
        .with_sweep(&DIGITAL_SWEEP_US)
        .with_hil(Some(hil_on_presentation(digital)), None)
        .with_paper_deployments(nest_deployments())
    };
    let fast = |name: &'static str, dt: f64, step: CondExpStep, what: &str| {
        Platform::new(name, what, Family::Digital, lif, digital, move |s: &DeploymentSettings| {
            s.require_default(name)?;
            let f = Fast::new(dt).map_err(|e| BackendError::Internal { what: e.to_string() })?;
            let b: Box<dyn DynBackend> = Box::new(f.with_cond_exp_step(step));
            Ok(b)
        })
        .with_sweep(&DIGITAL_SWEEP_US)
        .with_hil(Some(hil_on_presentation(digital)), None)
        .with_energy(vec![profiles::genn_cpu_ryzen2600x()])
        .with_timing(Timing::Modelled(genn_cpu_time_model()))
        .with_paper_deployments(snabsuite_genn_deployments())
    };
    vec![
        reference(
            "reference",
            1.0,
            "NEST-like simulator: f64, adaptive Dormand–Prince, dt 1 ms (SNABSuite's NEST step)",
        ),
        reference("reference-01ms", 0.1, "NEST-like simulator at dt 0.1 ms"),
        fast(
            "fast",
            1.0,
            CondExpStep::HeldConductance,
            "GeNN-like CPU simulator: f32, dt 1 ms, held-conductance step",
        ),
        fast(
            "fast-genn",
            1.0,
            CondExpStep::GennHeldCurrent,
            "the GeNN-like simulator with GeNN's held-current step",
        ),
        fast("fast-01ms", 0.1, CondExpStep::HeldConductance, "the GeNN-like simulator at dt 0.1 ms"),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use spikeport_energy::TimeInput;

    #[test]
    fn the_genn_cpu_time_model_reproduces_its_calibration_runs() {
        let m = genn_cpu_time_model();
        let c = |t| m.coefficients[&t].value;
        assert!((c(TimeTerm::NeuronStep) - 1.2474e-9).abs() < 1e-12, "{}", c(TimeTerm::NeuronStep));
        assert!((c(TimeTerm::Spike) - 4.56e-10).abs() < 1e-12, "{}", c(TimeTerm::Spike));
        assert!((c(TimeTerm::SynapticEvent) - 1.375e-9).abs() < 2e-12, "{}", c(TimeTerm::SynapticEvent));
        // the idle run it came from: 3.742 s
        let idle = TimeInput { steps: 6e4, neurons: 5e4, spikes: 0.0, synaptic_events: 0.0 };
        assert!((m.estimate(&idle).expect("t").0 - 3.7423).abs() < 1e-3);
    }

    #[test]
    fn every_platform_builds_and_refuses_settings_it_lacks() {
        for p in platforms() {
            assert!(p.backend().is_ok(), "{}", p.name);
            let s = DeploymentSettings { neurons_per_core: Some(200), ..DeploymentSettings::default() };
            assert!(matches!(p.backend_for(&s), Err(BackendError::Unsupported { .. })), "{}", p.name);
            assert_eq!(p.paper_deployments.len(), 5);
        }
    }
}
