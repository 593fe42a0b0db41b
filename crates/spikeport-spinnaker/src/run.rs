//! A run on the modelled machine: every lane of a tile tick by tick in fixed point, with the
//! per-core CPU budget, ring buffers and packet counts; the run executor of the contract
//! ([`spikeport_snn::exec`]) does the rest (lanes, windows, recording, assembly).

use spikeport_lif::InputSchedule;
use spikeport_snn::exec::{RunPlan, Tile, TileOutput, TileSimulator};
use spikeport_snn::{BackendError, Counter, SpikeInput};

use crate::backend::DT_MS;
use crate::fixed::{ring_add, ring_to_input};
use crate::kernel::NeuronState;
use crate::machine::SpinnakerConfig;
use crate::mapping::{PopPlan, ProjPlan};

/// What a run did beyond [`Activity`](spikeport_snn::Activity): saturations, overruns,
/// packets, times.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct RunStats {
    /// Ring-buffer additions that saturated at 65535, per population.
    pub ring_saturations: Vec<u64>,
    /// Ring-buffer entries whose left shift saturated s16.15 when transferred.
    pub input_saturations: u64,
    /// Core-ticks whose assumed cycle count exceeded the tick budget, per population
    /// (index 0, the spike sources, is always 0: their cost is not modelled).
    pub overrun_ticks: Vec<u64>,
    /// Core-ticks simulated (neuron cores × ticks, all copies).
    pub core_ticks: u64,
    /// Largest assumed cycle count of one core in one tick.
    pub max_tick_cycles: u64,
    /// Multicast packets sent: one per spike of a neuron with outgoing projections
    /// (input spikes included).
    pub packets_sent: u64,
    /// Packets delivered to cores: one per (spike, target core with synapses from it).
    pub packet_deliveries: u64,
    /// Modelled run time on the machine: the run's span (the longest share of images of
    /// one copy × the image period) × time-scale factor, s.
    pub run_time_s: f64,
    /// Fixed set-up / load time of the run, s (reported apart from `run_time_s`).
    pub load_time_s: f64,
}

impl RunStats {
    /// All ring-buffer saturations.
    pub fn ring_saturations(&self) -> u64 {
        self.ring_saturations.iter().sum::<u64>() + self.input_saturations
    }

    /// All overrun core-ticks.
    pub fn overrun_ticks(&self) -> u64 {
        self.overrun_ticks.iter().sum()
    }

    /// The smallest time-scale factor at which no core tick of this run would have
    /// overrun: the largest tick's cycles ÷ the cycles of a real-time tick.
    pub fn required_time_scale_factor(&self, config: &SpinnakerConfig) -> f64 {
        let real_time = SpinnakerConfig { time_scale_factor: 1.0, ..config.clone() }.cycles_per_tick(DT_MS);
        (self.max_tick_cycles as f64 / real_time.max(1) as f64).max(1.0)
    }

    fn zeros(populations: usize) -> Self {
        Self {
            ring_saturations: vec![0; populations],
            overrun_ticks: vec![0; populations],
            ..Self::default()
        }
    }

    /// Adds `o` (a later part of the run).
    pub(crate) fn add(&mut self, o: &RunStats) {
        fn add_vec(a: &mut Vec<u64>, b: &[u64]) {
            if a.len() < b.len() {
                a.resize(b.len(), 0);
            }
            a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
        }
        add_vec(&mut self.ring_saturations, &o.ring_saturations);
        add_vec(&mut self.overrun_ticks, &o.overrun_ticks);
        self.input_saturations += o.input_saturations;
        self.core_ticks += o.core_ticks;
        self.max_tick_cycles = self.max_tick_cycles.max(o.max_tick_cycles);
        self.packets_sent += o.packets_sent;
        self.packet_deliveries += o.packet_deliveries;
    }

    /// The largest core-tick load of the run, ‰ of a real-time tick's cycles.
    pub fn max_tick_load_permille(&self, config: &SpinnakerConfig) -> u64 {
        let real_time = SpinnakerConfig { time_scale_factor: 1.0, ..config.clone() }.cycles_per_tick(DT_MS);
        (self.max_tick_cycles as f64 * 1000.0 / real_time.max(1) as f64).ceil() as u64
    }

