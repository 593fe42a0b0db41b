//! The run executor: the one loop that turns a batch of images into a [`RunOutput`] for
//! every time-stepped backend.
//!
//! A backend provides the stepping ([`TileSimulator::simulate`]); the executor does
//! everything around it once: the contract's run checks, the time grid, how the images are
//! cut into *lanes* and *tiles*, the readout windows, count checkpoints, spike-time and
//! membrane recording, activity totals, the memory check before anything is allocated, the
//! parallel loop over tiles and the assembly of the output in image order.
//!
//! ## Lanes, copies and tiles
//!
//! A *lane* is one independent simulation that carries its state through consecutive
//! images. The images of a run are dealt to the deployment's network copies
//! ([`Placement::copies`](crate::Placement), [`SpikeInput::with_copies`]): copy `c` runs its
//! share back to back. Under [`ImageBoundary::Continuous`](crate::ImageBoundary::Continuous) each copy's share is one lane;
//! under [`ImageBoundary::Reset`](crate::ImageBoundary::Reset) every image is a lane of its own (it starts from rest),
//! still attributed to its copy. Lanes of equal length are grouped into *tiles* of
//! consecutive lanes that a backend may step in lockstep; tiles are independent and run in
//! parallel. Tile sizes depend only on the lanes, never on the thread count, so a run is
//! bit-identical on any number of threads when the backend's lanes are.
//!
//! ## Stamps
//!
//! Within a lane, stamp `s` is the time `s · dt` after the lane's start; image `i` of the
//! lane starts at stamp `i · steps`. A spike with stamp `s` is counted for the image whose
//! readout window (`[−pause/2, duration + pause/2)`, [`SpikeInput::readout_window_steps`])
//! contains it, and recorded (spike times) for the image whose period contains it.

use std::time::Instant;

use ndarray::{s, Array2, Array3};
use rayon::prelude::*;

use crate::{
    Activity, BackendError, CountCheckpoints, PlatformInfo, RecordedMembrane, RecordedSpikes, RunOutput,
    SpikeInput,
};

mod output;
mod plan;

pub use output::TileOutput;
pub use plan::*;

/// The stepping a backend provides to the executor, for one run.
pub trait TileSimulator: Sync {
    /// The backend's own statistics of a tile (e.g. SpiNNaker's per-population tick
    /// overruns), merged over the tiles in image order.
    type Stats: Default + Send;

    /// Simulates `tile` of `plan` on `input` (the tile's images only, its image 0 being
    /// the tile's first) and reports every spike, sample, event and counter to `out`.
    ///
    /// **Errors** with the backend's errors, e.g. [`BackendError::Numerical`].
    fn simulate(
        &self,
        plan: &RunPlan,
        tile: &Tile,
        input: &SpikeInput,
        out: &mut TileOutput,
        stats: &mut Self::Stats,
    ) -> Result<(), BackendError>;

    /// Adds `from` (a later tile) to `into`.
    fn merge(into: &mut Self::Stats, from: Self::Stats);

    /// Working memory, bytes, of a tile of `lanes` lanes × `per_lane` images whose input
    /// holds `input_spikes` spikes (neuron state, buffers, input schedule; the outputs are
    /// counted by the executor).
    fn tile_bytes(&self, plan: &RunPlan, lanes: usize, per_lane: usize, input_spikes: usize) -> usize;
}

/// How the executor runs tiles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Executor {
    /// Most lanes per tile.
    pub max_lanes: usize,
    /// Most bytes a run may allocate for its outputs and the working memory of its largest
    /// tile.
    pub memory_limit_bytes: usize,
}

impl Executor {
    /// Simulates `plan` (made for `input`) with `sim` and assembles the output and the
    /// backend's statistics. The activity's biological times are filled; its hardware time
    /// is the platform's (`run_bio_ms / speedup`) or, for software simulators, the wall
    /// time of this call.
    ///
    /// **Errors** with [`BackendError::ResourceLimit`] before allocating anything if the run
    /// would need more than [`Executor::memory_limit_bytes`], or with the simulator's
    /// errors.
    pub fn run<S: TileSimulator>(
        &self,
        sim: &S,
        info: &PlatformInfo,
        plan: &RunPlan,
        input: &SpikeInput,
    ) -> Result<(RunOutput, S::Stats), BackendError> {
        self.run_tiles(sim, info, plan, input, &plan.tiles(self.max_lanes))
    }

