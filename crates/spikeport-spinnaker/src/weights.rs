//! Host-side weight conversion: per-core, per-receptor ring-buffer left shifts and
//! 16-bit unsigned weights, after sPyNNaker's `synaptic_manager.py`
//! (`_get_ring_buffer_to_input_left_shifts`, `_get_weight_scale`) and
//! `synapse_io` (`numpy.rint(abs(w) · scale)` into 16 bits).
//!
//! For each post-synaptic core and receptor the host bounds the largest input one ring
//! buffer slot can receive: with all delays equal (no delay variance, the case of
//! converted networks), that is
//! `Σ_projections spikes_per_tick · max|w| · max fan-in onto one neuron of the core`
//! (weights in synaptic-state units, i.e. ×1024 for conductances), with
//! `spikes_per_tick = max(1, spikes_per_second · dt)`. The shift is the smallest power
//! `p ≥ 0` with `2^p > bound` (`ceil(log2(bound))`, plus one when the bound is an exact
//! power of two), so the sum of 16-bit weights shifted left by `p` fits s16.15; a weight
//! `w` becomes `rint(|w| · 2^(15 − p) · global_scale)`.

/// Ring-buffer left shift for a bound on the input per tick (synaptic-state units).
///
/// ```
/// use spikeport_spinnaker::weights::ring_buffer_shift;
/// assert_eq!(ring_buffer_shift(0.0), 0);
/// assert_eq!(ring_buffer_shift(0.5), 0);
/// assert_eq!(ring_buffer_shift(3.0), 2);
/// assert_eq!(ring_buffer_shift(4.0), 3); // exact power: one more
/// assert_eq!(ring_buffer_shift(12042.24), 14);
/// ```
pub fn ring_buffer_shift(max_input: f64) -> u32 {
    if max_input.is_nan() || max_input <= 0.0 {
        return 0;
    }
    let p = max_input.log2().max(0.0).ceil();
    let p = if p.is_finite() { p.min(64.0) as u32 } else { 64 };
    if p < 64 && (2f64).powi(p as i32) <= max_input {
        p + 1
    } else {
        p
    }
}

/// Weight scale for `shift` and the model's global scale: `2^(15 − shift) · global`
/// (sPyNNaker's `_get_weight_scale`), i.e. 16-bit integer units per µS or nA.
pub fn weight_scale(shift: u32, global: f64) -> f64 {
    2f64.powi(15 - shift as i32) * global
}

/// `|w|` as a 16-bit weight at `scale`: `rint(|w| · scale)` (round half to even), clipped
/// at 65535; the flag says whether it was clipped.
///
/// ```
/// use spikeport_spinnaker::weights::quantise;
/// assert_eq!(quantise(0.015, 2048.0), (31, false));
/// assert_eq!(quantise(-0.015, 2048.0), (31, false));
/// assert_eq!(quantise(100.0, 2048.0), (u16::MAX, true));
/// ```
pub fn quantise(w: f64, scale: f64) -> (u16, bool) {
    let q = (w.abs() * scale).round_ties_even();
    if q.is_nan() {
        (0, false)
    } else if q > u16::MAX as f64 {
        (u16::MAX, true)
    } else {
        (q as u16, false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn shift_keeps_bound_below_s1615_range() {
        for &b in &[1.0, 1.5, 100.0, 1024.0, 30000.0, 65535.0] {
            let p = ring_buffer_shift(b);
            assert!(2f64.powi(p as i32) > b, "{b}");
            assert!(p == 0 || 2f64.powi(p as i32 - 1) <= b, "{b}");
        }
        assert_eq!(weight_scale(14, 1024.0), 2048.0);
        assert_eq!(weight_scale(0, 1.0), 32768.0);
    }

    proptest! {
        #[test]
        fn shift_and_quantise_never_panic(b in any::<f64>(), w in any::<f64>(), s in 0u32..40) {
            let _ = ring_buffer_shift(b);
            let (q, clipped) = quantise(w, weight_scale(s, 1024.0));
            prop_assert!(clipped || w.is_nan() || q as f64 <= (w.abs() * weight_scale(s, 1024.0)).round() + 1.0);
        }
    }
}
