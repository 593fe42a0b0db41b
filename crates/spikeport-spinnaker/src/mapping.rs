//! Placement of a network on the modelled machine: populations on cores (at most one
//! population per core, as sPyNNaker's partitioner places them), network copies side by side
//! on cores of their own, ring-buffer shifts, 16-bit weights, and the resources it all needs
//! ([`resources`]: cores, chips, boards, synaptic-matrix SDRAM per core).

use spikeport_snn::timing::delay_steps;
use spikeport_snn::{BackendError, NeuronModel, SnnNetwork};

use crate::backend::DT_MS;
use crate::kernel::LifFixed;
use crate::machine::{
    row_bytes, SpinnakerConfig, APP_CORES_PER_CHIP, MAX_COND_EXP_PER_CORE, MAX_CURR_EXP_PER_CORE,
    MAX_EXTENDED_DELAY_STEPS, MAX_NATIVE_DELAY_STEPS,
};
use crate::weights::{quantise, ring_buffer_shift, weight_scale};
use crate::SpinnakerError;

/// One synapse as stored on the chip: target neuron, 16-bit weight, receptor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Syn {
    pub(crate) post: u32,
    pub(crate) w: u16,
    pub(crate) receptor: u8,
}

/// A population as placed.
#[derive(Clone, Debug)]
pub(crate) struct PopPlan {
    pub(crate) kernel: Option<LifFixed>,
    pub(crate) n: usize,
    pub(crate) per_core: usize,
    /// Ring-buffer left shift per core and receptor.
    pub(crate) shifts: Vec<[u32; 2]>,
}

impl PopPlan {
    pub(crate) fn cores(&self) -> usize {
        self.n.div_ceil(self.per_core)
    }
}

/// A projection as stored: rows per pre-synaptic neuron, and per row the number of
/// synapses on each target core.
#[derive(Clone, Debug, Default)]
pub(crate) struct ProjPlan {
    pub(crate) pre: usize,
    pub(crate) post: usize,
    pub(crate) delay: usize,
    pub(crate) row_off: Vec<u32>,
    pub(crate) syns: Vec<Syn>,
    pub(crate) seg_off: Vec<u32>,
    /// (target core, synapses in the row on that core).
    pub(crate) segs: Vec<(u32, u32)>,
}

/// How a network was placed and its weights converted.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct MappingDetails {
    /// Network copies placed side by side, each on cores of its own.
    pub copies: usize,
    /// Cores per population of one copy (population 0 = spike sources).
    pub cores_per_population: Vec<usize>,
    /// Neuron limit per core used for each population.
    pub neurons_per_core: Vec<usize>,
    /// Extra cores of one copy for delay extensions (projections with delays > 16 steps).
    pub delay_extension_cores: usize,
    /// Application cores of one copy.
    pub cores_per_copy: usize,
    /// Application cores in all (all copies).
    pub cores: usize,
    /// Chips in all (16 application cores each).
    pub chips: usize,
    /// Boards in all.
    pub boards: usize,
    /// Ring-buffer left shifts: `[population][core]` = [excitatory, inhibitory].
    pub ring_buffer_shifts: Vec<Vec<[u32; 2]>>,
    /// Largest synaptic-matrix size of one core, bytes.
    pub max_synaptic_matrix_bytes: usize,
    /// Non-zero weights that became 0 after quantisation.
    pub weights_rounded_to_zero: u64,
    /// Weights clipped at 65535 after scaling (only if the shift rule was overridden by
    /// a weight larger than the per-tick bound, which cannot happen with sPyNNaker's rule).
    pub weights_clipped: u64,
    /// Ring-buffer slots per neuron and receptor (longest delay + 1).
    pub ring_slots: usize,
}

