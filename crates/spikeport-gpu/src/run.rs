//! Runs on the contract's executor ([`spikeport_snn::exec`]): the executor resolves the
//! run ([`RunPlan`]: grid, readout window, checkpoints, recordings, one lane per network
//! copy's share under `Continuous`, one per image under `Reset`), checks the host memory,
//! and assembles the [`RunOutput`]; the GPU simulates its tiles ([`GpuRun`]).
//!
//! ## Tiles and chunks
//!
//! The device steps many lanes at once, so a tile is a whole group of consecutive lanes of
//! equal length ([`lockstep_tiles`]): one tile under `Reset` and for `Continuous` copies of
//! equal shares, and one more for a last, shorter share. Inside a tile, lanes are cut into
//! *chunks* whose buffers fit the device ([`chunk_lanes`]); every chunk is one simulation
//! on the device, read back once at its end. A lane is never split, and every lane is
//! simulated alone, so results do not depend on the tiles or chunks.

use std::sync::Mutex;

use spikeport_lif::InputSchedule;
use spikeport_snn::exec::{Executor, RunPlan, Tile, TileOutput, TileSimulator};
use spikeport_snn::{BackendError, Counter, Recording, RunOutput, SpikeInput};

use crate::chunk::{chunk_lanes, Chunk, Cost};
use crate::context::lock;
use crate::deploy::{buffer_limit, GpuDeployment, Setup};
use crate::readback::{input_lists, report};
use crate::step::run_chunk;
use crate::GpuError;

/// One run of a deployment, as the executor's [`TileSimulator`].
///
/// The executor may call [`TileSimulator::simulate`] from several threads at once (the
/// tiles of different lane lengths). Each call builds its own buffers; the device itself
/// (submissions, read-back and the error scopes around them, a per-device stack) is held
/// through [`GpuContext::busy`](crate::context::GpuContext) for one chunk at a time, so
/// the host's work on one tile overlaps the device's on another.
pub(crate) struct GpuRun<'a> {
    /// The backend's settings.
    pub setup: &'a Setup,
    /// The deployment.
    pub dep: &'a GpuDeployment,
    /// The first error of a tile, typed: the executor carries [`BackendError`]s, which
    /// lose the kind of a device failure; [`run`] answers this one instead.
    error: Mutex<Option<GpuError>>,
}

impl TileSimulator for GpuRun<'_> {
    type Stats = ();

    fn simulate(
        &self,
        plan: &RunPlan,
        tile: &Tile,
        input: &SpikeInput,
        out: &mut TileOutput,
        _: &mut (),
    ) -> Result<(), BackendError> {
        self.simulate_tile(plan, tile, input, out).map_err(|e| {
            let b = BackendError::from(e.clone());
            lock(&self.error).get_or_insert(e);
            b
        })
    }

    fn merge(_: &mut (), _: ()) {}

    /// Host memory of a tile: its input schedule, and for its largest chunk (by the
    /// images per chunk; the buffer limits may cut smaller ones) the input spike lists,
    /// the initial neuron states it uploads and what it reads back (tallies, recordings,
    /// event counters). Device buffers are bounded by the device's limits instead
    /// ([`chunk_lanes`]). Saturating.
    fn tile_bytes(&self, plan: &RunPlan, lanes: usize, per_lane: usize, input_spikes: usize) -> usize {
        let mul = |xs: &[usize]| xs.iter().fold(1usize, |a, &x| a.saturating_mul(x));
        let stamps = plan.steps.saturating_add(2);
        let schedule = mul(&[lanes, per_lane, stamps, 4]).saturating_add(mul(&[input_spikes, 4]));
        let lanes = lanes.min(self.setup.max_chunk_images.div_ceil(per_lane.max(1)).max(1));
        let images = lanes.saturating_mul(per_lane);
        let lists = mul(&[lanes, per_lane.saturating_mul(plan.steps).saturating_add(2), 4])
            .saturating_add(mul(&[input_spikes, 4]));
        let recorded = plan.rec_images.len().min(images);
        let n_cp = plan.n_checkpoints();
        let per_pop = self.dep.pops.iter().enumerate().skip(1).fold(0usize, |a, (p, pop)| {
            let cp = if p == plan.output { n_cp } else { 0 };
            let tallies = mul(&[pop.n, images.saturating_add(lanes).saturating_add(mul(&[cp, images])), 4]);
            let state = mul(&[lanes, pop.n, 16]);
            let raster = if plan.spike_sel.iter().any(|s| s.population == p) {
                mul(&[recorded, plan.steps.saturating_add(1), pop.words(), 4])
            } else {
                0
            };
            let trace = if plan.mem_sel.iter().any(|s| s.population == p) {
                mul(&[recorded, pop.n, plan.steps, 4])
            } else {
                0
            };
            a.saturating_add(tallies).saturating_add(state).saturating_add(raster).saturating_add(trace)
        });
        let events = mul(&[lanes, self.dep.projs.len(), 8]);
        schedule.saturating_add(lists).saturating_add(per_pop).saturating_add(events)
    }
}

