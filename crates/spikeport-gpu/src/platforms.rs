//! The platform of this crate for applications ([`platforms`]): `gpu`, the paper's GeNN-GPU
//! row — `Fast`'s semantics on the best Vulkan adapter here, priced with the SNABSuite energy
//! model of GeNN on the paper's RTX 2070 *on a modelled run time of that GPU*
//! ([`genn_gpu_time_model`]), and holding as many network copies as the RTX 2070's 8 GiB of
//! device memory keeps in GeNN's layout.

use spikeport_energy::{profiles, Coefficient, RunTimeModel, TimeTerm};
use spikeport_platform::paper_digital;
use spikeport_platform::{
    hil_on_presentation, snabsuite_genn_deployments, Capacity, DeploymentSettings, Family, Platform, Timing,
    DIGITAL_SWEEP_US,
};
use spikeport_snn::{BackendError, DynBackend};

use crate::{Gpu, GpuError};

/// Device memory of the paper's GPU, an NVIDIA RTX 2070 (8 GiB GDDR6), bytes.
pub const RTX2070_MEMORY_BYTES: usize = 8 << 30;

/// Run times of GeNN's CUDA backend (SNABSuite's calibration runs of `genn_gpu_energy.json`,
/// RTX 2070, dt 1 ms; `util.<benchmark>.runtime_avg` in ms).
mod rtx2070 {
    /// 100,000 idle neurons, 400,000 steps: 1,912.0 ± 42.1 ms.
    pub const NON_SPIKING: (f64, f64) = (1911.9654102499996, 42.076440936706206);
    /// 100,000 neurons, 100,000 steps, 9,091 spikes to all 100,000 targets (9.09·10⁸
    /// events): 809.0 ± 13.8 ms.
    pub const INTER_S2A: (f64, f64) = (808.98228215, 13.775081504024655);
    /// 25,500 neurons, 50,000 steps, 2,273,000 spikes to 12,500 random targets each
    /// (2.84·10¹⁰ events): 1,108.4 ± 10.4 ms.
    pub const INTER_RANDOM: (f64, f64) = (1108.3942516, 10.427618791668158);
}

/// A modelled run time of GeNN on the paper's RTX 2070, from SNABSuite's calibration runs
/// (`hbp-unibi/SNABSuite@8202f41 config_energy/genn_gpu_energy.json`, `util.*.runtime_avg`):
///
/// * per time step: the idle run of 10⁵ neurons, 1,912 ms ÷ 4·10⁵ steps = 4.78 µs — a
///   launch and synchronisation cost that the fully spiking run (1.29·10⁹ spikes, 1,910 ms)
///   shows does not grow with spikes; the runs do not separate a per-neuron cost, so the
///   model holds for up to about 10⁵ neurons per step;
/// * per synaptic event: an equal-weight mixture of the one-to-all run (dense rows,
///   0.36 ns) and the random-connectivity run (individual targets, 0.031 ns), each less its
///   steps: 0.20 ± 0.17 ns.
pub fn genn_gpu_time_model() -> RunTimeModel {
    let src = "hbp-unibi/SNABSuite@8202f41 config_energy/genn_gpu_energy.json, util";
    let step = rtx2070::NON_SPIKING.0 * 1e-3 / 4e5;
    let step_sd = rtx2070::NON_SPIKING.1 * 1e-3 / 4e5;
    let s2a_events = 9091.0 * 1e5;
    let s2a = (rtx2070::INTER_S2A.0 * 1e-3 - step * 1e5) / s2a_events;
    let random_events = 2_273_000.0 * 12_500.0;
    let random = (rtx2070::INTER_RANDOM.0 * 1e-3 - step * 5e4) / random_events;
    RunTimeModel::new(
        "GeNN on an RTX 2070",
        "wall time of GeNN's CUDA step loop (no code generation, compilation or initialisation)",
        "derived from SNABSuite's calibration runs of 2.5·10⁴–10⁵ neurons at dt 1 ms; the per-step cost holds up to \
         about 10⁵ neurons per step",
    )
    .with(TimeTerm::Step, Coefficient::new(step, step_sd, format!("{src}.non_spiking_non_rec: 1912 ms / 4e5 steps")))
    .with(
        TimeTerm::SynapticEvent,
        Coefficient::mixture(
            &[
                (s2a, rtx2070::INTER_S2A.1 * 1e-3 / s2a_events),
                (random, rtx2070::INTER_RANDOM.1 * 1e-3 / random_events),
            ],
            format!(
                "{src}.inter_s2A (dense rows) and .inter_random (individual targets), each less its steps; \
                 equal-weight mixture"
            ),
        ),
    )
}

/// This crate's platform: `gpu`. Building its backend fails with the reason where no Vulkan
/// adapter exists.
pub fn platforms() -> Vec<Platform> {
    let (lif, digital) = paper_digital();
    vec![Platform::new(
        "gpu",
        "GeNN-like simulator as WGSL kernels on the best Vulkan adapter (Fast's semantics)",
        Family::Digital,
        lif,
        digital,
        |s: &DeploymentSettings| {
            s.require_default("gpu")?;
            let b: Box<dyn DynBackend> = Box::new(Gpu::new(1.0).map_err(|e: GpuError| match e {
                GpuError::Backend(b) => b,
                other => BackendError::unsupported("gpu", format!("running here: {other}")),
            })?);
            Ok(b)
        },
    )
    .with_sweep(&DIGITAL_SWEEP_US)
    .with_hil(Some(hil_on_presentation(digital)), None)
    .with_energy(vec![profiles::genn_gpu_rtx2070()])
    .with_timing(Timing::Modelled(genn_gpu_time_model()))
    .with_capacity(Capacity::Memory {
        bytes: RTX2070_MEMORY_BYTES,
        what: "device memory of the paper's RTX 2070 (8 GiB) in GeNN's layout".into(),
    })
    .with_paper_deployments(snabsuite_genn_deployments())]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_genn_gpu_time_model_reproduces_its_calibration_runs() {
        let m = genn_gpu_time_model();
        let c = |t| m.coefficients[&t].value;
        assert!((c(TimeTerm::Step) - 4.78e-6).abs() < 1e-8, "{}", c(TimeTerm::Step));
        assert!((c(TimeTerm::SynapticEvent) - 1.97e-10).abs() < 2e-12, "{}", c(TimeTerm::SynapticEvent));
    }
}