    /// [`Executor::run`] on tiles of the backend's choosing instead of
    /// [`RunPlan::tiles`] (whose size [`Executor::max_lanes`] only caps): for a backend
    /// that steps many lanes at once on a device and cuts them to its own limits inside
    /// [`TileSimulator::simulate`], e.g. one tile per group of consecutive lanes of equal
    /// length. `tiles` must cover [`RunPlan::lanes`] in order, each tile consecutive lanes
    /// of [`Tile::per_lane`] images starting at image [`Tile::first`]; they still run in
    /// parallel. `max_lanes` is not used.
    ///
    /// **Errors** as [`Executor::run`], and with [`BackendError::Internal`] for tiles that
    /// do not cover the lanes so.
    pub fn run_tiles<S: TileSimulator>(
        &self,
        sim: &S,
        info: &PlatformInfo,
        plan: &RunPlan,
        input: &SpikeInput,
        tiles: &[Tile],
    ) -> Result<(RunOutput, S::Stats), BackendError> {
        let wall = Instant::now();
        check_tiles(plan, tiles)?;
        let largest = tiles.iter().max_by_key(|t| t.n_images());
        let per_tile =
            largest.map_or(0, |t| sim.tile_bytes(plan, t.n_lanes(), t.per_lane, input.total_spikes()));
        let bytes = plan.output_bytes().saturating_add(per_tile);
        if bytes > self.memory_limit_bytes {
            return Err(BackendError::ResourceLimit {
                what: "bytes of run output (counts, checkpoints, membrane traces) and working memory".into(),
                requested: bytes,
                limit: self.memory_limit_bytes,
            });
        }
        let outs: Vec<(TileOutput, S::Stats)> = tiles
            .par_iter()
            .map(|tile| {
                let tile_input = input.to_slice(tile.first..tile.first + tile.n_images())?;
                let mut out = TileOutput::new(plan, tile);
                let mut stats = S::Stats::default();
                sim.simulate(plan, tile, &tile_input, &mut out, &mut stats)?;
                Ok((out, stats))
            })
            .collect::<Result<_, BackendError>>()?;
        let (mut output, stats) = assemble(plan, outs, S::merge);
        output.activity.bio_time_ms = input.total_ms();
        output.activity.run_bio_ms = plan.run_bio_ms(input);
        let wall_s = wall.elapsed().as_secs_f64();
        output.activity.wall_time_s = wall_s;
        output.activity.hardware_time_s = info.hardware_time_s(output.activity.run_bio_ms).unwrap_or(wall_s);
        Ok((output, stats))
    }
}

/// [`BackendError::Internal`] unless `tiles` cover the plan's lanes in order, each of
/// consecutive lanes of its length.
fn check_tiles(plan: &RunPlan, tiles: &[Tile]) -> Result<(), BackendError> {
    let mut next = 0;
    for t in tiles {
        let lanes = plan.lanes.get(t.lanes.clone()).unwrap_or_default();
        let fits = t.lanes.start == next
            && !lanes.is_empty()
            && lanes[0].first == t.first
            && lanes
                .iter()
                .enumerate()
                .all(|(k, l)| l.images == t.per_lane && l.first == t.first + k * t.per_lane);
        if !fits {
            return Err(BackendError::Internal {
                what: format!("tile {t:?} does not continue the run's lanes at lane {next}"),
            });
        }
        next = t.lanes.end;
    }
    if next != plan.lanes.len() {
        return Err(BackendError::Internal {
            what: format!("the tiles cover {next} of the run's {} lanes", plan.lanes.len()),
        });
    }
    Ok(())
}

