//! Delay ring buffer: synaptic input waiting to arrive, in whole steps.
//!
//! One ring per target population holds, for each of the next `max_delay + 1` steps, two
//! planes of `plane_len` values (excitatory and inhibitory input, in the population's
//! [state layout](crate::kernel), typically `batch · n`). The protocol of one simulation
//! step, which realises the arrival rule of [`spikeport_snn::timing`] (a spike stamped
//! `s` through delay `D` arrives at `s + D`):
//!
//! ```text
//! ring.now() == 0: write inputs stamped 0 at offset D
//! for k in 0.. {
//!     ring.deliver_into(syn_e, syn_i);   // add input arriving at t_k, clear it; now = k + 1
//!     kernel update k                    // spikes get stamp k + 1
//!     write spikes stamped k + 1 (neurons and inputs) at offset D via ring.slot_mut(D)
//! }
//! ```
//!
//! So `slot_mut(d)` right after the `k`-th `deliver_into` is delivered by the
//! `(k + 1 + d)`-th one, i.e. before update `k + d + 1` — `d` steps after stamp `k + 1`.
//!
//! ```
//! use spikeport_lif::DelayRing;
//! let mut ring = DelayRing::<f32>::new(3, 1);
//! let (mut ge, mut gi) = ([0.0f32], [0.0f32]);
//! ring.deliver_into(&mut ge, &mut gi);       // before update 0; now = 1
//! ring.slot_mut(2).0[0] += 1.0;              // spike stamped 1, delay 2 -> arrives at step 3
//! for _ in 1..3 { ring.deliver_into(&mut ge, &mut gi); assert_eq!(ge[0], 0.0); }
//! ring.deliver_into(&mut ge, &mut gi);       // before update 3
//! assert_eq!(ge[0], 1.0);
//! ```

use crate::Real;

/// Pending synaptic input for the next `max_delay + 1` steps; see the
/// [module docs](self).
#[derive(Clone, Debug, PartialEq)]
pub struct DelayRing<F> {
    data: Vec<F>,
    plane_len: usize,
    n_slots: usize,
    /// Index of the next step to be delivered.
    now: u64,
}

impl<F: Real> DelayRing<F> {
    /// A ring for delays `0..=max_delay` steps with planes of `plane_len` values.
    pub fn new(max_delay: usize, plane_len: usize) -> Self {
        let n_slots = max_delay + 1;
        Self { data: vec![F::ZERO; n_slots * 2 * plane_len], plane_len, n_slots, now: 0 }
    }

    /// Largest delay, in steps, that [`slot_mut`](Self::slot_mut) accepts.
    pub fn max_delay(&self) -> usize {
        self.n_slots - 1
    }

    /// Length of one plane.
    pub fn plane_len(&self) -> usize {
        self.plane_len
    }

    /// The step whose input the next [`deliver_into`](Self::deliver_into) delivers.
    pub fn now(&self) -> u64 {
        self.now
    }

    fn slot_index(&self, step: u64) -> usize {
        (step % self.n_slots as u64) as usize
    }

    /// The (excitatory, inhibitory) planes of input arriving `delay` steps after the
    /// current step [`now`](Self::now).
    ///
    /// **Panics** if `delay > max_delay`.
    #[track_caller]
    #[inline]
    pub fn slot_mut(&mut self, delay: usize) -> (&mut [F], &mut [F]) {
        assert!(delay <= self.max_delay(), "delay {delay} exceeds the ring's maximum {}", self.max_delay());
        let s = self.slot_index(self.now + delay as u64);
        let p = self.plane_len;
        self.data[s * 2 * p..(s + 1) * 2 * p].split_at_mut(p)
    }

    /// Add the input arriving at step [`now`](Self::now) to `syn_e` / `syn_i`, clear it,
    /// and advance to the next step.
    ///
    /// **Panics** if the targets are not `plane_len` long.
    #[track_caller]
    #[inline]
    pub fn deliver_into(&mut self, syn_e: &mut [F], syn_i: &mut [F]) {
        assert!(
            syn_e.len() == self.plane_len && syn_i.len() == self.plane_len,
            "targets must have plane_len {} values",
            self.plane_len
        );
        let s = self.slot_index(self.now);
        let p = self.plane_len;
        let (exc, inh) = self.data[s * 2 * p..(s + 1) * 2 * p].split_at_mut(p);
        for (g, x) in syn_e.iter_mut().zip(exc.iter_mut()) {
            *g += *x;
            *x = F::ZERO;
        }
        for (g, x) in syn_i.iter_mut().zip(inh.iter_mut()) {
            *g += *x;
            *x = F::ZERO;
        }
        self.now += 1;
    }

    /// Drop all pending input and restart at step 0.
    pub fn clear(&mut self) {
        self.data.fill(F::ZERO);
        self.now = 0;
    }

    /// Drop the pending input of one contiguous range of every plane (e.g. one image's
    /// block when that image restarts from rest).
    ///
    /// **Panics** if the range exceeds the plane.
    #[track_caller]
    pub fn clear_range(&mut self, range: std::ops::Range<usize>) {
        assert!(range.end <= self.plane_len, "range exceeds the plane");
        let p = self.plane_len;
        for plane in self.data.chunks_mut(p.max(1)) {
            plane[range.clone()].fill(F::ZERO);
        }
    }
}
