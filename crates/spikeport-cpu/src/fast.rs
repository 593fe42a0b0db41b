//! [`Fast`]: the GeNN-CPU row of the paper.

use spikeport_snn::timing::check_dt;
use spikeport_snn::WeightResolution;

use crate::common::{cpu_backend, platform_info, DEFAULT_MEMORY_LIMIT_BYTES};
use crate::engine::{KernelChoice, Setup};
use crate::CpuError;

pub use spikeport_lif::CondExpStep;

/// The fast simulator, in the role of GeNN on a CPU in the paper: single precision, one
/// exact constant-input step per dt for `IF_cond_exp` (by default with the conductances
/// held, [`CondExpStep::HeldConductance`]; GeNN's own held-current update with
/// [`Fast::with_cond_exp_step`]), exact propagators for `IF_curr_exp` and
/// `IF_curr_delta_sub`; dt 1 ms by default.
///
/// Speed: the images of a batch are simulated in parallel on rayon's pool (all cores),
/// spike propagation is event-driven (only the weight rows of neurons that spiked are
/// read, in unrolled loops), and neuron updates run in vectorised blocks. With
/// [`Fast::with_max_tile`] several images step in lockstep and share each weight-row
/// read; on the 2-core development machine (large L2, huge L3) that was about 10 %
/// slower, so it is off by default. Memory: simulation state is held per task (one
/// image); a run allocates only its outputs (spike counts of every population), bounded
/// by [`Fast::with_max_batch`] (default [`DEFAULT_MAX_BATCH`](crate::DEFAULT_MAX_BATCH)
/// images) and [`Fast::with_memory_limit`]. `Continuous` batches run as one sequential
/// simulation. Results are bit-identical whatever the thread count.
///
/// ```
/// use spikeport_cpu::Fast;
/// use spikeport_snn::{Backend, Encoder, IfCondExpParams, Recording, SnnNetwork};
///
/// let lif = IfCondExpParams::paper_digital().into_model()?;
/// let net = SnnNetwork::feed_forward(2, vec![(lif, ndarray::array![[0.05, 0.0], [0.0, 0.05]])], 1.0)?;
/// let backend = Fast::default(); // dt = 1 ms
/// let mut dep = backend.deploy(&net, 0)?;
/// let input = Encoder::paper_digital().encode(ndarray::array![[1.0f32, 0.0], [0.0, 0.5]].view())?;
/// let out = backend.run(&mut dep, &input, &Recording::counts_only())?;
/// assert_eq!(out.predictions(), vec![Some(0), Some(1)]);
/// assert_eq!(out.activity.neuron_updates, 2 * 550 * 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Fast {
    setup: Setup,
}

impl Fast {
    /// Backend name in [`PlatformInfo::name`](spikeport_snn::PlatformInfo::name).
    pub const NAME: &'static str = "Fast";
    /// Default time step, ms.
    pub const DEFAULT_DT_MS: f64 = 1.0;
    /// Default number of images stepped in lockstep per task.
    pub const DEFAULT_MAX_TILE: usize = 1;

    /// The same simulator with `IF_cond_exp` stepped by `step`.
    #[must_use]
    pub fn with_cond_exp_step(mut self, step: CondExpStep) -> Self {
        self.setup.kernels = match step {
            CondExpStep::HeldConductance => KernelChoice::ExpEuler,
            CondExpStep::GennHeldCurrent => KernelChoice::Exact,
        };
        self
    }

    /// How `IF_cond_exp` neurons are stepped.
    pub fn cond_exp_step(&self) -> CondExpStep {
        match self.setup.kernels {
            KernelChoice::Exact => CondExpStep::GennHeldCurrent,
            _ => CondExpStep::HeldConductance,
        }
    }

    /// A fast simulator stepping at `dt_ms`.
    ///
    /// **Errors** with [`CpuError::Snn`] unless `dt_ms` is finite and > 0.
    pub fn new(dt_ms: f64) -> Result<Self, CpuError> {
        let dt = check_dt(dt_ms)?;
        Ok(Self {
            setup: Setup {
                info: platform_info(Self::NAME, dt, WeightResolution::Float32),
                kernels: KernelChoice::ExpEuler,
                max_tile: Self::DEFAULT_MAX_TILE,
                memory_limit_bytes: DEFAULT_MEMORY_LIMIT_BYTES,
            },
        })
    }
}

impl Default for Fast {
    /// dt = [`Fast::DEFAULT_DT_MS`] (1 ms).
    fn default() -> Self {
        Self {
            setup: Setup {
                info: platform_info(Self::NAME, Self::DEFAULT_DT_MS, WeightResolution::Float32),
                kernels: KernelChoice::ExpEuler,
                max_tile: Self::DEFAULT_MAX_TILE,
                memory_limit_bytes: DEFAULT_MEMORY_LIMIT_BYTES,
            },
        }
    }
}

cpu_backend!(Fast, f32);
