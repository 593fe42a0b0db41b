//! The platforms of this crate for applications ([`platforms`]): a SpiNN-5 board (48
//! chips, the paper's large system) and a SpiNN-3 board (4 chips), with SNABSuite's
//! deployment of each of the paper's networks (images per copy, neurons per core,
//! time-scale factor) and the SNABSuite energy profiles, priced on the modelled run time
//! (biological time of the run × time-scale factor).

use spikeport_energy::{profiles, Profile};
use spikeport_platform::paper_digital;
use spikeport_platform::{
    hil_on_presentation, snabsuite_deployment, DeploymentSettings, Family, PaperDeployment, Platform, Timing,
    DIGITAL_SWEEP_US,
};
use spikeport_snn::{BackendError, DynBackend};

use crate::machine::{Board, SpinnakerConfig};
use crate::Spinnaker;

/// SNABSuite's SpiNNaker runs at the `bench_index` of `board` (3 for a SpiNN-5, the large
/// system; 2 for a SpiNN-3, the small one): images per copy, and for NAStop and Diehl the
/// neurons per core and time-scale factor of `config/MnistNAStop.json` / `MnistDiehl.json`.
pub fn snabsuite_deployments(board: Board) -> Vec<PaperDeployment> {
    let d = DeploymentSettings::default();
    let npc = |n| DeploymentSettings { neurons_per_core: Some(n), time_scale_factor: None };
    let npc_tsf = |n, t| DeploymentSettings { neurons_per_core: Some(n), time_scale_factor: Some(t) };
    match board {
        Board::Spinn3 => vec![
            snabsuite_deployment("spikey-net", "MnistSpikey.json", 480, d),
            snabsuite_deployment("nas63", "MnistNAS63.json", 670, d),
            snabsuite_deployment("nas129", "MnistNAS129.json", 834, d),
            snabsuite_deployment("nastop", "MnistNAStop.json", 1670, npc(200)),
            snabsuite_deployment("diehl", "MnistDiehl.json", 2500, npc_tsf(200, 2.0)),
        ],
        _ => vec![
            snabsuite_deployment("spikey-net", "MnistSpikey.json", 42, d),
            snabsuite_deployment("nas63", "MnistNAS63.json", 56, d),
            snabsuite_deployment("nas129", "MnistNAS129.json", 70, d),
            snabsuite_deployment("nastop", "MnistNAStop.json", 150, npc(200)),
            snabsuite_deployment("diehl", "MnistDiehl.json", 190, npc_tsf(200, 1.0)),
        ],
    }
}

fn platform(name: &'static str, board: Board, energy: Profile, what: &str) -> Platform {
    let (lif, digital) = paper_digital();
    Platform::new(name, what, Family::Digital, lif, digital, move |s: &DeploymentSettings| {
        let mut cfg = match board {
            Board::Spinn3 => SpinnakerConfig::spinn3(),
            _ => SpinnakerConfig::spinn5(),
        };
        if let Some(n) = s.neurons_per_core {
            cfg = cfg.with_neurons_per_core(n);
        }
        if let Some(t) = s.time_scale_factor {
            cfg = cfg.with_time_scale_factor(t);
        }
        let b: Box<dyn DynBackend> =
            Box::new(Spinnaker::new(cfg).map_err(|e| BackendError::invalid_input(e.to_string()))?);
        Ok(b)
    })
    .with_sweep(&DIGITAL_SWEEP_US)
    .with_hil(Some(hil_on_presentation(digital)), None)
    .with_energy(vec![energy])
    .with_timing(Timing::Hardware)
    .with_paper_deployments(snabsuite_deployments(board))
}

/// This crate's platforms: `spinnaker` (one SpiNN-5 board) and `spinnaker-spinn3` (one
/// SpiNN-3 board).
pub fn platforms() -> Vec<Platform> {
    vec![
        platform(
            "spinnaker",
            Board::Spinn5,
            profiles::spinn5(),
            "fixed-point sPyNNaker model on one SpiNN-5 board",
        ),
        platform(
            "spinnaker-spinn3",
            Board::Spinn3,
            profiles::spinn3(),
            "fixed-point sPyNNaker model on one SpiNN-3 board",
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_paper_settings_build_the_backend_they_name() {
        let p = &platforms()[0];
        let diehl = p.paper_deployment("diehl").expect("diehl");
        assert_eq!(diehl.settings.neurons_per_core, Some(200));
        let b = p.backend_for(&diehl.settings).expect("backend");
        assert_eq!(b.platform().speedup, Some(1.0));
        let slow = DeploymentSettings { time_scale_factor: Some(2.0), ..diehl.settings };
        assert_eq!(p.backend_for(&slow).expect("backend").platform().speedup, Some(0.5));
        let bad = DeploymentSettings { neurons_per_core: Some(0), ..diehl.settings };
        assert!(p.backend_for(&bad).is_err());
    }
}