/// Shifts per core of `post` from all projections into it (see [`crate::weights`]).
pub(crate) fn compute_shifts(
    net: &SnnNetwork,
    post: usize,
    plan: &PopPlan,
    cfg: &SpinnakerConfig,
) -> Vec<[u32; 2]> {
    let global = plan.kernel.map_or(1.0, |k| k.global_weight_scale());
    let spikes_per_tick = (cfg.spikes_per_second * DT_MS * 1e-3).max(1.0);
    (0..plan.cores())
        .map(|c| {
            let cols = c * plan.per_core..((c + 1) * plan.per_core).min(plan.n);
            let mut bound = [0.0f64; 2];
            for k in net.incoming(post) {
                let w = &net.projections()[k].weights;
                for (r, b) in bound.iter_mut().enumerate() {
                    let mut max_w = 0.0f64;
                    let mut max_fan_in = 0usize;
                    for i in cols.clone() {
                        let col = w.column(i);
                        let mut fan_in = 0;
                        for &x in col.iter() {
                            if (r == 0 && x > 0.0) || (r == 1 && x < 0.0) {
                                fan_in += 1;
                                max_w = max_w.max(x.abs());
                            }
                        }
                        max_fan_in = max_fan_in.max(fan_in);
                    }
                    *b += spikes_per_tick * max_w * global * max_fan_in as f64;
                }
            }
            [ring_buffer_shift(bound[0]), ring_buffer_shift(bound[1])]
        })
        .collect()
}

/// Convert projection `k`'s weights with the shifts of its post population.
pub(crate) fn build_projection(
    net: &SnnNetwork,
    k: usize,
    pops: &[PopPlan],
    details: &mut MappingDetails,
) -> ProjPlan {
    let p = &net.projections()[k];
    let post = &pops[p.post];
    let global = post.kernel.map_or(1.0, |k| k.global_weight_scale());
    let (n_pre, n_post) = p.weights.dim();
    let mut plan = ProjPlan {
        pre: p.pre,
        post: p.post,
        delay: delay_steps(p.delay_ms, DT_MS),
        row_off: Vec::with_capacity(n_pre + 1),
        seg_off: Vec::with_capacity(n_pre + 1),
        ..ProjPlan::default()
    };
    plan.row_off.push(0);
    plan.seg_off.push(0);
    for j in 0..n_pre {
        let mut cur_core = u32::MAX;
        for i in 0..n_post {
            let x = p.weights[[j, i]];
            if x == 0.0 {
                continue;
            }
            let receptor = usize::from(x < 0.0);
            let core = i / post.per_core;
            let (w, clipped) = quantise(x, weight_scale(post.shifts[core][receptor], global));
            details.weights_clipped += u64::from(clipped);
            details.weights_rounded_to_zero += u64::from(w == 0);
            plan.syns.push(Syn { post: i as u32, w, receptor: receptor as u8 });
            if core as u32 != cur_core {
                cur_core = core as u32;
                plan.segs.push((cur_core, 0));
            }
            if let Some(last) = plan.segs.last_mut() {
                last.1 += 1;
            }
        }
        plan.row_off.push(plan.syns.len() as u32);
        plan.seg_off.push(plan.segs.len() as u32);
    }
    plan
}

pub(crate) fn quantise_all(
    net: &SnnNetwork,
    pops: &mut [PopPlan],
    cfg: &SpinnakerConfig,
) -> (Vec<ProjPlan>, MappingDetails) {
    let mut details = MappingDetails::default();
    for (p, plan) in pops.iter_mut().enumerate().skip(1) {
        plan.shifts = compute_shifts(net, p, plan, cfg);
    }
    let projs = (0..net.projections().len()).map(|k| build_projection(net, k, pops, &mut details)).collect();
    details.ring_buffer_shifts = pops.iter().map(|p| p.shifts.clone()).collect();
    (projs, details)
}

/// Populations placed on cores, without weights: the model's neuron limit per core (or the
/// configured lower one), spike sources as the configuration says.
///
/// **Errors** with [`SpinnakerError`] for a neuron model the fixed-point kernel cannot take.
pub(crate) fn place_populations(
    net: &SnnNetwork,
    cfg: &SpinnakerConfig,
) -> Result<Vec<PopPlan>, BackendError> {
    let mut pops = Vec::with_capacity(net.populations().len());
    for pop in net.populations() {
        let (kernel, per_core) = match &pop.model {
            NeuronModel::SpikeSource => (None, cfg.max_spike_sources_per_core.unwrap_or(usize::MAX).max(1)),
            m => {
                let k = LifFixed::new(m, DT_MS)?;
                let model_max =
                    if k.is_conductance() { MAX_COND_EXP_PER_CORE } else { MAX_CURR_EXP_PER_CORE };
                (Some(k), cfg.max_neurons_per_core.map_or(model_max, |u| u.min(model_max)))
            }
        };
        pops.push(PopPlan { kernel, n: pop.size, per_core, shifts: Vec::new() });
    }
    Ok(pops)
}

