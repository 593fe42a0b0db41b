//! # spikeport-platform — what a platform is
//!
//! A [`Platform`] is one value that holds everything spikeport knows about running a
//! converted network on one platform of the paper's table (Ostrau et al. 2020): how to
//! build its backend (with the deployment settings the paper used, e.g. SpiNNaker's neurons
//! per core and time-scale factor), the neuron model and input presentation of its paper
//! setting, the weight-scale sweep grid, its hardware-in-the-loop setting, its energy
//! profiles, which clock its energy is priced on ([`Timing`]), how many network copies it
//! holds side by side ([`Capacity`]), and SNABSuite's deployment of each of the paper's
//! networks on it ([`PaperDeployment`]).
//!
//! Each backend crate defines its own platforms (`spikeport_cpu::platforms()`,
//! `spikeport_spinnaker::platforms()`, …); an application only registers them. Adding a
//! platform touches one crate.
//!
//! ```
//! use spikeport_platform::{Capacity, Family, Platform, Timing};
//! use spikeport_snn::{Encoder, IfCondExpParams, PlatformInfo};
//!
//! let p = Platform::new(
//!     "toy",
//!     "a platform without limits",
//!     Family::Digital,
//!     IfCondExpParams::paper_digital().into_model()?,
//!     Encoder::paper_digital(),
//!     |_| Err(spikeport_snn::BackendError::unsupported("toy", "running")),
//! )
//! .with_timing(Timing::Hardware);
//! let mut info = PlatformInfo::new("toy", 1.0);
//! info.speedup = Some(1e4);
//! assert_eq!(p.timing.hardware_time_s(&info, 550.0), Some(550e-3 / 1e4));
//! assert!(matches!(p.capacity, Capacity::Backend));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use spikeport_energy::{Profile, RunTimeModel};
use spikeport_hil::HilConfig;
use spikeport_snn::{
    BackendError, CopyFit, DynBackend, Encoder, IfCondExpParams, ImageBoundary, MappingReport, NeuronModel,
    PlatformInfo, SnnNetwork,
};

/// How an application treats a platform.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Family {
    /// The accurate (slow) reference simulator (the paper's NEST row): reuses the weight
    /// scale swept on a faster platform.
    Reference,
    /// A digital simulator or digital hardware model.
    Digital,
    /// An analog model (Spikey, BrainScaleS): its own neuron and presentation, trained in the
    /// loop.
    Analog,
}

/// Which clock a platform's run time (and so its energy) is on.
#[derive(Clone, Debug, PartialEq)]
pub enum Timing {
    /// A software simulator on this host: the time is the host's measured wall time, and
    /// only this host's energy can be put on it.
    Host,
    /// Hardware whose time the backend models from the biological time of the run
    /// ([`PlatformInfo::speedup`]): SpiNNaker real time × time-scale factor, the analog
    /// systems' 10⁴ speed-up.
    Hardware,
    /// A machine spikeport models but does not run (GeNN on the paper's CPU or GPU): its
    /// run time comes from a model of that machine, so that its power is multiplied by its
    /// own time.
    Modelled(RunTimeModel),
}

impl Timing {
    /// Hardware time, s, of a run spanning `run_bio_ms` of biological time on a backend
    /// with facts `info`, for [`Timing::Hardware`]; `None` for [`Timing::Host`] (measured)
    /// and [`Timing::Modelled`] (needs the run's activity).
    pub fn hardware_time_s(&self, info: &PlatformInfo, run_bio_ms: f64) -> Option<f64> {
        match self {
            Timing::Hardware => info.hardware_time_s(run_bio_ms),
            Timing::Host | Timing::Modelled(_) => None,
        }
    }

    /// One line for reports: whose clock.
    pub fn describe(&self) -> String {
        match self {
            Timing::Host => "this host's measured wall time".into(),
            Timing::Hardware => {
                "the platform's modelled hardware time (biological time of the run ÷ speed-up)".into()
            }
            Timing::Modelled(m) => format!("modelled run time of {} ({})", m.name, m.validity),
        }
    }
}

/// How many network copies a platform holds side by side.
#[derive(Clone, Debug, PartialEq)]
pub enum Capacity {
    /// The backend's own resources ([`DynBackend::fit_copies`]): cores, blocks, HICANNs.
    Backend,
    /// A machine's memory holding a copy's state and weights as GeNN stores them
    /// ([`genn_bytes_per_copy`]).
    Memory {
        /// Bytes available.
        bytes: usize,
        /// What the memory is, e.g. `"device memory of an RTX 2070 (8 GiB)"`.
        what: String,
    },
}

