//! [`Reference`]: the NEST row of the paper.

use spikeport_lif::{CondExpAccurate, RkControl};
use spikeport_snn::timing::check_dt;
use spikeport_snn::{IfCondExpValidParams, WeightResolution};

use crate::common::{cpu_backend, platform_info, DEFAULT_MEMORY_LIMIT_BYTES};
use crate::engine::{KernelChoice, Setup};
use crate::CpuError;

/// The reference simulator, in the role of NEST in the paper: double precision,
/// `IF_cond_exp` integrated accurately ([`CondExpAccurate`]: closed-form conductances and
/// adaptive Dormand–Prince 5(4) for V, absolute tolerance 1e-6 mV by default),
/// `IF_curr_exp` and `IF_curr_delta_sub` with their exact propagators; dt 0.1 ms by
/// default, 1 ms possible. Spikes lie on the grid and travel with their projection's
/// delay; a refractory neuron is clamped to `v_reset` (the rules of
/// [`spikeport_snn::timing`]).
///
/// Images of a batch run in parallel on rayon's pool under
/// [`ImageBoundary::Reset`](spikeport_snn::ImageBoundary::Reset);
/// [`ImageBoundary::Continuous`](spikeport_snn::ImageBoundary::Continuous) batches run
/// as one sequential simulation. Results are bit-identical whatever the thread count.
///
/// ```
/// use spikeport_cpu::Reference;
/// use spikeport_snn::{Backend, Encoder, IfCondExpParams, Recording, SnnNetwork};
///
/// let lif = IfCondExpParams::paper_digital().into_model()?;
/// let net = SnnNetwork::feed_forward(2, vec![(lif, ndarray::array![[0.05, 0.0], [0.0, 0.05]])], 1.0)?;
/// let backend = Reference::default(); // dt = 0.1 ms
/// let mut dep = backend.deploy(&net, 0)?;
/// let input = Encoder::paper_digital().encode(ndarray::array![[1.0f32, 0.0]].view())?;
/// let out = backend.run(&mut dep, &input, &Recording::counts_only())?;
/// assert_eq!(out.predictions(), vec![Some(0)]);
/// assert_eq!(out.activity.bio_time_ms, 550.0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Reference {
    setup: Setup,
}

impl Reference {
    /// Backend name in [`PlatformInfo::name`](spikeport_snn::PlatformInfo::name).
    pub const NAME: &'static str = "Reference";
    /// Default time step, ms.
    pub const DEFAULT_DT_MS: f64 = 0.1;
    /// Default number of images stepped in lockstep per task.
    pub const DEFAULT_MAX_TILE: usize = 1;

    /// A reference simulator stepping at `dt_ms` with the default step control
    /// ([`RkControl::default`]).
    ///
    /// **Errors** with [`CpuError::Snn`] unless `dt_ms` is finite and > 0.
    pub fn new(dt_ms: f64) -> Result<Self, CpuError> {
        let dt = check_dt(dt_ms)?;
        Ok(Self {
            setup: Setup {
                info: platform_info(Self::NAME, dt, WeightResolution::Float64),
                kernels: KernelChoice::Accurate(RkControl::default()),
                max_tile: Self::DEFAULT_MAX_TILE,
                memory_limit_bytes: DEFAULT_MEMORY_LIMIT_BYTES,
            },
        })
    }

    /// Use `control` to integrate `IF_cond_exp` (e.g. a tighter tolerance, or fixed
    /// sub-steps for convergence studies).
    ///
    /// **Errors** with [`CpuError::Lif`] for invalid tolerances or zero sub-steps.
    pub fn with_control(mut self, control: RkControl) -> Result<Self, CpuError> {
        CondExpAccurate::<f64>::new(&IfCondExpValidParams::default(), self.dt_ms(), control)?;
        self.setup.kernels = KernelChoice::Accurate(control);
        Ok(self)
    }

    /// The step control of the `IF_cond_exp` integrator.
    pub fn control(&self) -> RkControl {
        match self.setup.kernels {
            KernelChoice::Accurate(c) => c,
            KernelChoice::Exact | KernelChoice::ExpEuler => RkControl::default(),
        }
    }
}

impl Default for Reference {
    /// dt = [`Reference::DEFAULT_DT_MS`] (0.1 ms).
    fn default() -> Self {
        Self {
            setup: Setup {
                info: platform_info(Self::NAME, Self::DEFAULT_DT_MS, WeightResolution::Float64),
                kernels: KernelChoice::Accurate(RkControl::default()),
                max_tile: Self::DEFAULT_MAX_TILE,
                memory_limit_bytes: DEFAULT_MEMORY_LIMIT_BYTES,
            },
        }
    }
}

cpu_backend!(Reference, f64);
