//! Deployment: the network's kernel constants and delays, and its weights in device
//! buffers; in-place weight updates.

use std::sync::Arc;

use ndarray::ArrayView2;
use spikeport_snn::timing::delay_steps;
use spikeport_snn::{BackendError, Deployed, Placement, PlatformInfo, SnnNetwork};

use crate::context::{lock, GpuContext};
use crate::device::storage_init;
use crate::model::{consts, CondExpStep, ModelConsts};
use crate::GpuError;

/// Everything the engine needs to know about a backend.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Setup {
    /// Platform facts (name, dt, limits, models, boundaries).
    pub info: PlatformInfo,
    /// How `IF_cond_exp` is stepped.
    pub step: CondExpStep,
    /// Most bytes a run may allocate on the host for its outputs and the working memory
    /// of its largest tile.
    pub memory_limit_bytes: usize,
    /// Cap on the bytes of any one device buffer below the device's own limit.
    pub max_buffer_bytes: Option<u64>,
    /// Most images per chunk (a chunk holds at least one lane).
    pub max_chunk_images: usize,
    /// Most time steps encoded per submission.
    pub steps_per_submit: usize,
}

/// A population as the device simulates it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct PopDep {
    /// Neurons.
    pub n: usize,
    /// Kernel constants; `None` for the input spike source.
    pub consts: Option<ModelConsts>,
    /// Largest delay, in steps, of the projections into this population (0 if none).
    pub max_delay: usize,
}

impl PopDep {
    /// Delay-ring slots, saturating (a huge delay is refused by the buffer limits).
    pub fn slots(&self) -> usize {
        self.max_delay.saturating_add(1)
    }

    /// Spike words per lane.
    pub fn words(&self) -> usize {
        self.n.div_ceil(32)
    }
}

/// A projection as the device simulates it.
#[derive(Debug)]
pub(crate) struct ProjDep {
    /// Source population.
    pub pre: usize,
    /// Target population.
    pub post: usize,
    /// Delay, steps (≥ 1).
    pub delay: usize,
    /// 1 = excitatory weights present, 2 = inhibitory, 3 = both.
    pub receptors: u32,
    /// (pre, post) f32 weights on the device.
    pub weights: wgpu::Buffer,
    /// Non-zero weights per row on the device.
    pub nnz: wgpu::Buffer,
}

/// A network deployed on a [`Gpu`](crate::Gpu): the validated network, its kernel
/// constants, and its weights in device buffers, once for all its network copies
/// ([`Placement::copies`]: the copies share the weights; a run gives each its own lanes).
#[derive(Debug)]
pub struct GpuDeployment {
    pub(crate) net: SnnNetwork,
    pub(crate) placement: Placement,
    pub(crate) ctx: Arc<GpuContext>,
    pub(crate) pops: Vec<PopDep>,
    pub(crate) projs: Vec<ProjDep>,
    pub(crate) dt_ms: f64,
}

impl GpuDeployment {
    /// The simulation time step, ms.
    pub fn dt_ms(&self) -> f64 {
        self.dt_ms
    }

    /// Delay of projection `k` in whole steps, or `None` if there is no such projection.
    pub fn delay_steps(&self, k: usize) -> Option<usize> {
        self.projs.get(k).map(|p| p.delay)
    }

    /// The device this deployment's buffers live on.
    pub(crate) fn ctx(&self) -> Arc<GpuContext> {
        Arc::clone(&self.ctx)
    }
}

impl Deployed for GpuDeployment {
    fn network(&self) -> &SnnNetwork {
        &self.net
    }

    fn placement(&self) -> Placement {
        self.placement
    }
}

/// Which receptor planes signed weights touch: bit 0 excitatory, bit 1 inhibitory.
fn receptors_of(w: ArrayView2<'_, f64>) -> u32 {
    let exc = w.iter().any(|&x| x > 0.0);
    let inh = w.iter().any(|&x| x < 0.0);
    u32::from(exc) | (u32::from(inh) << 1)
}

/// Signed weights as f32 little-endian bytes, row-major (pre, post), and the count of
/// non-zero weights per row.
fn weight_bytes(w: ArrayView2<'_, f64>) -> (Vec<u8>, Vec<u8>) {
    let mut bytes = Vec::with_capacity(w.len() * 4);
    let mut nnz = Vec::with_capacity(w.nrows() * 4);
    for row in w.outer_iter() {
        let mut count = 0u32;
        for &x in row {
            bytes.extend_from_slice(&(x as f32).to_le_bytes());
            count += u32::from(x != 0.0);
        }
        nnz.extend_from_slice(&count.to_le_bytes());
    }
    (bytes, nnz)
}

/// The limit on one buffer: the device's binding limit, capped by the setup.
pub(crate) fn buffer_limit(ctx: &GpuContext, setup: &Setup) -> u64 {
    let device = ctx.max_binding_bytes();
    setup.max_buffer_bytes.map_or(device, |cap| cap.min(device))
}

/// Check `net` against the platform, compute its kernel constants and upload its
/// weights.
pub(crate) fn deploy(
    ctx: &Arc<GpuContext>,
    setup: &Setup,
    net: &SnnNetwork,
    placement: Placement,
) -> Result<GpuDeployment, GpuError> {
    setup.info.check_network(net)?;
    let dt = setup.info.dt_ms;
    let limit = buffer_limit(ctx, setup);
    let _busy = lock(&ctx.busy);
    ctx.scoped("uploading the weights", || {
        let mut projs = Vec::with_capacity(net.projections().len());
        for (q, p) in net.projections().iter().enumerate() {
            let bytes = (p.weights.len() as u64).saturating_mul(4);
            if bytes > limit {
                return Err(GpuError::TooLarge {
                    what: format!("the weights of projection {q}"),
                    bytes,
                    limit,
                });
            }
            let (w, nnz) = weight_bytes(p.weights.view());
            projs.push(ProjDep {
                pre: p.pre,
                post: p.post,
                delay: delay_steps(p.delay_ms, dt),
                receptors: receptors_of(p.weights.view()),
                weights: storage_init(ctx, "weights", w, wgpu::BufferUsages::COPY_DST),
                nnz: storage_init(ctx, "row synapses", nnz, wgpu::BufferUsages::COPY_DST),
            });
        }
        let pops = net
            .populations()
            .iter()
            .enumerate()
            .map(|(i, p)| PopDep {
                n: p.size,
                consts: if i == 0 { None } else { consts(&p.model, dt, setup.step) },
                max_delay: projs.iter().filter(|q| q.post == i).map(|q| q.delay).max().unwrap_or(0),
            })
            .collect();
        Ok(GpuDeployment { net: net.clone(), placement, ctx: Arc::clone(ctx), pops, projs, dt_ms: dt })
    })
}

/// Replace the weights of projection `k` in the network and on the device.
pub(crate) fn update_weights(
    dep: &mut GpuDeployment,
    k: usize,
    weights: ArrayView2<'_, f64>,
) -> Result<(), GpuError> {
    dep.net.set_weights(k, weights)?;
    let ctx = Arc::clone(&dep.ctx);
    let proj = dep.projs.get_mut(k).ok_or_else(|| {
        GpuError::Backend(BackendError::Internal {
            what: format!("projection {k} exists in the network but not in the deployment"),
        })
    })?;
    let _busy = lock(&ctx.busy);
    ctx.scoped("updating weights", || {
        let (w, nnz) = weight_bytes(weights);
        ctx.queue.write_buffer(&proj.weights, 0, &w);
        ctx.queue.write_buffer(&proj.nnz, 0, &nnz);
        proj.receptors = receptors_of(weights);
        Ok(())
    })
}