    /// The run's platform counters.
    pub(crate) fn counters(&self, config: &SpinnakerConfig) -> [(Counter, u64); 6] {
        [
            (Counter::RingSaturations, self.ring_saturations()),
            (Counter::TickOverruns, self.overrun_ticks()),
            (Counter::CoreTicks, self.core_ticks),
            (Counter::PacketsSent, self.packets_sent),
            (Counter::PacketDeliveries, self.packet_deliveries),
            (Counter::MaxTickLoadPermille, self.max_tick_load_permille(config)),
        ]
    }
}

/// One run of a deployment, as the executor's [`TileSimulator`].
pub(crate) struct MachineRun<'a> {
    pub(crate) pops: &'a [PopPlan],
    pub(crate) projs: &'a [ProjPlan],
    pub(crate) config: &'a SpinnakerConfig,
    pub(crate) ring_slots: usize,
}

/// Per-population mutable state of a lane.
struct PopState {
    neurons: Vec<NeuronState>,
    ring: Vec<u16>,
    spiked: Vec<u32>,
    tick_rows: Vec<u64>,
    tick_events: Vec<u64>,
}

impl TileSimulator for MachineRun<'_> {
    type Stats = RunStats;

    /// The lanes of a tile one after another (a copy's cores run its lane).
    fn simulate(
        &self,
        plan: &RunPlan,
        tile: &Tile,
        input: &SpikeInput,
        out: &mut TileOutput,
        stats: &mut RunStats,
    ) -> Result<(), BackendError> {
        let sched =
            InputSchedule::new(input, DT_MS).map_err(|e| BackendError::invalid_input(e.to_string()))?;
        *stats = RunStats::zeros(self.pops.len());
        for lane in 0..tile.n_lanes() {
            self.simulate_lane(plan, &sched, lane, tile.per_lane, out, stats);
        }
        Ok(())
    }

    fn merge(into: &mut RunStats, from: RunStats) {
        into.add(&from);
    }

    /// Neuron state and ring buffers of one lane plus the input schedule of the tile.
    fn tile_bytes(&self, plan: &RunPlan, lanes: usize, per_lane: usize, input_spikes: usize) -> usize {
        let state: usize = self
            .pops
            .iter()
            .filter(|p| p.kernel.is_some())
            .map(|p| p.n.saturating_mul(std::mem::size_of::<NeuronState>() + 4 * self.ring_slots))
            .fold(0, usize::saturating_add);
        let images = lanes.saturating_mul(per_lane);
        let schedule = images.saturating_mul(plan.steps.saturating_add(2)).saturating_mul(4);
        state.saturating_add(schedule).saturating_add(input_spikes.saturating_mul(4))
    }
}