/// Bytes one copy of `net` takes in GeNN: every projection a dense matrix of 4-byte
/// individual weights per receptor it uses (SNABSuite's cypress maps list connections to
/// `DENSE_INDIVIDUALG`, one synapse group per sign), and 32 bytes of state per neuron
/// (membrane, two conductances, refractory counter, spike buffers).
pub fn genn_bytes_per_copy(net: &SnnNetwork) -> usize {
    let weights: usize = net
        .projections()
        .iter()
        .map(|p| {
            let exc = p.weights.iter().any(|&w| w > 0.0);
            let inh = p.weights.iter().any(|&w| w < 0.0);
            (usize::from(exc) + usize::from(inh)).max(1) * p.weights.len() * 4
        })
        .sum();
    weights + net.n_neurons() * 32
}

/// Which input presentation hardware-in-the-loop training uses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HilPresentation {
    /// The presentation the platform is tested with (spikeport's default).
    #[default]
    Test,
    /// The paper's training setting (SNABSuite's `MnistITL.json` and its exact algorithm;
    /// Spikey: 180 ms at 70 Hz), which also tests with its training presentation
    /// ([`HilSetting::test_encoder`]).
    Paper,
}

impl fmt::Display for HilPresentation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            HilPresentation::Test => "test",
            HilPresentation::Paper => "paper",
        })
    }
}

/// A hardware-in-the-loop setting: the presentation to train with, the one to test the
/// trained network with, and the trainer's settings.
#[derive(Clone, Debug, PartialEq)]
pub struct HilSetting {
    /// Input encoding of the training runs.
    pub encoder: Encoder,
    /// Input encoding to test with before and after training; `None`: the platform's test
    /// presentation ([`Platform::encoder`]). SNABSuite's ITL tests with its training
    /// presentation (`MnistITL.json` has one `duration` / `max_freq` / `pause` for both), so
    /// the paper settings set it to [`HilSetting::encoder`].
    pub test_encoder: Option<Encoder>,
    /// The trainer's settings.
    pub config: HilConfig,
}

impl HilSetting {
    /// A setting that trains with `encoder` and `config` and tests with the platform's test
    /// presentation.
    pub fn new(encoder: Encoder, config: HilConfig) -> Self {
        Self { encoder, test_encoder: None, config }
    }

    /// A setting that trains and tests with `encoder`, as SNABSuite's ITL does.
    pub fn tested_as_trained(encoder: Encoder, config: HilConfig) -> Self {
        Self { encoder, test_encoder: Some(encoder), config }
    }

    /// The presentation to test with on a platform whose test presentation is
    /// `platform_encoder`.
    pub fn test_encoder_or(&self, platform_encoder: Encoder) -> Encoder {
        self.test_encoder.unwrap_or(platform_encoder)
    }
}

/// How SNABSuite deployed one of the paper's networks on a platform (its `config/Mnist*.json`
/// at the largest `bench_index`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PaperDeployment {
    /// Zoo network name, e.g. `"nas63"`.
    pub network: String,
    /// Test images each network copy runs (SNABSuite's `batchsize`): with 10,000 images,
    /// ⌈10,000 / this⌉ copies.
    pub images_per_copy: usize,
    /// Settings of the backend for this network.
    pub settings: DeploymentSettings,
    /// Where the values come from.
    pub source: String,
}

/// Settings of a platform's backend that the paper chose per network.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DeploymentSettings {
    /// SpiNNaker: limit on neurons per core (`None`: the model's maximum).
    pub neurons_per_core: Option<usize>,
    /// SpiNNaker: `time_scale_factor` (`None`: 1, real time).
    pub time_scale_factor: Option<f64>,
}

impl DeploymentSettings {
    /// Whether nothing is set.
    pub fn is_default(&self) -> bool {
        *self == Self::default()
    }

    /// For a platform without such settings: `Ok` if nothing is set.
    ///
    /// **Errors** with [`BackendError::Unsupported`] naming `platform` and the settings.
    pub fn require_default(&self, platform: &str) -> Result<(), BackendError> {
        if self.is_default() {
            Ok(())
        } else {
            Err(BackendError::unsupported(
                platform,
                format!("deployment settings {self:?} (neurons per core, time-scale factor)"),
            ))
        }
    }
}

