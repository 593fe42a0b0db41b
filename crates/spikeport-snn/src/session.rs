//! The object-safe face of a [`Backend`]: [`DynBackend`] builds [`Session`]s, deployed
//! networks that run batches and take weight updates, so that sweeps, hardware-in-the-loop
//! training, harnesses and tools hold any platform as a trait object.
//!
//! Every `Backend + Send + Sync` is a `DynBackend`.
//!
//! ```
//! use spikeport_snn::*;
//!
//! struct Silent(PlatformInfo);
//! struct Dep(SnnNetwork, Placement);
//! impl Deployed for Dep {
//!     fn network(&self) -> &SnnNetwork { &self.0 }
//!     fn placement(&self) -> Placement { self.1 }
//! }
//! impl Backend for Silent {
//!     type Deployment = Dep;
//!     fn info(&self) -> &PlatformInfo { &self.0 }
//!     fn map(&self, net: &SnnNetwork, at: Placement) -> Result<Dep, BackendError> {
//!         Ok(Dep(net.clone(), at))
//!     }
//!     fn run(&self, dep: &mut Dep, input: &SpikeInput, _: &Recording)
//!         -> Result<RunOutput, BackendError> {
//!         let counts = dep.0.sizes().iter()
//!             .map(|&n| ndarray::Array2::zeros((input.n_images(), n)))
//!             .collect();
//!         Ok(RunOutput { counts, ..RunOutput::default() })
//!     }
//! }
//!
//! let backends: Vec<Box<dyn DynBackend>> = vec![Box::new(Silent(PlatformInfo::new("silent", 1.0)))];
//! let lif = IfCurrExpParams::new().into_model()?;
//! let net = SnnNetwork::feed_forward(2, vec![(lif, ndarray::Array2::zeros((2, 3)))], 1.0)?;
//! let mut session = backends[0].session(&net, Placement::from(3).with_copies(2))?;
//! assert_eq!(session.mapping().neurons, 6);
//! assert_eq!(session.placement().copies, 2);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use ndarray::ArrayView2;

use crate::{
    Backend, BackendError, CopyFit, Deployed, MappingReport, Placement, PlatformInfo, Recording, RunOutput,
    SnnNetwork, SpikeInput,
};

/// A deployed network that runs batches: the object-safe face of a [`Backend`] deployment.
pub trait Session: Send {
    /// Platform facts of the backend that deployed it.
    fn platform(&self) -> &PlatformInfo;
    /// The network as deployed (with weight updates applied since).
    fn network(&self) -> &SnnNetwork;
    /// The seed and number of copies it was deployed with.
    fn placement(&self) -> Placement;
    /// How the network was mapped.
    fn mapping(&self) -> MappingReport;
    /// Runs one batch ([`Backend::run`]).
    ///
    /// **Errors** as [`Backend::run`].
    fn run(&mut self, input: &SpikeInput, rec: &Recording) -> Result<RunOutput, BackendError>;
    /// Replaces the weights of projection `projection` ([`Backend::update_weights`]).
    ///
    /// **Errors** as [`Backend::update_weights`].
    fn update_weights(&mut self, projection: usize, weights: ArrayView2<'_, f64>)
        -> Result<(), BackendError>;
    /// Runs made so far whose number seeds the next run's noise ([`Deployed::runs`]).
    fn runs(&self) -> u64;
    /// Continues as if `runs` runs had been made ([`Deployed::set_runs`]).
    fn set_runs(&mut self, runs: u64);
    /// The deploying backend's settings ([`Backend::settings_text`]).
    fn settings_text(&self) -> String;
}

/// An object-safe [`Backend`], so that a harness can hold different backends in one list.
pub trait DynBackend: Send + Sync {
    /// Platform facts.
    fn platform(&self) -> &PlatformInfo;
    /// The backend's settings ([`Backend::settings_text`]).
    fn settings_text(&self) -> String;
    /// Deploys `net` at `placement` (a seed converts to one copy) and returns a session to
    /// run batches on.
    ///
    /// **Errors** as [`Backend::place`].
    fn session<'a>(
        &'a self,
        net: &SnnNetwork,
        placement: Placement,
    ) -> Result<Box<dyn Session + 'a>, BackendError>;
    /// What `copies` copies of `net` need ([`Backend::fit`]).
    ///
    /// **Errors** as [`Backend::fit`].
    fn fit_copies(&self, net: &SnnNetwork, copies: usize) -> Result<MappingReport, BackendError>;
    /// The largest number of copies that fits, at most `limit` ([`Backend::max_copies`]).
    ///
    /// **Errors** as [`Backend::max_copies`].
    fn max_copies_fit(&self, net: &SnnNetwork, limit: usize) -> Result<CopyFit, BackendError>;
}

struct BackendSession<'a, B: Backend> {
    backend: &'a B,
    dep: B::Deployment,
}

impl<B: Backend + Sync> Session for BackendSession<'_, B> {
    fn platform(&self) -> &PlatformInfo {
        self.backend.info()
    }
    fn network(&self) -> &SnnNetwork {
        self.dep.network()
    }
    fn placement(&self) -> Placement {
        self.dep.placement()
    }
    fn mapping(&self) -> MappingReport {
        self.dep.mapping()
    }
    fn run(&mut self, input: &SpikeInput, rec: &Recording) -> Result<RunOutput, BackendError> {
        self.backend.run(&mut self.dep, input, rec)
    }
    fn update_weights(
        &mut self,
        projection: usize,
        weights: ArrayView2<'_, f64>,
    ) -> Result<(), BackendError> {
        self.backend.update_weights(&mut self.dep, projection, weights)
    }
    fn runs(&self) -> u64 {
        self.dep.runs()
    }
    fn set_runs(&mut self, runs: u64) {
        self.dep.set_runs(runs);
    }
    fn settings_text(&self) -> String {
        self.backend.settings_text()
    }
}

impl<B: Backend + Send + Sync> DynBackend for B {
    fn platform(&self) -> &PlatformInfo {
        self.info()
    }
    fn settings_text(&self) -> String {
        Backend::settings_text(self)
    }
    fn session<'a>(
        &'a self,
        net: &SnnNetwork,
        placement: Placement,
    ) -> Result<Box<dyn Session + 'a>, BackendError> {
        Ok(Box::new(BackendSession { backend: self, dep: self.place(net, placement)? }))
    }
    fn fit_copies(&self, net: &SnnNetwork, copies: usize) -> Result<MappingReport, BackendError> {
        self.fit(net, copies)
    }
    fn max_copies_fit(&self, net: &SnnNetwork, limit: usize) -> Result<CopyFit, BackendError> {
        self.max_copies(net, limit)
    }
}
