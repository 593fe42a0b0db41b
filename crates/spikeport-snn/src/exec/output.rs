//! What a backend writes while it simulates a tile.

use super::{RunPlan, Tile};
use std::collections::BTreeMap;
use std::ops::Range;

use ndarray::{Array2, Array3};

use crate::Counter;

/// What one tile produced: filled by the backend through its methods, merged by the
/// executor in image order.
#[derive(Clone, Debug)]
pub struct TileOutput {
    pub(super) first: usize,
    pub(super) per_lane: usize,
    pub(super) counts: Vec<Array2<u32>>,
    /// Per checkpoint, spikes first counted at that checkpoint (not yet cumulative).
    pub(super) checkpoints: Vec<Array2<u32>>,
    pub(super) rec: Range<usize>,
    pub(super) rec_spikes: Vec<Vec<Vec<Vec<f64>>>>,
    pub(super) rec_mem: Vec<Array3<f64>>,
    pub(super) spikes: Vec<u64>,
    pub(super) events: Vec<u64>,
    pub(super) counters: BTreeMap<Counter, u64>,
}

impl TileOutput {
    /// Empty outputs for `tile` of `plan`.
    pub fn new(plan: &RunPlan, tile: &Tile) -> Self {
        let n_img = tile.n_images();
        let n_out = plan.sizes[plan.output];
        let lo = plan.rec_images.start.clamp(tile.first, tile.first + n_img) - tile.first;
        let hi = (plan.rec_images.end.clamp(tile.first, tile.first + n_img) - tile.first).max(lo);
        let n_rec = hi - lo;
        Self {
            first: tile.first,
            per_lane: tile.per_lane,
            counts: plan.sizes.iter().map(|&n| Array2::zeros((n_img, n))).collect(),
            checkpoints: (0..plan.n_checkpoints()).map(|_| Array2::zeros((n_img, n_out))).collect(),
            rec: lo..hi,
            rec_spikes: plan
                .spike_sel
                .iter()
                .map(|sel| vec![vec![Vec::new(); sel.neurons.len()]; n_rec])
                .collect(),
            rec_mem: plan
                .mem_sel
                .iter()
                .map(|sel| Array3::zeros((n_rec, sel.neurons.len(), plan.steps)))
                .collect(),
            spikes: vec![0; plan.sizes.len()],
            events: vec![0; plan.n_projections],
            counters: BTreeMap::new(),
        }
    }

    /// Neurons `neurons` of population `p` of lane `lane` (tile-local) spiked with lane
    /// stamp `s`: counts them in the readout window of their image (and its checkpoints),
    /// records their times if asked, and adds them to the spike total.
    #[inline]
    pub fn spikes(&mut self, plan: &RunPlan, lane: usize, s: usize, p: usize, neurons: &[u32]) {
        if neurons.is_empty() {
            return;
        }
        self.spikes[p] += neurons.len() as u64;
        let per_lane = self.per_lane;
        if let Some((i, rel)) = plan.window_image(s, per_lane) {
            let img = lane * per_lane + i;
            let mut row = self.counts[p].row_mut(img);
            for &j in neurons {
                row[j as usize] += 1;
            }
            if p == plan.output && !self.checkpoints.is_empty() {
                let c = plan.cp_limits.partition_point(|&l| l < rel);
                if let Some(cp) = self.checkpoints.get_mut(c) {
                    let mut row = cp.row_mut(img);
                    for &j in neurons {
                        row[j as usize] += 1;
                    }
                }
            }
        }
        self.record_spikes(plan, lane, s, p, neurons);
    }