/// The paper's digital setting, shared by the NEST, GeNN and SpiNNaker rows: the
/// `IF_cond_exp` neuron of [`IfCondExpParams::paper_digital`] and its presentation
/// ([`Encoder::paper_digital`]: 500 ms at 120 Hz, 50 ms pause) with images back to back
/// ([`ImageBoundary::Continuous`]), as SNABSuite presents them: one network copy's share of
/// the images per run, its state carried from image to image.
pub fn paper_digital() -> (NeuronModel, Encoder) {
    let lif = match IfCondExpParams::paper_digital().into_model() {
        Ok(m) => m,
        Err(_) => unreachable!("the paper's digital neuron is valid (tested in spikeport-snn)"),
    };
    (lif, Encoder::paper_digital().with_boundary(ImageBoundary::Continuous))
}

/// Candidate `max_weight` values (µS) of the weight-scale sweeps of the digital platforms.
pub const DIGITAL_SWEEP_US: [f64; 10] = [0.006, 0.007, 0.008, 0.009, 0.01, 0.012, 0.015, 0.0175, 0.02, 0.025];

/// Candidate `max_weight` values (µS) of the sweeps of the analog platforms. Spikey clips
/// anything above 0.015 µS to its top weight level, so larger values trade clipped strong
/// weights for resolution of the weak ones; BrainScaleS' per-row scales reach further.
pub const ANALOG_SWEEP_US: [f64; 7] = [0.01, 0.015, 0.02, 0.03, 0.05, 0.07, 0.1];

/// The SNABSuite commit whose `config/Mnist*.json` the paper deployments quote.
pub const SNABSUITE_CONFIG_COMMIT: &str = "8202f41";

/// SNABSuite's deployment of zoo network `network` from `config/{file}` at the largest
/// `bench_index` of the platform: `images_per_copy` test images per network copy.
pub fn snabsuite_deployment(
    network: &str,
    file: &str,
    images_per_copy: usize,
    settings: DeploymentSettings,
) -> PaperDeployment {
    PaperDeployment {
        network: network.to_string(),
        images_per_copy,
        settings,
        source: format!(
            "hbp-unibi/SNABSuite@{SNABSUITE_CONFIG_COMMIT} config/{file}: batchsize {images_per_copy}, batch_parallel"
        ),
    }
}

/// SNABSuite's GeNN runs of the paper's networks (`genn` in `config/Mnist*.json`, second
/// `bench_index`), shared by the GeNN rows (CPU and GPU): images per copy.
pub fn snabsuite_genn_deployments() -> Vec<PaperDeployment> {
    let d = DeploymentSettings::default();
    vec![
        snabsuite_deployment("spikey-net", "MnistSpikey.json", 100, d),
        snabsuite_deployment("nas63", "MnistNAS63.json", 160, d),
        snabsuite_deployment("nas129", "MnistNAS129.json", 200, d),
        snabsuite_deployment("nastop", "MnistNAStop.json", 265, d),
        snabsuite_deployment("diehl", "MnistDiehl.json", 280, d),
    ]
}

/// A hardware-in-the-loop setting for a platform that the paper did not train in the loop:
/// its own presentation `encoder`, an input's activation its pixel value (normalisation at
/// the encoder's maximum rate), and the paper's Spikey trainer otherwise (batch 100, 5
/// epochs, learning rate 0.02).
pub fn hil_on_presentation(encoder: Encoder) -> HilSetting {
    let config = HilConfig { norm_rate_hz: encoder.max_freq_hz(), ..HilConfig::paper_spikey() };
    HilSetting::new(encoder, config)
}

type Build = dyn Fn(&DeploymentSettings) -> Result<Box<dyn DynBackend>, BackendError> + Send + Sync;

/// Everything spikeport knows about one platform; see the [crate docs](crate).
#[derive(Clone)]
pub struct Platform {
    /// Registry name, e.g. `"spinnaker"`.
    pub name: String,
    /// One line on what it models.
    pub description: String,
    /// How applications treat it.
    pub family: Family,
    /// Neuron model of every converted layer under the paper's global conversion.
    pub neuron: NeuronModel,
    /// Input encoding of the paper setting (rate, duration, pause, image boundary).
    pub encoder: Encoder,
    /// Candidate `max_weight` values of the weight-scale sweep, in the unit of the neuron's
    /// synapses (µS).
    pub sweep_us: Vec<f64>,
    /// Hardware-in-the-loop setting with the test presentation, if the platform trains in
    /// the loop by default.
    pub hil_test: Option<HilSetting>,
    /// Hardware-in-the-loop setting of the paper, if it has one.
    pub hil_paper: Option<HilSetting>,
    /// Energy profiles of the platform's row, priced on [`Platform::timing`].
    pub energy: Vec<Profile>,
    /// Which clock the run time and energy are on.
    pub timing: Timing,
    /// How many network copies it holds.
    pub capacity: Capacity,
    /// SNABSuite's deployments of the paper's networks.
    pub paper_deployments: Vec<PaperDeployment>,
    build: Arc<Build>,
}

