//! The time grid every backend shares: how spike times, delays, refractory periods and
//! image windows map onto steps of `dt` ms.
//!
//! These rules follow NEST (whose `iaf_cond_exp` is the reference row of the paper) and
//! are stated here once so that all backends agree:
//!
//! * **State on the grid.** Neuron state is defined at `t_k = k · dt`. Update `k`
//!   advances it from `t_k` to `t_{k+1}`; the threshold is checked at `t_{k+1}` only.
//! * **Spike stamps.** A neuron whose potential is at or above threshold at the end of
//!   update `k` spikes with stamp `k + 1`, i.e. at time `t_{k+1}` (NEST stamps the end of
//!   the step; GeNN records the start, one step earlier). An input spike at time `t`
//!   gets stamp [`spike_step`]`(t, dt)` = ⌈t / dt⌉ (NEST's `allow_offgrid_times` and
//!   GeNN's `SpikeSourceArray` both round up).
//! * **Delays.** A spike with stamp `s` through a projection of delay `d` ms reaches its
//!   targets at step `s + D`, `D = `[`delay_steps`]`(d, dt)` ≥ 1: its weight is added to
//!   the target's synaptic variable at `t_{s+D}`, before update `s + D`. (PyNN on GeNN
//!   uses `delaySteps = d/dt − 1` with GeNN's spike recorded one step earlier: the same
//!   arrival step.)
//! * **Refractory period.** After a spike the neuron is held at `v_reset` for
//!   `R = `[`refractory_steps`]`(tau_refrac, dt)` = ⌈tau_refrac / dt⌉ updates and cannot
//!   spike during them (NEST, GeNN and sPyNNaker all round up).
//! * **Images.** Image `i` of a batch starts at `i · (duration + pause)` ms and lasts
//!   [`duration_steps`]`(duration + pause, dt)` steps. Its spikes are counted in the
//!   readout window `[−pause/2, duration + pause/2)` ms relative to its start
//!   (SNABSuite's `spikes_to_labels` bins), see [`SpikeInput::readout_window_ms`].
//!
//! [`SpikeInput::readout_window_ms`]: crate::SpikeInput::readout_window_ms

use crate::SnnError;

/// Relative tolerance, in steps, used when a time in ms is converted into whole steps, so
/// that e.g. `0.3 / 0.1 = 2.9999999999999996` counts as 3 steps and not as 3.0000001.
pub const GRID_TOLERANCE: f64 = 1e-9;

/// Check a time step.
///
/// **Errors** with [`SnnError::InvalidTimestep`] unless `dt_ms` is finite and > 0.
pub fn check_dt(dt_ms: f64) -> Result<f64, SnnError> {
    if dt_ms.is_finite() && dt_ms > 0.0 {
        Ok(dt_ms)
    } else {
        Err(SnnError::InvalidTimestep { dt_ms })
    }
}

/// Stamp of a spike at `t_ms` (≥ 0): ⌈t / dt⌉, with [`GRID_TOLERANCE`] so that a time on
/// the grid keeps its own step.
///
/// ```
/// # use spikeport_snn::timing::spike_step;
/// assert_eq!(spike_step(8.0, 1.0), 8);
/// assert_eq!(spike_step(8.333, 1.0), 9);
/// assert_eq!(spike_step(0.30000000000000004, 0.1), 3);
/// assert_eq!(spike_step(0.0, 1.0), 0);
/// ```
#[inline]
pub fn spike_step(t_ms: f64, dt_ms: f64) -> u64 {
    let x = t_ms / dt_ms - GRID_TOLERANCE;
    if x <= 0.0 {
        0
    } else {
        x.ceil() as u64
    }
}

