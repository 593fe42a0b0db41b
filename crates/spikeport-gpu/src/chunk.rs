//! How a tile's lanes are cut into *chunks* whose device buffers fit the device, and where
//! each population's tallies and recordings sit in a chunk's shared buffers.
//!
//! A chunk is one simulation on the device of consecutive lanes of a tile (all of the same
//! length), read back once at its end. Chunks depend only on the lanes and the limits
//! (buffer sizes, [`Setup::max_chunk_images`](crate::deploy::Setup), the device's
//! workgroup limit), never on results, so splitting does not change them.

use std::ops::Range;

use spikeport_snn::exec::{RunPlan, Tile};
use spikeport_snn::SpikeInput;

use crate::deploy::GpuDeployment;
use crate::GpuError;

/// Bytes per lane of every device buffer that grows with the lanes of a chunk, in a
/// fixed order (one entry per buffer), so that chunks can be cut where any buffer would
/// pass the limit.
pub(crate) trait LaneCost {
    /// Bytes that lane `lane` (tile-local index) adds to each buffer.
    fn lane_bytes(&self, lane: usize) -> Vec<u64>;
    /// Human-readable name of buffer `k`.
    fn buffer_name(&self, k: usize) -> String;
}

/// Cut lanes `0..n_lanes` into consecutive chunks such that every buffer of a chunk,
/// plus `fixed[k]` bytes, stays within `limit` bytes and a chunk has at most `max_lanes`
/// lanes.
///
/// **Errors** with [`GpuError::TooLarge`] if a single lane does not fit.
pub(crate) fn chunk_lanes(
    cost: &dyn LaneCost,
    n_lanes: usize,
    fixed: &[u64],
    limit: u64,
    max_lanes: usize,
) -> Result<Vec<Range<usize>>, GpuError> {
    let mut chunks = Vec::new();
    let mut start = 0;
    let mut sums: Vec<u64> = fixed.to_vec();
    for lane in 0..n_lanes {
        let add = cost.lane_bytes(lane);
        if sums.len() < add.len() {
            sums.resize(add.len(), 0);
        }
        let fits = |sums: &[u64]| sums.iter().zip(&add).all(|(&s, &a)| s.saturating_add(a) <= limit);
        if lane > start && (!fits(&sums) || lane - start >= max_lanes) {
            chunks.push(start..lane);
            start = lane;
            sums = fixed.to_vec();
            sums.resize(add.len(), 0);
        }
        if let Some(k) = (0..add.len()).find(|&k| sums[k].saturating_add(add[k]) > limit) {
            return Err(GpuError::TooLarge {
                what: format!("{} for one lane", cost.buffer_name(k)),
                bytes: sums[k].saturating_add(add[k]),
                limit,
            });
        }
        sums.iter_mut().zip(&add).for_each(|(s, &a)| *s = s.saturating_add(a));
    }
    if start < n_lanes {
        chunks.push(start..n_lanes);
    }
    Ok(chunks)
}

/// The per-lane bytes of every device buffer of a tile's chunks.
pub(crate) struct Cost<'a> {
    /// The deployment (population sizes, delays).
    pub dep: &'a GpuDeployment,
    /// The run.
    pub plan: &'a RunPlan,
    /// The tile whose lanes are cut.
    pub tile: &'a Tile,
    /// The tile's input (its image 0 is the tile's first).
    pub input: &'a SpikeInput,
}

impl Cost<'_> {
    /// Recorded images of the tile's lane `lane`.
    fn recorded(&self, lane: usize) -> u64 {
        let first = self.tile.first + lane * self.tile.per_lane;
        let r = &self.plan.rec_images;
        (first + self.tile.per_lane).min(r.end).saturating_sub(first.max(r.start)) as u64
    }
}

impl LaneCost for Cost<'_> {
    fn lane_bytes(&self, lane: usize) -> Vec<u64> {
        let plan = self.plan;
        let (per_lane, steps) = (self.tile.per_lane as u64, plan.steps as u64);
        let n_cp = plan.n_checkpoints() as u64;
        let mut out = Vec::with_capacity(3 * self.dep.pops.len() + 4);
        let mut tallies = 0u64;
        let mut rec = 0u64;
        let recorded = self.recorded(lane);
        for (p, pop) in self.dep.pops.iter().enumerate().skip(1) {
            let n = pop.n as u64;
            out.push(n.saturating_mul(16));
            out.push(n.saturating_mul(8).saturating_mul(pop.slots() as u64));
            out.push(pop.words() as u64 * 4);
            let cp = if p == plan.output { n_cp } else { 0 };
            tallies =
                tallies.saturating_add(n.saturating_mul(per_lane + 1 + cp.saturating_mul(per_lane)) * 4);
            if plan.spike_sel.iter().any(|s| s.population == p) {
                rec = rec.saturating_add(recorded * (steps + 1) * pop.words() as u64 * 4);
            }
            if plan.mem_sel.iter().any(|s| s.population == p) {
                rec = rec.saturating_add(recorded.saturating_mul(n).saturating_mul(steps) * 4);
            }
        }
        out.push(tallies);
        out.push(rec);
        let images = lane * self.tile.per_lane..(lane + 1) * self.tile.per_lane;
        let spikes: usize = images.map(|i| self.input.image_spikes(i)).sum();
        out.push((self.tile.lane_steps(plan) as u64 + 2 + spikes as u64) * 4);
        out.push(self.dep.projs.len() as u64 * 8);
        out
    }

    fn buffer_name(&self, k: usize) -> String {
        let per_pop = 3 * (self.dep.pops.len() - 1);
        if k < per_pop {
            let p = k / 3 + 1;
            let what = ["neuron state", "delay ring", "spike words"][k % 3];
            format!("the {what} of population {p}")
        } else {
            ["spike counts", "recordings", "input spike lists", "event counters"]
                .get(k - per_pop)
                .map_or_else(|| format!("buffer {k}"), |s| format!("the {s}"))
        }
    }
}