impl fmt::Debug for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Platform")
            .field("name", &self.name)
            .field("family", &self.family)
            .field("timing", &self.timing)
            .field("capacity", &self.capacity)
            .finish_non_exhaustive()
    }
}

impl Platform {
    /// A platform called `name` whose backend `build` makes from deployment settings, with
    /// the paper setting's `neuron` and `encoder`; no sweep grid, HIL setting, energy
    /// profile or paper deployment yet, [`Timing::Host`], [`Capacity::Backend`].
    pub fn new(
        name: impl Into<String>,
        description: impl Into<String>,
        family: Family,
        neuron: NeuronModel,
        encoder: Encoder,
        build: impl Fn(&DeploymentSettings) -> Result<Box<dyn DynBackend>, BackendError> + Send + Sync + 'static,
    ) -> Self {
        Self {
            name: name.into(),
            description: description.into(),
            family,
            neuron,
            encoder,
            sweep_us: Vec::new(),
            hil_test: None,
            hil_paper: None,
            energy: Vec::new(),
            timing: Timing::Host,
            capacity: Capacity::Backend,
            paper_deployments: Vec::new(),
            build: Arc::new(build),
        }
    }

    /// With a weight-scale sweep grid, µS.
    #[must_use]
    pub fn with_sweep(mut self, max_weights_us: &[f64]) -> Self {
        self.sweep_us = max_weights_us.to_vec();
        self
    }

    /// With hardware-in-the-loop settings (test presentation, paper's).
    #[must_use]
    pub fn with_hil(mut self, test: Option<HilSetting>, paper: Option<HilSetting>) -> Self {
        self.hil_test = test;
        self.hil_paper = paper;
        self
    }

    /// With energy profiles.
    #[must_use]
    pub fn with_energy(mut self, profiles: Vec<Profile>) -> Self {
        self.energy = profiles;
        self
    }

    /// With a clock.
    #[must_use]
    pub fn with_timing(mut self, timing: Timing) -> Self {
        self.timing = timing;
        self
    }

    /// With a capacity.
    #[must_use]
    pub fn with_capacity(mut self, capacity: Capacity) -> Self {
        self.capacity = capacity;
        self
    }

    /// With SNABSuite's deployments of the paper's networks.
    #[must_use]
    pub fn with_paper_deployments(mut self, deployments: Vec<PaperDeployment>) -> Self {
        self.paper_deployments = deployments;
        self
    }

    /// The backend with default settings.
    ///
    /// **Errors** as [`Platform::backend_for`].
    pub fn backend(&self) -> Result<Box<dyn DynBackend>, BackendError> {
        (self.build)(&DeploymentSettings::default())
    }

    /// The backend with `settings` (e.g. SpiNNaker's neurons per core).
    ///
    /// **Errors** with [`BackendError::Unsupported`] for a setting the platform lacks, or the
    /// backend's construction error (e.g. no GPU adapter).
    pub fn backend_for(&self, settings: &DeploymentSettings) -> Result<Box<dyn DynBackend>, BackendError> {
        (self.build)(settings)
    }

    /// Everything about the platform that shapes a result, as text, for the fingerprints of
    /// resumable results: name, neuron, presentation, sweep grid, HIL settings, energy
    /// profiles, clock, capacity, the deployment `settings` and the backend's own settings
    /// (`DynBackend::settings_text`, or why it cannot be built here).
    pub fn settings_text(&self, settings: &DeploymentSettings) -> String {
        let backend = match self.backend_for(settings) {
            Ok(b) => b.settings_text(),
            Err(e) => format!("unavailable: {e}"),
        };
        format!(
            "{} | {:?} | {:?} | {:?} | {:?} | {:?} | {:?} | {:?} | {:?} | {:?} | {backend}",
            self.name,
            self.neuron,
            self.encoder,
            self.sweep_us,
            self.hil_test,
            self.hil_paper,
            self.energy,
            self.timing,
            self.capacity,
            settings,
        )
    }

    /// SNABSuite's deployment of zoo network `network` here, if the paper ran it.
    pub fn paper_deployment(&self, network: &str) -> Option<&PaperDeployment> {
        self.paper_deployments.iter().find(|d| d.network == network)
    }