/// Merges tile outputs (in image order) into a run output.
fn assemble<St: Default>(
    plan: &RunPlan,
    tiles: Vec<(TileOutput, St)>,
    merge: fn(&mut St, St),
) -> (RunOutput, St) {
    let n = plan.n_images;
    let n_out = plan.sizes[plan.output];
    let mut counts: Vec<Array2<u32>> = plan.sizes.iter().map(|&m| Array2::zeros((n, m))).collect();
    let mut cps: Vec<Array2<u32>> = (0..plan.n_checkpoints()).map(|_| Array2::zeros((n, n_out))).collect();
    let n_rec = plan.rec_images.len();
    let mut spike_times: Vec<Vec<Vec<Vec<f64>>>> =
        plan.spike_sel.iter().map(|_| Vec::with_capacity(n_rec)).collect();
    let mut traces: Vec<Array3<f64>> =
        plan.mem_sel.iter().map(|sel| Array3::zeros((n_rec, sel.neurons.len(), plan.steps))).collect();
    let mut activity = Activity::zeros(plan.sizes.len(), plan.n_projections);
    let mut stats = St::default();
    for (tile, st) in tiles {
        let m = tile.counts.first().map_or(0, |c| c.nrows());
        let rows = tile.first..tile.first + m;
        for (all, part) in counts.iter_mut().zip(&tile.counts) {
            all.slice_mut(s![rows.clone(), ..]).assign(part);
        }
        for (all, part) in cps.iter_mut().zip(&tile.checkpoints) {
            all.slice_mut(s![rows.clone(), ..]).assign(part);
        }
        for (all, part) in spike_times.iter_mut().zip(tile.rec_spikes) {
            all.extend(part);
        }
        for (all, part) in traces.iter_mut().zip(&tile.rec_mem) {
            let k = part.shape()[0];
            if k > 0 {
                let r0 = tile.first + tile.rec.start - plan.rec_images.start;
                all.slice_mut(s![r0..r0 + k, .., ..]).assign(part);
            }
        }
        activity.spikes.iter_mut().zip(&tile.spikes).for_each(|(a, b)| *a += b);
        activity.synaptic_events.iter_mut().zip(&tile.events).for_each(|(a, b)| *a += b);
        for (c, v) in tile.counters {
            let total = activity.counters.entry(c).or_insert(0);
            *total = c.combine(*total, v);
        }
        merge(&mut stats, st);
    }
    for c in 1..cps.len() {
        let (done, rest) = cps.split_at_mut(c);
        rest[0] += &done[c - 1];
    }
    let checkpoints = (!plan.cp_times_ms.is_empty() || plan.n_checkpoints() > 0).then(|| CountCheckpoints {
        population: plan.output,
        times_ms: plan.cp_times_ms.clone(),
        counts: cps,
    });
    let spikes = plan
        .spike_sel
        .iter()
        .zip(spike_times)
        .map(|(sel, times_ms)| RecordedSpikes {
            population: sel.population,
            neurons: sel.neurons.clone(),
            first_image: plan.rec_images.start,
            times_ms,
        })
        .collect();
    let membrane = plan
        .mem_sel
        .iter()
        .zip(traces)
        .map(|(sel, v_mv)| RecordedMembrane {
            population: sel.population,
            neurons: sel.neurons.clone(),
            first_image: plan.rec_images.start,
            dt_ms: plan.dt_ms,
            v_mv,
        })
        .collect();
    activity.images = n;
    let neurons: usize = plan.sizes.iter().skip(1).sum();
    activity.neuron_updates = (neurons * plan.steps * n) as u64;
    (RunOutput { counts, spikes, membrane, checkpoints, activity }, stats)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Counter, Encoder, IfCurrExpParams, ImageBoundary, NeuronSelection, Recording, SnnNetwork};

    fn net() -> SnnNetwork {
        let lif = IfCurrExpParams::new().into_model().expect("params");
        SnnNetwork::feed_forward(2, vec![(lif, ndarray::Array2::zeros((2, 3)))], 1.0).expect("net")
    }

    fn input(n: usize, continuous: bool) -> SpikeInput {
        let boundary = if continuous { ImageBoundary::Continuous } else { ImageBoundary::Reset };
        let x = ndarray::Array2::<f32>::from_elem((n, 2), 0.5);
        Encoder::regular(100.0, 20.0, 10.0)
            .expect("enc")
            .with_boundary(boundary)
            .encode(x.view())
            .expect("input")
    }

    fn plan(input: &SpikeInput, copies: usize) -> Result<RunPlan, BackendError> {
        RunPlan::new(&PlatformInfo::new("test", 1.0), &net(), input, &Recording::counts_only(), copies, 1.0)
    }

    #[test]
    fn copies_share_the_images_in_order_as_snabsuite_cuts_its_batches() {
        // 10 images on 3 copies: ⌈10/3⌉ = 4 each, the last copy gets the remaining 2
        let p = plan(&input(10, true), 3).expect("plan");
        let lanes: Vec<(usize, usize, usize)> = p.lanes.iter().map(|l| (l.first, l.images, l.copy)).collect();
        assert_eq!(lanes, vec![(0, 4, 0), (4, 4, 1), (8, 2, 2)]);
        assert_eq!(p.images_per_copy, 4);
        assert_eq!(p.run_bio_ms(&input(10, true)), 4.0 * 30.0);
        // lockstep tiles hold lanes of one length only
        let tiles = p.tiles(8);
        assert_eq!(
            tiles.iter().map(|t| (t.lanes.clone(), t.per_lane)).collect::<Vec<_>>(),
            vec![(0..1, 4), (1..2, 4), (2..3, 2)]
        );
        let p40 = plan(&input(40, false), 1).expect("plan");
        assert_eq!(
            p40.tiles(8).iter().map(|t| t.n_lanes()).collect::<Vec<_>>(),
            vec![3; 13].into_iter().chain([1]).collect::<Vec<_>>()
        );
        // under Reset every image is a lane of its own, still on its copy
        let p = plan(&input(10, false), 3).expect("plan");
        assert_eq!(p.lanes.len(), 10);
        assert_eq!(p.lanes.iter().map(|l| l.copy).collect::<Vec<_>>(), vec![0, 0, 0, 0, 1, 1, 1, 1, 2, 2]);
        assert_eq!(p.images_per_copy, 4);
        // one copy: one lane (Continuous), the whole batch's time
        let p = plan(&input(10, true), 1).expect("plan");
        assert_eq!(p.lanes, vec![Lane { first: 0, images: 10, copy: 0 }]);
        assert_eq!(p.run_bio_ms(&input(10, true)), 300.0);
    }

    #[test]
    fn an_explicit_copy_layout_names_the_copies_and_must_fit_the_deployment() {
        let inp = input(6, true).with_copies(2, 3).expect("layout");
        let p = plan(&inp, 4).expect("plan");
        assert_eq!(p.lanes.iter().map(|l| (l.first, l.copy)).collect::<Vec<_>>(), vec![(0, 2), (3, 3)]);
        let err = plan(&inp, 3).expect_err("copy 3 does not exist");
        assert!(matches!(err, BackendError::InvalidInput { .. }), "{err}");
        assert!(input(1, true).with_copies(0, 0).is_err());
    }

    #[test]
    fn stamps_map_to_windows_and_periods_as_the_timing_rules_say() {
        // period 30 steps, window [-5, 25)
        let p = plan(&input(3, true), 1).expect("plan");
        assert_eq!((p.steps, p.window), (30, (-5, 25)));
        assert_eq!(p.window_image(0, 3), Some((0, 0)));
        assert_eq!(p.window_image(24, 3), Some((0, 24)));
        assert_eq!(p.window_image(25, 3), Some((1, -5)), "the next image's early window");
        assert_eq!(p.window_image(85, 3), None, "after the last image's window");
        assert_eq!(p.period_image(31, 3), (1, 1));
        assert_eq!(p.period_image(90, 3), (2, 30), "the very last stamp stays in the last image");
    }

    /// Lanes that spike on their own clock: neuron `s % 3` of population 1 at every lane
    /// stamp `s ≥ 1`, membrane `k + j` after update `k`; one `GpuChunks` per tile.
    struct Clockwork;

    impl TileSimulator for Clockwork {
        type Stats = usize;

        fn simulate(
            &self,
            plan: &RunPlan,
            tile: &Tile,
            _: &SpikeInput,
            out: &mut TileOutput,
            tiles: &mut usize,
        ) -> Result<(), BackendError> {
            *tiles += 1;
            for b in 0..tile.n_lanes() {
                for k in 0..tile.lane_steps(plan) {
                    out.membrane(plan, b, k, |_, j| (k + j) as f64);
                    out.spikes(plan, b, k + 1, 1, &[((k + 1) % 3) as u32]);
                }
            }
            out.count(Counter::GpuChunks, 1);
            Ok(())
        }

        fn merge(into: &mut usize, from: usize) {
            *into += from;
        }

        fn tile_bytes(&self, _: &RunPlan, _: usize, _: usize, _: usize) -> usize {
            0
        }
    }

    fn recording() -> Recording {
        Recording::counts_only()
            .with_spikes(NeuronSelection::list(1, vec![2, 0, 2]))
            .with_membrane(NeuronSelection::list(1, vec![1]))
            .with_checkpoints(7.0)
            .for_images(1..4)
    }

    fn without_timings(mut out: RunOutput) -> RunOutput {
        out.activity.wall_time_s = 0.0;
        out.activity.hardware_time_s = 0.0;
        out.activity.counters.clear();
        out
    }

    #[test]
    fn run_tiles_takes_the_backends_tiles_with_the_same_output() {
        let info = PlatformInfo::new("test", 1.0);
        let exec = Executor { max_lanes: 8, memory_limit_bytes: usize::MAX };
        for (n, continuous, copies) in [(40, false, 1), (10, true, 3), (6, true, 1)] {
            let inp = input(n, continuous);
            let p = RunPlan::new(&info, &net(), &inp, &recording(), copies, 1.0).expect("plan");
            let (by_run, tiles) = exec.run(&Clockwork, &info, &p, &inp).expect("run");
            assert_eq!(tiles, p.tiles(8).len());
            // one tile per group of equal lanes
            let mut groups: Vec<Tile> = Vec::new();
            for (k, l) in p.lanes.iter().enumerate() {
                match groups.last_mut() {
                    Some(t) if t.per_lane == l.images => t.lanes.end = k + 1,
                    _ => groups.push(Tile { lanes: k..k + 1, first: l.first, per_lane: l.images }),
                }
            }
            let (by_groups, tiles) = exec.run_tiles(&Clockwork, &info, &p, &inp, &groups).expect("run");
            assert_eq!(tiles, groups.len());
            assert_eq!(by_groups.activity.counters[&Counter::GpuChunks], groups.len() as u64);
            assert_eq!(without_timings(by_groups), without_timings(by_run.clone()), "{n} images");
            assert!(by_run.counts[1].sum() > 0 && by_run.checkpoints.is_some());
        }
        // tiles that skip, repeat or mis-size lanes are refused
        let inp = input(10, true);
        let p = RunPlan::new(&info, &net(), &inp, &recording(), 3, 1.0).expect("plan");
        let bad = [
            vec![Tile { lanes: 0..2, first: 0, per_lane: 4 }],
            vec![Tile { lanes: 0..3, first: 0, per_lane: 4 }],
            vec![Tile { lanes: 0..2, first: 0, per_lane: 4 }, Tile { lanes: 1..3, first: 4, per_lane: 2 }],
            vec![Tile { lanes: 0..2, first: 1, per_lane: 4 }, Tile { lanes: 2..3, first: 8, per_lane: 2 }],
        ];
        for tiles in bad {
            let err = exec.run_tiles(&Clockwork, &info, &p, &inp, &tiles).expect_err("bad tiles");
            assert!(matches!(err, BackendError::Internal { .. }), "{tiles:?}: {err}");
        }
    }

    #[test]
    fn counting_in_bulk_equals_reporting_spikes() {
        // what a device that counts on its own reports: rows of counts, checkpoint rows,
        // totals and recorded times, against the same spikes reported one stamp at a time
        let inp = input(5, true);
        let p = RunPlan::new(&PlatformInfo::new("t", 1.0), &net(), &inp, &recording(), 2, 1.0).expect("plan");
        let tile = p.tiles(8)[0].clone();
        assert_eq!((tile.n_lanes(), tile.per_lane, p.n_checkpoints()), (1, 3, 3));
        let fired = |s: usize| -> Vec<u32> { (0..3u32).filter(|&j| (s + j as usize) % 4 == 0).collect() };
        let mut one = TileOutput::new(&p, &tile);
        let mut bulk = TileOutput::new(&p, &tile);
        let n_out = p.sizes[p.output];
        let mut rows = vec![vec![0u32; n_out]; tile.n_images()];
        let mut cp_rows = vec![vec![vec![0u32; n_out]; tile.n_images()]; p.n_checkpoints()];
        let mut total = 0;
        for s in 0..=tile.lane_steps(&p) {
            let neurons = fired(s);
            one.spikes(&p, 0, s, 1, &neurons);
            total += neurons.len() as u64;
            bulk.record_spikes(&p, 0, s, 1, &neurons);
            if let Some((i, rel)) = p.window_image(s, tile.per_lane) {
                let c = p.checkpoint_limits().partition_point(|&l| l < rel);
                for &j in &neurons {
                    rows[i][j as usize] += 1;
                    if let Some(cp) = cp_rows.get_mut(c) {
                        cp[i][j as usize] += 1;
                    }
                }
            }
        }
        for (img, row) in rows.iter().enumerate() {
            bulk.add_counts(1, img, row);
        }
        for (c, cp) in cp_rows.iter().enumerate() {
            for (img, row) in cp.iter().enumerate() {
                bulk.add_checkpoint_counts(c, img, row);
            }
        }
        bulk.add_spikes(1, total);
        let (a, ()) = assemble(&p, vec![(one, ())], |_, _| {});
        let (b, ()) = assemble(&p, vec![(bulk, ())], |_, _| {});
        assert!(a.counts[1].sum() > 0 && a.spikes[0].times_ms.iter().flatten().any(|t| !t.is_empty()));
        assert_eq!(a, b);
    }

    #[test]
    fn absurd_checkpoint_intervals_are_refused_before_allocating() {
        let rec = Recording::counts_only().with_checkpoints(1e-9);
        let err = RunPlan::new(&PlatformInfo::new("t", 1.0), &net(), &input(1, false), &rec, 1, 1.0)
            .expect_err("too many checkpoints");
        assert!(matches!(err, BackendError::ResourceLimit { .. }), "{err}");
        let rec = Recording::counts_only().with_spikes(NeuronSelection::all(9));
        assert!(RunPlan::new(&PlatformInfo::new("t", 1.0), &net(), &input(1, false), &rec, 1, 1.0).is_err());
    }
}
