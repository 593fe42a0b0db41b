//! The conformance suite of `spikeport-conformance` on the analog platform models.
//!
//! | module | backend | dt |
//! |---|---|---|
//! | `spikey` | `Analog::with_parts(Profile::spikey(), …)` | 0.1 ms |
//! | `brainscales` | `Analog::with_parts(Profile::brainscales(), …)` | 0.1 ms |
//!
//! Bodies that need exact behaviour ask for the chip without noise (`Mode::Noiseless`) or
//! without noise and mismatch (`Mode::Ideal`); the others run the calibrated chip with
//! the default noise. The tolerances are measured (`cargo test -p spikeport-analog --test
//! conformance -- --nocapture` prints every measured deviation next to its tolerance) and
//! set a little above the measurement.

#![allow(clippy::unwrap_used)]

use spikeport_analog::{Analog, Mismatch, Noise, Profile, Variability};
use spikeport_conformance::{Constraints, Difference, Feature, Fixture, Mode, Tolerances};
use spikeport_snn::{DynBackend, ModelKind};

/// The variability a body's mode asks for: the calibrated chip with the default noise,
/// without noise, or ideal.
fn variability(mode: Mode) -> Variability {
    match mode {
        Mode::AsConfigured => Variability::calibrated(),
        Mode::Noiseless => Variability { mismatch: Mismatch::calibrated(), noise: Noise::none() },
        Mode::Ideal => Variability::ideal(),
    }
}

/// What both analog platforms declare.
fn analog(name: &str, profile: fn() -> Profile, tolerances: Tolerances) -> Fixture {
    Fixture::new(name, 0.1, move |mode| {
        Box::new(Analog::with_parts(profile(), variability(mode)).unwrap()) as Box<dyn DynBackend>
    })
    .with_tolerances(tolerances)
    .unsupported(Feature::MembraneTraces, "the model offers no membrane readout (only spike times)")
    .unsupported(
        Feature::ContinuousBoundary,
        "every image is emulated from rest: the hardware is reset between runs of an image",
    )
    .unsupported(
        Feature::Model(ModelKind::IfCurrExp),
        "the analog neurons have conductance-based synapses (IF_cond_exp only)",
    )
    .unsupported(
        Feature::Model(ModelKind::IfCurrDeltaSub),
        "the analog neurons have conductance-based synapses (IF_cond_exp only)",
    )
    .by_design(Difference::TrialNoise, "membrane noise and synaptic drive jitter drawn per run and image")
    .by_design(
        Difference::Mismatch,
        "fixed-pattern mismatch of neuron parameters and synapse gains per seed and copy",
    )
    .by_design(Difference::WeightQuantisation, "4-bit weights")
}

fn spikey() -> Fixture {
    analog(
        "Spikey",
        Profile::spikey,
        // measured: the driven neuron's 155 spikes over 1 s on the stamps of the
        // high-precision solution (the chip's f64 held-conductance step at 0.1 ms); the
        // trace tolerances go unused (no membrane traces)
        Tolerances::EXACT,
    )
    .with_constraints(Constraints { max_weight_us: Some(0.015), one_sign_per_population: true })
}

fn brainscales() -> Fixture {
    analog(
        "BrainScaleS",
        Profile::brainscales,
        // measured: the driven neuron's 155 spikes over 1 s on the stamps of the
        // high-precision solution (the chip's f64 held-conductance step at 0.1 ms); the
        // trace tolerances go unused (no membrane traces)
        Tolerances::EXACT,
    )
}

mod spikey {
    spikeport_conformance::conformance_suite!(super::spikey());
}
mod brainscales {
    spikeport_conformance::conformance_suite!(super::brainscales());
}