    /// The HIL setting for `presentation`, if the platform has one.
    pub fn hil(&self, presentation: HilPresentation) -> Option<&HilSetting> {
        match presentation {
            HilPresentation::Test => self.hil_test.as_ref(),
            HilPresentation::Paper => self.hil_paper.as_ref(),
        }
    }

    /// The presentation to test with around HIL training in `presentation`'s setting: its
    /// [`HilSetting::test_encoder`], else the platform's own [`Platform::encoder`].
    pub fn hil_test_encoder(&self, presentation: HilPresentation) -> Encoder {
        self.hil(presentation).map_or(self.encoder, |h| h.test_encoder_or(self.encoder))
    }

    /// What `copies` copies of `net` need here, or the binding resource
    /// ([`Capacity::fit`]).
    ///
    /// **Errors** with [`BackendError::DoesNotFit`] naming the resource.
    pub fn fit(
        &self,
        backend: &dyn DynBackend,
        net: &SnnNetwork,
        copies: usize,
    ) -> Result<MappingReport, BackendError> {
        self.capacity.fit(backend, net, copies)
    }

    /// The largest number of copies of `net`, at most `limit`, that fit here
    /// ([`Capacity::max_copies`]).
    ///
    /// **Errors** with the reason one copy does not fit, or for a zero limit.
    pub fn max_copies(
        &self,
        backend: &dyn DynBackend,
        net: &SnnNetwork,
        limit: usize,
    ) -> Result<CopyFit, BackendError> {
        self.capacity.max_copies(backend, net, limit)
    }
}

impl Capacity {
    /// What `copies` copies of `net` need on `backend`, or the binding resource: the
    /// backend's own [`DynBackend::fit_copies`], and under [`Capacity::Memory`] the memory
    /// GeNN needs for them.
    ///
    /// **Errors** with [`BackendError::DoesNotFit`] naming the resource.
    pub fn fit(
        &self,
        backend: &dyn DynBackend,
        net: &SnnNetwork,
        copies: usize,
    ) -> Result<MappingReport, BackendError> {
        let mapping = backend.fit_copies(net, copies)?;
        if let Capacity::Memory { bytes, what } = self {
            let needed = genn_bytes_per_copy(net).saturating_mul(copies);
            if needed > *bytes {
                return Err(BackendError::DoesNotFit {
                    what: format!("bytes of {what} for {copies} network copies"),
                    needed,
                    available: *bytes,
                });
            }
        }
        Ok(mapping)
    }

    /// The largest number of copies of `net`, at most `limit`, that [`Capacity::fit`]
    /// accepts on `backend`, and the constraint that binds.
    ///
    /// **Errors** with the reason one copy does not fit, or for a zero limit.
    pub fn max_copies(
        &self,
        backend: &dyn DynBackend,
        net: &SnnNetwork,
        limit: usize,
    ) -> Result<CopyFit, BackendError> {
        let fit = backend.max_copies_fit(net, limit)?;
        let Capacity::Memory { bytes, .. } = self else { return Ok(fit) };
        let by_memory = bytes / genn_bytes_per_copy(net).max(1);
        if by_memory == 0 {
            return Err(self.fit(backend, net, 1).err().unwrap_or_else(|| BackendError::Internal {
                what: "a copy exceeds the memory but fits".into(),
            }));
        }
        if by_memory >= fit.copies {
            return Ok(fit);
        }
        let mapping = backend.fit_copies(net, by_memory)?;
        let binding = self.fit(backend, net, by_memory + 1).err();
        Ok(CopyFit { copies: by_memory, mapping, binding })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use spikeport_snn::IfCurrExpParams;

    #[test]
    fn genn_stores_a_dense_matrix_per_sign() {
        let lif = IfCurrExpParams::new().into_model().expect("params");
        let w = ndarray::array![[1.0, -1.0, 0.0], [0.5, 0.0, 0.0]];
        let net = SnnNetwork::feed_forward(2, vec![(lif, w)], 1.0).expect("net");
        assert_eq!(genn_bytes_per_copy(&net), 2 * 6 * 4 + 3 * 32);
    }

    #[test]
    fn clocks_say_whose_time_they_are() {
        let mut info = PlatformInfo::new("spinnaker-like", 1.0);
        info.speedup = Some(0.5); // time-scale factor 2
        assert_eq!(Timing::Hardware.hardware_time_s(&info, 550.0), Some(1.1));
        assert_eq!(Timing::Host.hardware_time_s(&info, 550.0), None);
        assert!(Timing::Host.describe().contains("this host"));
    }
}