impl GpuRun<'_> {
    /// Simulates `tile` chunk by chunk and reports everything to `out`, with the
    /// counters [`Counter::GpuChunks`] and [`Counter::GpuSubmissions`].
    fn simulate_tile(
        &self,
        plan: &RunPlan,
        tile: &Tile,
        input: &SpikeInput,
        out: &mut TileOutput,
    ) -> Result<(), GpuError> {
        let (setup, dep) = (self.setup, self.dep);
        let ctx = &dep.ctx;
        let per_lane = tile.per_lane.max(1);
        let max_lanes = (ctx.limits.max_compute_workgroups_per_dimension as usize)
            .min(setup.max_chunk_images.div_ceil(per_lane))
            .max(1);
        let cost = Cost { dep, plan, tile, input };
        let chunks = chunk_lanes(&cost, tile.n_lanes(), &[], buffer_limit(ctx, setup), max_lanes)?;
        let sched = InputSchedule::new(input, plan.dt_ms).map_err(|e| {
            GpuError::Backend(BackendError::Internal {
                what: format!("input schedule of a checked input: {e}"),
            })
        })?;
        let mut submissions = 0u64;
        for lanes in &chunks {
            let chunk = Chunk::new(dep, plan, tile, lanes.clone());
            let (words, list_off) = input_lists(plan, &chunk, &sched, out)?;
            let back = {
                let _busy = lock(&ctx.busy);
                ctx.scoped("running a batch", || run_chunk(ctx, setup, dep, plan, &chunk, &words, list_off))?
            };
            submissions += back.submissions;
            report(dep, plan, &chunk, &back, out)?;
        }
        out.count(Counter::GpuChunks, chunks.len() as u64);
        out.count(Counter::GpuSubmissions, submissions);
        Ok(())
    }
}

/// The tiles of a run on the device: every group of consecutive lanes of equal length is
/// one tile.
pub(crate) fn lockstep_tiles(plan: &RunPlan) -> Vec<Tile> {
    let mut tiles: Vec<Tile> = Vec::new();
    for (k, lane) in plan.lanes.iter().enumerate() {
        match tiles.last_mut() {
            Some(t) if t.per_lane == lane.images => t.lanes.end = k + 1,
            _ => tiles.push(Tile { lanes: k..k + 1, first: lane.first, per_lane: lane.images }),
        }
    }
    tiles
}

/// [`BackendError::ResourceLimit`] if a lane has more time steps than the device's
/// 32-bit step counter reaches (it counts `0 ..= steps + 1`).
fn check_step_counter(plan: &RunPlan) -> Result<(), BackendError> {
    let per_lane = plan.lanes.iter().map(|l| l.images).max().unwrap_or(0);
    let lane_steps = plan.steps.saturating_mul(per_lane);
    if u32::try_from(lane_steps.saturating_add(2)).is_err() {
        return Err(BackendError::ResourceLimit {
            what: "time steps of one lane (32-bit step counter on the GPU)".into(),
            requested: lane_steps,
            limit: u32::MAX as usize - 2,
        });
    }
    Ok(())
}

/// Simulates `input` on `dep` with the run executor.
///
/// **Errors** with the run's [`BackendError`]s, or the device's [`GpuError`] of the tile
/// that failed.
pub(crate) fn run(
    setup: &Setup,
    dep: &GpuDeployment,
    input: &SpikeInput,
    rec: &Recording,
) -> Result<RunOutput, GpuError> {
    let plan = RunPlan::new(&setup.info, &dep.net, input, rec, dep.placement.copies, dep.dt_ms)?;
    check_step_counter(&plan)?;
    let tiles = lockstep_tiles(&plan);
    let sim = GpuRun { setup, dep, error: Mutex::new(None) };
    let exec = Executor { max_lanes: usize::MAX, memory_limit_bytes: setup.memory_limit_bytes };
    match exec.run_tiles(&sim, &setup.info, &plan, input, &tiles) {
        Ok((mut out, ())) => {
            for c in [Counter::GpuChunks, Counter::GpuSubmissions] {
                out.activity.counters.entry(c).or_insert(0);
            }
            Ok(out)
        }
        Err(e) => {
            let typed = sim.error.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner);
            Err(typed.filter(|t| BackendError::from(t.clone()) == e).unwrap_or(GpuError::Backend(e)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use spikeport_snn::{Encoder, IfCurrExpParams, ImageBoundary, PlatformInfo, SnnNetwork};

    fn plan(n: usize, boundary: ImageBoundary, copies: usize) -> RunPlan {
        let lif = IfCurrExpParams::new().into_model().expect("params");
        let net = SnnNetwork::feed_forward(2, vec![(lif, ndarray::Array2::zeros((2, 3)))], 1.0).expect("net");
        let x = ndarray::Array2::<f32>::from_elem((n, 2), 0.5);
        let input = Encoder::regular(100.0, 20.0, 10.0)
            .expect("encoder")
            .with_boundary(boundary)
            .encode(x.view())
            .expect("input");
        let info = PlatformInfo::new("test", 1.0);
        RunPlan::new(&info, &net, &input, &Recording::counts_only(), copies, 1.0).expect("plan")
    }

    fn shape(tiles: &[Tile]) -> Vec<(std::ops::Range<usize>, usize, usize)> {
        tiles.iter().map(|t| (t.lanes.clone(), t.first, t.per_lane)).collect()
    }

    #[test]
    fn a_tile_is_a_whole_group_of_equal_lanes() {
        // Reset: every image a lane, all in one tile
        assert_eq!(shape(&lockstep_tiles(&plan(40, ImageBoundary::Reset, 3))), vec![(0..40, 0, 1)]);
        // Continuous: one lane per copy; the last, shorter share is a tile of its own
        let p = plan(10, ImageBoundary::Continuous, 3);
        assert_eq!(shape(&lockstep_tiles(&p)), vec![(0..2, 0, 4), (2..3, 8, 2)]);
        let p = plan(12, ImageBoundary::Continuous, 3);
        assert_eq!(shape(&lockstep_tiles(&p)), vec![(0..3, 0, 4)]);
        let p = plan(12, ImageBoundary::Continuous, 1);
        assert_eq!(shape(&lockstep_tiles(&p)), vec![(0..1, 0, 12)]);
        assert!(lockstep_tiles(&plan(0, ImageBoundary::Reset, 1)).is_empty());
        assert!(check_step_counter(&p).is_ok());
    }
}