/// Delay of a projection in whole steps: `round(delay / dt)`, at least 1 (a spike cannot
/// act within the step that emitted it).
///
/// ```
/// # use spikeport_snn::timing::delay_steps;
/// assert_eq!(delay_steps(1.0, 1.0), 1);
/// assert_eq!(delay_steps(1.0, 0.1), 10);
/// assert_eq!(delay_steps(0.0, 0.1), 1);
/// assert_eq!(delay_steps(1.4, 1.0), 1);
/// ```
#[inline]
pub fn delay_steps(delay_ms: f64, dt_ms: f64) -> usize {
    ((delay_ms / dt_ms).round() as usize).max(1)
}

/// Refractory period in whole updates: ⌈tau_refrac / dt⌉ with [`GRID_TOLERANCE`].
///
/// ```
/// # use spikeport_snn::timing::refractory_steps;
/// assert_eq!(refractory_steps(0.0, 1.0), 0);
/// assert_eq!(refractory_steps(0.1, 1.0), 1);
/// assert_eq!(refractory_steps(2.0, 1.0), 2);
/// assert_eq!(refractory_steps(0.3, 0.1), 3);
/// ```
#[inline]
pub fn refractory_steps(tau_refrac_ms: f64, dt_ms: f64) -> u32 {
    let x = tau_refrac_ms / dt_ms - GRID_TOLERANCE;
    if x <= 0.0 {
        0
    } else {
        x.ceil() as u32
    }
}

/// Number of whole steps in a span of `ms`: `round(ms / dt)`.
///
/// ```
/// # use spikeport_snn::timing::duration_steps;
/// assert_eq!(duration_steps(550.0, 1.0), 550);
/// assert_eq!(duration_steps(550.0, 0.1), 5500);
/// ```
#[inline]
pub fn duration_steps(ms: f64, dt_ms: f64) -> usize {
    (ms / dt_ms).round() as usize
}

/// Steps per image and the images to record of one batch run: the checks every time-stepped
/// backend makes before it simulates `input` at `dt_ms` with `rec`.
///
/// **Errors** with [`BackendError::InvalidInput`](crate::BackendError) if `dt_ms` does not
/// divide the image period (duration + pause), and with
/// [`BackendError::InvalidRecording`](crate::BackendError) if `rec.images` is not a range
/// within the batch.
///
/// ```
/// # use spikeport_snn::{timing::batch_grid, Encoder, Recording};
/// let input = Encoder::paper_digital().encode(ndarray::array![[0.5f32], [1.0]].view())?;
/// let (steps, images) = batch_grid(1.0, &input, &Recording::counts_only())?;
/// assert_eq!((steps, images), (550, 0..2));
/// assert!(batch_grid(0.3, &input, &Recording::counts_only()).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn batch_grid(
    dt_ms: f64,
    input: &crate::SpikeInput,
    rec: &crate::Recording,
) -> Result<(usize, std::ops::Range<usize>), crate::BackendError> {
    let period = input.period_ms();
    let steps = duration_steps(period, dt_ms);
    if steps == 0 || (steps as f64 * dt_ms - period).abs() > GRID_TOLERANCE * period.max(1.0) {
        return Err(crate::BackendError::invalid_input(format!(
            "the time step {dt_ms} ms does not divide the image period of {period} ms (duration + pause)"
        )));
    }
    let n_images = input.n_images();
    let images = match &rec.images {
        None => 0..n_images,
        Some(r) if r.start <= r.end && r.end <= n_images => r.clone(),
        Some(r) => {
            return Err(crate::BackendError::invalid_recording(format!(
                "images {r:?} are not within the batch of {n_images} images"
            )))
        }
    };
    Ok((steps, images))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dt_must_be_positive_and_finite() {
        assert!(check_dt(0.1).is_ok());
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert!(matches!(check_dt(bad), Err(SnnError::InvalidTimestep { .. })));
        }
    }

    #[test]
    fn stamps_round_up_off_grid_and_keep_on_grid() {
        for k in 1..1000u64 {
            let t = k as f64 * 0.1;
            assert_eq!(spike_step(t, 0.1), k, "t = {t}");
            assert_eq!(spike_step(t - 0.05, 0.1), k, "t = {t} - 0.05");
        }
    }
}