/// Checks `copies` copies of `net` against the machine and fills the placement fields of a
/// [`MappingDetails`] (cores per population, delay extensions, cores, chips, boards, the
/// largest synaptic matrix of one core).
///
/// **Errors** with [`BackendError::DoesNotFit`] naming the binding resource (application
/// cores, synaptic-matrix SDRAM of one core), or with [`SpinnakerError::DelayTooLong`].
pub(crate) fn resources(
    net: &SnnNetwork,
    pops: &[PopPlan],
    cfg: &SpinnakerConfig,
    copies: usize,
) -> Result<MappingDetails, BackendError> {
    let mut ext_pre = vec![false; pops.len()];
    for (k, p) in net.projections().iter().enumerate() {
        let steps = delay_steps(p.delay_ms, DT_MS);
        if steps > MAX_EXTENDED_DELAY_STEPS {
            return Err(
                SpinnakerError::DelayTooLong { projection: k, steps, max: MAX_EXTENDED_DELAY_STEPS }.into()
            );
        }
        if steps > MAX_NATIVE_DELAY_STEPS {
            ext_pre[p.pre] = true;
        }
    }
    let mut d = MappingDetails { copies, ..MappingDetails::default() };
    d.cores_per_population = pops.iter().map(PopPlan::cores).collect();
    d.neurons_per_core = pops
        .iter()
        .map(|p| if p.kernel.is_none() { p.per_core.min(p.n.max(1)) } else { p.per_core })
        .collect();
    d.delay_extension_cores = pops.iter().zip(&ext_pre).filter(|(_, &e)| e).map(|(p, _)| p.cores()).sum();
    d.cores_per_copy = d.cores_per_population.iter().sum::<usize>() + d.delay_extension_cores;
    d.cores = d.cores_per_copy.saturating_mul(copies);
    d.chips = d.cores.div_ceil(APP_CORES_PER_CHIP);
    d.boards = d.chips.div_ceil(cfg.board.chips());
    let available = cfg.cores_available();
    if d.cores > available {
        return Err(BackendError::DoesNotFit {
            what: format!(
                "application cores ({copies} network copies of {} cores on {} {} board(s) x {} chips x {} cores; \
                 {} more than available)",
                d.cores_per_copy,
                cfg.n_boards,
                cfg.board.name(),
                cfg.board.chips(),
                APP_CORES_PER_CHIP,
                d.cores - available,
            ),
            needed: d.cores,
            available,
        });
    }
    // synaptic-matrix memory per core: one row per pre-synaptic neuron with synapses there
    for (p, plan) in pops.iter().enumerate().skip(1) {
        let mut bytes = vec![0usize; plan.cores()];
        for k in net.incoming(p) {
            let w = &net.projections()[k].weights;
            for row in w.rows() {
                let mut on_core = vec![0usize; plan.cores()];
                for (i, &x) in row.iter().enumerate() {
                    if x != 0.0 {
                        on_core[i / plan.per_core] += 1;
                    }
                }
                for (c, &n) in on_core.iter().enumerate() {
                    if n > 0 {
                        bytes[c] += row_bytes(n);
                    }
                }
            }
        }
        for (c, &b) in bytes.iter().enumerate() {
            d.max_synaptic_matrix_bytes = d.max_synaptic_matrix_bytes.max(b);
            if b > cfg.sdram_per_core_bytes {
                return Err(BackendError::DoesNotFit {
                    what: format!(
                        "synaptic-matrix bytes on core {c} of population {p} ('{}'; {} bytes over the per-core budget)",
                        net.populations()[p].label,
                        b - cfg.sdram_per_core_bytes
                    ),
                    needed: b,
                    available: cfg.sdram_per_core_bytes,
                });
            }
        }
    }
    Ok(d)
}
