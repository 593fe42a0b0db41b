//! The platforms by name: every backend crate's `platforms()`, in the order of the paper's
//! table rows. The application registers platforms; it knows nothing else about them.
//!
//! ```
//! use spikeport_app::registry::{platform, PLATFORMS};
//!
//! let p = platform("spinnaker")?;
//! assert_eq!(p.energy[0].name, "SpiNN-5");
//! assert!(PLATFORMS.contains(&"spikey"));
//! // an unknown name suggests the closest known one
//! let err = platform("spinaker").err().map(|e| e.to_string());
//! assert!(err.is_some_and(|e| e.contains("did you mean `spinnaker`")));
//! # Ok::<(), spikeport_app::experiment::ExperimentError>(())
//! ```

pub use spikeport_platform::{
    Capacity, DeploymentSettings, Family, HilPresentation, HilSetting, PaperDeployment, Platform, Timing,
    ANALOG_SWEEP_US, DIGITAL_SWEEP_US,
};

use spikeport_bench::Copies;

use crate::experiment::{unknown, ExperimentError};

/// Every platform name [`platform`] accepts, in the order of the paper's table rows.
///
/// * `reference`: the NEST-like simulator (f64, adaptive Dormand–Prince) at dt 1 ms, the step
///   SNABSuite ran NEST with; `reference-01ms` at dt 0.1 ms.
/// * `fast`: the GeNN-like CPU simulator (f32, dt 1 ms, held-conductance step); `fast-genn`
///   with GeNN's own held-current step; `fast-01ms` at dt 0.1 ms.
/// * `gpu`: `fast`'s semantics as WGSL kernels on the best Vulkan adapter (feature `gpu`).
/// * `spinnaker`: the fixed-point sPyNNaker model on one SpiNN-5 board; `spinnaker-spinn3` on
///   a SpiNN-3 board.
/// * `brainscales`, `spikey`: the analog models (calibrated mismatch, default noise) in their
///   own paper settings.
pub const PLATFORMS: [&str; 10] = [
    "reference",
    "reference-01ms",
    "fast",
    "fast-genn",
    "fast-01ms",
    "gpu",
    "spinnaker",
    "spinnaker-spinn3",
    "brainscales",
    "spikey",
];

/// Every platform built into this binary, in the order of [`PLATFORMS`] (without `gpu`
/// unless built with the `gpu` feature).
pub fn platforms() -> Vec<Platform> {
    let mut all = spikeport_cpu::platforms();
    #[cfg(feature = "gpu")]
    all.extend(spikeport_gpu::platforms());
    all.extend(spikeport_spinnaker::platforms());
    all.extend(spikeport_analog::platforms());
    all
}

/// The platform called `name` (one of [`PLATFORMS`]).
///
/// **Errors** with [`ExperimentError::Unknown`] (naming the closest known platform) for an
/// unknown name, and [`ExperimentError::NotBuilt`] for `gpu` in a build without the `gpu`
/// feature.
pub fn platform(name: &str) -> Result<Platform, ExperimentError> {
    match platforms().into_iter().find(|p| p.name == name) {
        Some(p) => Ok(p),
        None if PLATFORMS.contains(&name) => {
            Err(ExperimentError::NotBuilt { platform: name.to_string(), feature: "gpu" })
        }
        None => Err(unknown("platform", name, &PLATFORMS)),
    }
}

/// How a cell of `platform` runs zoo network `network` by default: SNABSuite's deployment
/// where the paper ran it (images per copy, and on SpiNNaker the neurons per core and
/// time-scale factor); otherwise one copy at a time on the analog chips (as SNABSuite ran
/// them) and as many copies as fit everywhere else.
pub fn deployment_for(platform: &Platform, network: &str) -> (Copies, DeploymentSettings) {
    match platform.paper_deployment(network) {
        Some(d) => (Copies::ImagesPerCopy(d.images_per_copy), d.settings),
        None if platform.family == Family::Analog => (Copies::One, DeploymentSettings::default()),
        None => (Copies::Max, DeploymentSettings::default()),
    }
}

/// The family of the platform called `name`, if it is one of [`PLATFORMS`].
pub fn family_of(name: &str) -> Option<Family> {
    match name {
        "reference" | "reference-01ms" => Some(Family::Reference),
        "spikey" | "brainscales" => Some(Family::Analog),
        n if PLATFORMS.contains(&n) => Some(Family::Digital),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_registry_lists_every_platform_once_in_the_table_order() {
        let names: Vec<String> = platforms().into_iter().map(|p| p.name).collect();
        let expected: Vec<&str> =
            PLATFORMS.iter().copied().filter(|&n| cfg!(feature = "gpu") || n != "gpu").collect();
        assert_eq!(names, expected);
        for p in platforms() {
            assert_eq!(family_of(&p.name), Some(p.family), "{}", p.name);
            assert_eq!(p.energy.is_empty(), p.family == Family::Reference, "{}", p.name);
            assert!(!p.sweep_us.is_empty(), "{}", p.name);
        }
        let e = platform("gpu-x").expect_err("unknown");
        assert!(matches!(e, ExperimentError::Unknown { what: "platform", .. }), "{e}");
    }
}