    /// Records the spike times of neurons `neurons` of population `p` of lane `lane`
    /// (tile-local) that spiked with lane stamp `s`, as [`TileOutput::spikes`] does, without
    /// counting them: for backends that count on their own ([`TileOutput::add_counts`]).
    /// Does nothing for images not recorded or populations without a spike recording.
    #[inline]
    pub fn record_spikes(&mut self, plan: &RunPlan, lane: usize, s: usize, p: usize, neurons: &[u32]) {
        if self.rec.is_empty() || neurons.is_empty() {
            return;
        }
        let per_lane = self.per_lane;
        for (sel, out) in plan.spike_sel.iter().zip(self.rec_spikes.iter_mut()) {
            if sel.population != p {
                continue;
            }
            let (i, rel) = plan.period_image(s, per_lane);
            let img = lane * per_lane + i;
            if self.rec.contains(&img) {
                let t = rel as f64 * plan.dt_ms;
                for &j in neurons {
                    for k in sel.positions(j) {
                        out[img - self.rec.start][k].push(t);
                    }
                }
            }
        }
    }

    /// Adds `row` (one count per neuron of population `p`) to the readout-window counts of
    /// the tile's image `img` (tile-local: `lane · per_lane +` the image's index in its
    /// lane), for backends that count the readout window themselves (e.g. on a device).
    /// Neither the spike total ([`TileOutput::add_spikes`]) nor the checkpoints
    /// ([`TileOutput::add_checkpoint_counts`]) change.
    ///
    /// **Panics** if `p` or `img` is out of range or `row` is not one entry per neuron.
    #[inline]
    pub fn add_counts(&mut self, p: usize, img: usize, row: &[u32]) {
        let mut dst = self.counts[p].row_mut(img);
        assert_eq!(dst.len(), row.len(), "one count per neuron of population {p}");
        dst.iter_mut().zip(row).for_each(|(d, &x)| *d += x);
    }

    /// Adds `row` (one count per neuron of the output population) to the spikes of the
    /// tile's image `img` (tile-local) first counted at checkpoint `c`, i.e. with a
    /// relative stamp in `(limit[c − 1], limit[c]]` ([`RunPlan::checkpoint_limits`]); the
    /// executor accumulates the checkpoints.
    ///
    /// **Panics** if `c` or `img` is out of range or `row` is not one entry per output
    /// neuron.
    #[inline]
    pub fn add_checkpoint_counts(&mut self, c: usize, img: usize, row: &[u32]) {
        let mut dst = self.checkpoints[c].row_mut(img);
        assert_eq!(dst.len(), row.len(), "one count per output neuron");
        dst.iter_mut().zip(row).for_each(|(d, &x)| *d += x);
    }

    /// Adds `n` spikes to the total of population `p` (the activity's spikes), for spikes
    /// not reported through [`TileOutput::spikes`].
    #[inline]
    pub fn add_spikes(&mut self, p: usize, n: u64) {
        self.spikes[p] += n;
    }

    /// Whether lane `lane`'s image at update `k` (its state after update `k` is sampled)
    /// has membrane traces to record.
    #[inline]
    pub fn records_membrane(&self, lane: usize, k: usize, plan: &RunPlan) -> bool {
        !self.rec_mem.is_empty() && self.rec.contains(&(lane * self.per_lane + k / plan.steps))
    }

    /// Records the membrane potentials of lane `lane` after update `k`: `v(p, j)` is
    /// neuron `j` of population `p`, mV. Does nothing for images not recorded.
    #[inline]
    pub fn membrane(&mut self, plan: &RunPlan, lane: usize, k: usize, v: impl Fn(usize, usize) -> f64) {
        if !self.records_membrane(lane, k, plan) {
            return;
        }
        let (i, sample) = (k / plan.steps, k % plan.steps);
        let r = lane * self.per_lane + i - self.rec.start;
        for (sel, trace) in plan.mem_sel.iter().zip(self.rec_mem.iter_mut()) {
            for (kk, &j) in sel.neurons.iter().enumerate() {
                trace[[r, kk, sample]] = v(sel.population, j);
            }
        }
    }

    /// Adds `n` synaptic events to projection `projection`.
    #[inline]
    pub fn events(&mut self, projection: usize, n: u64) {
        self.events[projection] += n;
    }

    /// Adds `n` to the platform counter `counter` ([`Counter::combine`]).
    pub fn count(&mut self, counter: Counter, n: u64) {
        let total = self.counters.entry(counter).or_insert(0);
        *total = counter.combine(*total, n);
    }
}
