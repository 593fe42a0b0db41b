//! The test bodies, each a public function of a [`Fixture`]. A body panics (fails its
//! test) when the backend does not conform; it prints what it measured where it compares
//! with an accurate solution, so that tolerances can be set from measurements.
//!
//! Every body that needs a feature the fixture declares unsupported checks that asking
//! for it is a typed [`BackendError::Unsupported`] and runs whatever part of the body
//! does not need it.

// Test bodies: a failed unwrap is a failed conformance check, reported with its location.
#![allow(clippy::unwrap_used)]

use std::panic::{catch_unwind, AssertUnwindSafe};

use ndarray::{array, s, Array2, ArrayView2};
use spikeport_snn::timing::delay_steps;
use spikeport_snn::{
    BackendError, DynBackend, Encoder, IfCurrDeltaSubParams, IfCurrExpParams, ImageBoundary, ModelKind,
    NeuronModel, NeuronSelection, Placement, Population, Projection, Recording, RunOutput, Session, SnnError,
    SnnNetwork, SpikeInput,
};

use crate::nets::{
    expand, grid_chain, lif_refrac, paper_lif, random_images, repeat_inputs, silent_input, strong,
};
use crate::solutions::{
    arrivals, curr_exp_closed_form as curr_closed_form, hp_cond_exp, hp_substeps, kernel_run_for,
    max_abs_diff,
};
use crate::{Feature, Fixture, Limit, Mode};

// ------------------------------------------------------------------------------------
// Helpers
// ------------------------------------------------------------------------------------

/// A session of `net` at `at` on `b`.
#[track_caller]
fn deploy<'a>(fx: &Fixture, b: &'a dyn DynBackend, net: &SnnNetwork, at: Placement) -> Box<dyn Session + 'a> {
    b.session(net, at).unwrap_or_else(|e| panic!("{}: deploying failed: {e}", fx.name()))
}

/// One run of `input` on a fresh deployment of `net` with seed 0.
#[track_caller]
fn run_fresh(
    fx: &Fixture,
    b: &dyn DynBackend,
    net: &SnnNetwork,
    input: &SpikeInput,
    rec: &Recording,
) -> RunOutput {
    run_at(fx, b, net, Placement::from(0), input, rec)
}

/// One run of `input` on a fresh deployment of `net` at `at`.
#[track_caller]
fn run_at(
    fx: &Fixture,
    b: &dyn DynBackend,
    net: &SnnNetwork,
    at: Placement,
    input: &SpikeInput,
    rec: &Recording,
) -> RunOutput {
    let mut s = deploy(fx, b, net, at);
    s.run(input, rec).unwrap_or_else(|e| panic!("{}: the run failed: {e}", fx.name()))
}

fn steps_of(ms: f64, dt: f64) -> usize {
    (ms / dt).round() as usize
}

/// Stamp (update index + 1) of a recorded spike time.
fn stamp_of(t: f64, dt: f64) -> usize {
    (t / dt).round() as usize
}

/// Prints a measured deviation next to its tolerance.
fn measured(fx: &Fixture, what: &str, value: f64, tolerance: f64) {
    eprintln!("{}: {what} = {value:.4e} (tolerance {tolerance:.4e})", fx.name());
}

/// Largest |a − b| of two count matrices.
fn count_diff(a: ArrayView2<'_, u32>, b: ArrayView2<'_, u32>) -> u32 {
    assert_eq!(a.dim(), b.dim(), "count matrices of different shapes");
    a.iter().zip(b.iter()).map(|(x, y)| x.abs_diff(*y)).max().unwrap_or(0)
}

/// Asserts that two runs the contract says agree do: counts of every population within
/// the fixture's count tolerance and, when that is 0, everything else too (recordings,
/// checkpoints, activity) but the timings and the platform counters.
#[track_caller]
fn assert_agree(fx: &Fixture, what: &str, a: &RunOutput, b: &RunOutput) {
    let tol = fx.tolerances().counts;
    assert_eq!(a.counts.len(), b.counts.len(), "{}: {what}: populations", fx.name());
    for (p, (x, y)) in a.counts.iter().zip(&b.counts).enumerate() {
        let d = count_diff(x.view(), y.view());
        assert!(
            d <= tol,
            "{}: {what}: counts of population {p} differ by up to {d} (tolerance {tol})",
            fx.name()
        );
    }
    if tol == 0 {
        let strip = |o: &RunOutput| {
            let mut o = o.clone();
            o.activity.wall_time_s = 0.0;
            o.activity.hardware_time_s = 0.0;
            o.activity.counters.clear();
            o
        };
        assert_eq!(strip(a), strip(b), "{}: {what}", fx.name());
    }
}

/// Whether two outputs have the same results (counts, recordings, checkpoints, spikes
/// and events), whatever their timings and platform counters.
fn same_results(a: &RunOutput, b: &RunOutput) -> bool {
    a.counts == b.counts
        && a.spikes == b.spikes
        && a.membrane == b.membrane
        && a.checkpoints == b.checkpoints
        && a.activity.spikes == b.activity.spikes
        && a.activity.synaptic_events == b.activity.synaptic_events
}

/// The typed error `f` answers with; a panic or success fails the check.
#[track_caller]
fn expect_typed_error(
    fx: &Fixture,
    what: &str,
    f: impl FnOnce() -> Result<(), BackendError>,
) -> BackendError {
    match catch_unwind(AssertUnwindSafe(f)) {
        Err(_) => panic!("{}: {what} panicked instead of answering with a typed error", fx.name()),
        Ok(Ok(())) => panic!("{}: {what} was accepted", fx.name()),
        Ok(Err(e)) => e,
    }
}

mod contract;
mod network;
mod neuron;

pub use contract::*;
pub use network::*;
pub use neuron::*;