impl MachineRun<'_> {
    /// Input spikes with lane stamp `s` of a lane of `len` images starting at tile image
    /// `first`: the images' own spikes at `s`, plus those stamped at the very end of the
    /// previous image (only possible without a pause).
    fn input_at(
        sched: &InputSchedule,
        period: usize,
        first: usize,
        len: usize,
        s: usize,
    ) -> (&[u32], &[u32]) {
        let (q, r) = (s / period, s % period);
        let a = if q < len { sched.at(first + q, r) } else { &[][..] };
        let b = if r == 0 && q >= 1 && q <= len { sched.at(first + q - 1, period) } else { &[][..] };
        (a, b)
    }

    fn simulate_lane(
        &self,
        plan: &RunPlan,
        sched: &InputSchedule,
        lane: usize,
        len: usize,
        out: &mut TileOutput,
        stats: &mut RunStats,
    ) {
        let pops = self.pops;
        let slots = self.ring_slots;
        let period = plan.steps;
        let budget = self.config.cycles_per_tick(DT_MS);
        let mut st: Vec<PopState> = pops
            .iter()
            .map(|p| PopState {
                neurons: p.kernel.map_or_else(Vec::new, |k| vec![k.rest(); p.n]),
                ring: if p.kernel.is_some() { vec![0; slots * 2 * p.n] } else { Vec::new() },
                spiked: Vec::new(),
                tick_rows: vec![0; p.cores()],
                tick_events: vec![0; p.cores()],
            })
            .collect();
        let has_out: Vec<bool> = (0..pops.len()).map(|p| self.projs.iter().any(|q| q.pre == p)).collect();
        let first = lane * len;
        let total = len * period;
        self.emit(plan, sched, &mut st, out, stats, lane, first, len, 0, &has_out);
        for g in 0..total {
            let slot = g % slots;
            for (p, pp) in pops.iter().enumerate() {
                let Some(k) = pp.kernel else { continue };
                let s = &mut st[p];
                let n = pp.n;
                // (0) ring buffer → synaptic state
                for r in 0..2 {
                    let base = (slot * 2 + r) * n;
                    for j in 0..n {
                        let w = s.ring[base + j];
                        if w != 0 {
                            let (x, sat) = ring_to_input(w, pp.shifts[j / pp.per_core][r]);
                            stats.input_saturations += u64::from(sat);
                            k.add_input(&mut s.neurons[j], r, x);
                            s.ring[base + j] = 0;
                        }
                    }
                }
                // (1)–(4) neuron updates
                s.spiked.clear();
                for (j, ns) in s.neurons.iter_mut().enumerate() {
                    if k.step(ns) {
                        s.spiked.push(j as u32);
                    }
                }
                // CPU budget of each core in this tick
                let c = &self.config.cycles;
                for core in 0..pp.cores() {
                    let n_core = (pp.n - core * pp.per_core).min(pp.per_core) as u64;
                    let cycles = n_core * c.per_neuron
                        + s.tick_rows[core] * c.per_spike_row
                        + s.tick_events[core] * c.per_synaptic_event;
                    stats.max_tick_cycles = stats.max_tick_cycles.max(cycles);
                    stats.overrun_ticks[p] += u64::from(cycles > budget);
                    s.tick_rows[core] = 0;
                    s.tick_events[core] = 0;
                }
                stats.core_ticks += pp.cores() as u64;
            }
            // membrane potentials after update g
            out.membrane(plan, lane, g, |p, j| st[p].neurons[j].v.to_f64());
            self.emit(plan, sched, &mut st, out, stats, lane, first, len, g + 1, &has_out);
        }
    }

    /// Count, record and propagate all spikes with lane stamp `s` (neurons spiked in update
    /// `s − 1`, inputs stamped `s`).
    #[allow(clippy::too_many_arguments)]
    fn emit(
        &self,
        plan: &RunPlan,
        sched: &InputSchedule,
        st: &mut [PopState],
        out: &mut TileOutput,
        stats: &mut RunStats,
        lane: usize,
        first: usize,
        len: usize,
        s: usize,
        has_out: &[bool],
    ) {
        let (ia, ib) = Self::input_at(sched, plan.steps, first, len, s);
        st[0].spiked.clear();
        st[0].spiked.extend_from_slice(ia);
        st[0].spiked.extend_from_slice(ib);
        for p in 0..st.len() {
            if st[p].spiked.is_empty() {
                continue;
            }
            if has_out[p] {
                stats.packets_sent += st[p].spiked.len() as u64;
            }
            out.spikes(plan, lane, s, p, &st[p].spiked);
            // propagate into the post populations' ring buffers
            let spiked = std::mem::take(&mut st[p].spiked);
            for (k, proj) in self.projs.iter().enumerate().filter(|(_, q)| q.pre == p) {
                let post = proj.post;
                let n_post = self.pops[post].n;
                let slot = (s + proj.delay) % self.ring_slots;
                let t = &mut st[post];
                let mut events = 0u64;
                for &j in &spiked {
                    let j = j as usize;
                    let row = &proj.syns[proj.row_off[j] as usize..proj.row_off[j + 1] as usize];
                    events += row.len() as u64;
                    for syn in row {
                        let idx = (slot * 2 + syn.receptor as usize) * n_post + syn.post as usize;
                        stats.ring_saturations[post] += u64::from(ring_add(&mut t.ring[idx], syn.w));
                    }
                    for &(core, cnt) in &proj.segs[proj.seg_off[j] as usize..proj.seg_off[j + 1] as usize] {
                        t.tick_rows[core as usize] += 1;
                        t.tick_events[core as usize] += u64::from(cnt);
                        stats.packet_deliveries += 1;
                    }
                }
                out.events(k, events);
            }
            st[p].spiked = spiked;
        }
    }
}
