//! The platforms of this crate for applications ([`platforms`]): Spikey and BrainScaleS-1
//! with calibrated mismatch and the default noise, each in its own paper setting (neuron,
//! presentation), with its hardware-in-the-loop settings and energy profile, priced on the
//! emulated time (biological time ÷ 10⁴).

use spikeport_energy::profiles;
use spikeport_hil::{spikey_training_encoder, HilConfig};
use spikeport_platform::{
    snabsuite_deployment, DeploymentSettings, Family, HilSetting, Platform, Timing, ANALOG_SWEEP_US,
};
use spikeport_snn::{BackendError, DynBackend};

use crate::backend::Platform as Chip;
use crate::Variability;

fn build(
    name: &'static str,
    chip: Chip,
) -> impl Fn(&DeploymentSettings) -> Result<Box<dyn DynBackend>, BackendError> {
    move |s: &DeploymentSettings| {
        s.require_default(name)?;
        let b: Box<dyn DynBackend> = Box::new(
            chip.backend(Variability::calibrated())
                .map_err(|e| BackendError::invalid_input(e.to_string()))?,
        );
        Ok(b)
    }
}

/// This crate's platforms: `spikey` and `brainscales`.
///
/// SNABSuite ran Spikey-net on both without parallel copies (`batch_parallel: false`:
/// Spikey four runs of 2,500 images, BrainScaleS one of 10,000), one copy at a time.
pub fn platforms() -> Vec<Platform> {
    let neuron = |c: Chip| match c.paper_neuron().into_model() {
        Ok(m) => m,
        Err(_) => unreachable!("the paper's analog neurons are valid (tested)"),
    };
    // spikeport's default: train with the test presentation, normalised at its rate
    let spikey_test = {
        let encoder = Chip::Spikey.paper_encoder();
        HilSetting::new(
            encoder,
            HilConfig { norm_rate_hz: encoder.max_freq_hz(), ..HilConfig::paper_spikey() },
        )
    };
    // SNABSuite's ITL (MnistITL.json at the paper's commit): its exact algorithm, trained and
    // tested with 180 ms at 70 Hz
    let spikey_paper =
        HilSetting::tested_as_trained(spikey_training_encoder(), HilConfig::snabsuite_spikey());
    let bss_test = HilSetting::new(Chip::BrainScaleS.paper_encoder(), HilConfig::paper_brainscales());
    let bss_paper =
        HilSetting::tested_as_trained(Chip::BrainScaleS.paper_encoder(), HilConfig::snabsuite_brainscales());
    let one = DeploymentSettings::default();
    vec![
        Platform::new(
            "brainscales",
            "BrainScaleS-1 wafer model: 4-bit weights, calibrated mismatch, noise, speed-up 1e4",
            Family::Analog,
            neuron(Chip::BrainScaleS),
            Chip::BrainScaleS.paper_encoder(),
            build("brainscales", Chip::BrainScaleS),
        )
        .with_sweep(&ANALOG_SWEEP_US)
        .with_hil(Some(bss_test), Some(bss_paper))
        .with_energy(vec![profiles::brainscales1()])
        .with_timing(Timing::Hardware)
        .with_paper_deployments(vec![snabsuite_deployment("spikey-net", "MnistSpikey.json", 10_000, one)]),
        Platform::new(
            "spikey",
            "Spikey chip model: 2 blocks of 192 neurons, 4-bit weights, calibrated mismatch, noise, speed-up 1e4",
            Family::Analog,
            neuron(Chip::Spikey),
            Chip::Spikey.paper_encoder(),
            build("spikey", Chip::Spikey),
        )
        .with_sweep(&ANALOG_SWEEP_US)
        .with_hil(Some(spikey_test), Some(spikey_paper))
        .with_energy(vec![profiles::spikey()])
        .with_timing(Timing::Hardware)
        .with_paper_deployments(vec![snabsuite_deployment("spikey-net", "MnistSpikey.json", 10_000, one)]),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use spikeport_platform::HilPresentation;

    #[test]
    fn spikey_trains_in_the_loop_on_its_test_presentation_unless_told_otherwise() {
        let all = platforms();
        let spikey = all.iter().find(|p| p.name == "spikey").expect("spikey");
        let test = spikey.hil(HilPresentation::default()).expect("test setting");
        assert_eq!(test.encoder, crate::spikey_encoder());
        assert_eq!((test.encoder.duration_ms(), test.encoder.max_freq_hz()), (300.0, 50.0));
        assert_eq!(test.config.norm_rate_hz, 50.0, "an input's activation is its pixel value");
        assert_eq!((test.config.batch_size, test.config.lr), (100, 0.02));
        assert_eq!(test.test_encoder, None);
        assert_eq!(spikey.hil_test_encoder(HilPresentation::Test), crate::spikey_encoder());
        // the paper's: SNABSuite's ITL, trained and tested with 180 ms at 70 Hz, 50 ms pause
        let paper = spikey.hil(HilPresentation::Paper).expect("paper setting");
        let e = paper.encoder;
        assert_eq!((e.duration_ms(), e.max_freq_hz(), e.pause_ms()), (180.0, 70.0, 50.0));
        assert_eq!(paper.config, HilConfig::snabsuite_spikey());
        assert_eq!(spikey.hil_test_encoder(HilPresentation::Paper), e);
        let bss = all.iter().find(|p| p.name == "brainscales").expect("brainscales");
        for (p, config) in [
            (HilPresentation::Test, HilConfig::paper_brainscales()),
            (HilPresentation::Paper, HilConfig::snabsuite_brainscales()),
        ] {
            let s = bss.hil(p).expect("setting");
            assert_eq!(s.encoder, crate::brainscales_encoder());
            assert_eq!(bss.hil_test_encoder(p), crate::brainscales_encoder());
            assert_eq!(s.config, config);
        }
        for p in &all {
            assert!(p.backend().is_ok(), "{}", p.name);
        }
    }
}