/// Consecutive lanes of a tile simulated together on the device, and where each
/// population's tallies and recordings sit in its shared buffers (u32 indices).
#[derive(Clone, Debug, Default)]
pub(crate) struct Chunk {
    /// Its lanes, tile-local.
    pub lanes: Range<usize>,
    /// Images per lane.
    pub per_lane: usize,
    /// Updates per lane.
    pub total: usize,
    /// Recorded images, chunk-local (`lane · per_lane + image of the lane`).
    pub rec: Range<usize>,
    /// Per population: its window counts (images × neurons; inputs have none).
    pub counts_off: Vec<usize>,
    /// Per population: its spike totals (lanes × neurons, top bit = non-finite state).
    pub totals_off: Vec<usize>,
    /// The output population's checkpoint counts (checkpoints × images × neurons).
    pub cp_off: usize,
    /// Words of the tallies buffer.
    pub tallies_len: usize,
    /// Per population: its spike raster (recorded images × stamps 0..=steps × words), if
    /// its spike times are recorded.
    pub raster_off: Vec<Option<usize>>,
    /// Per population: its membrane traces (recorded images × neurons × steps, f32 bits),
    /// if recorded.
    pub trace_off: Vec<Option<usize>>,
    /// Words of the recordings buffer.
    pub rec_len: usize,
}

impl Chunk {
    /// Lanes `lanes` of `tile`.
    pub fn new(dep: &GpuDeployment, plan: &RunPlan, tile: &Tile, lanes: Range<usize>) -> Self {
        let per_lane = tile.per_lane;
        let imgs = lanes.len() * per_lane;
        let first = tile.first + lanes.start * per_lane;
        let lo = plan.rec_images.start.clamp(first, first + imgs) - first;
        let hi = (plan.rec_images.end.clamp(first, first + imgs) - first).max(lo);
        let n_rec = hi - lo;
        let mut c = Chunk {
            lanes: lanes.clone(),
            per_lane,
            total: tile.lane_steps(plan),
            rec: lo..hi,
            ..Chunk::default()
        };
        let mut at = 0usize;
        let mut rec_at = 0usize;
        for (p, pop) in dep.pops.iter().enumerate() {
            c.counts_off.push(at);
            if p > 0 {
                at += imgs * pop.n;
            }
            c.totals_off.push(at);
            if p > 0 {
                at += lanes.len() * pop.n;
            }
            let raster = p > 0 && plan.spike_sel.iter().any(|s| s.population == p) && n_rec > 0;
            c.raster_off.push(raster.then_some(rec_at));
            if raster {
                rec_at += n_rec * (plan.steps + 1) * pop.words();
            }
            let trace = p > 0 && plan.mem_sel.iter().any(|s| s.population == p) && n_rec > 0;
            c.trace_off.push(trace.then_some(rec_at));
            if trace {
                rec_at += n_rec * pop.n * plan.steps;
            }
        }
        c.cp_off = at;
        at += plan.n_checkpoints() * imgs * dep.pops[plan.output].n;
        c.tallies_len = at;
        c.rec_len = rec_at;
        c
    }

    /// Number of lanes.
    pub fn n_lanes(&self) -> usize {
        self.lanes.len()
    }

    /// Number of images.
    pub fn n_images(&self) -> usize {
        self.lanes.len() * self.per_lane
    }

    /// The tile-local index of the chunk's image `img`.
    pub fn tile_image(&self, img: usize) -> usize {
        self.lanes.start * self.per_lane + img
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Flat(Vec<u64>);
    impl LaneCost for Flat {
        fn lane_bytes(&self, lane: usize) -> Vec<u64> {
            vec![self.0[lane], 4]
        }
        fn buffer_name(&self, k: usize) -> String {
            format!("buffer {k}")
        }
    }

    #[test]
    fn chunks_respect_the_limit_and_the_lane_cap() {
        let c = Flat(vec![10, 10, 10, 30, 5, 5]);
        assert_eq!(chunk_lanes(&c, 6, &[0, 0], 30, 100).unwrap(), vec![0..3, 3..4, 4..6]);
        assert_eq!(chunk_lanes(&c, 6, &[0, 0], 1000, 4).unwrap(), vec![0..4, 4..6]);
        assert_eq!(chunk_lanes(&c, 6, &[0, 0], 1000, 100).unwrap(), vec![0..6]);
        assert_eq!(chunk_lanes(&c, 0, &[0, 0], 1000, 100).unwrap(), Vec::<Range<usize>>::new());
        // fixed bytes count against every chunk
        assert_eq!(chunk_lanes(&c, 3, &[10, 0], 30, 100).unwrap(), vec![0..2, 2..3]);
        let err = chunk_lanes(&c, 6, &[0, 0], 20, 100).unwrap_err();
        assert!(matches!(err, GpuError::TooLarge { bytes: 30, limit: 20, .. }), "{err}");
        assert!(err.to_string().contains("buffer 0"), "{err}");
    }
}
