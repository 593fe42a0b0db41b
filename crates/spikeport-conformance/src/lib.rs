//! # spikeport-conformance — one conformance suite for every backend
//!
//! The [`Backend`](spikeport_snn::Backend) contract promises the same spikes for the same
//! network and input on every exact backend, and differences only within declared
//! tolerances on the approximate ones. This crate holds the test bodies that check the
//! promise, once for all backends. A backend crate gets the whole suite by writing one
//! [`Fixture`] — how to build the backend, its time step, its [`Tolerances`], the
//! features it does not support (each with a reason) and what differs by design — and
//! calling [`conformance_suite!`] in one of its test files, which expands to one `#[test]`
//! per [`Body`]:
//!
//! ```ignore
//! use spikeport_conformance::{conformance_suite, Feature, Fixture, Tolerances};
//! use spikeport_snn::ModelKind;
//!
//! fn fixture() -> Fixture {
//!     Fixture::new("my backend", 1.0, |_mode| Box::new(MyBackend::new(1.0)))
//!         .with_tolerances(Tolerances { cond_trace_mv: 0.012, ..Tolerances::EXACT })
//!         .unsupported(Feature::Model(ModelKind::IfCurrDeltaSub), "no such neuron on the chip")
//! }
//!
//! mod my_backend {
//!     spikeport_conformance::conformance_suite!(super::fixture());
//! }
//! ```
//!
//! ## What the bodies check
//!
//! | body | checks |
//! |---|---|
//! | [`subthreshold_trace`](bodies::subthreshold_trace) | one `IF_cond_exp` neuron, known input train, membrane trace vs a high-precision solution |
//! | [`driven_spike_times`](bodies::driven_spike_times) | a neuron driven for 1 s: spike stamps and count vs the high-precision solution, refractory clamp |
//! | [`curr_exp_closed_form`](bodies::curr_exp_closed_form) | `IF_curr_exp` trace vs its closed form |
//! | [`delta_sub_reset`](bodies::delta_sub_reset) | `IF_curr_delta_sub`: jumps, reset by subtraction |
//! | [`two_layer_network`](bodies::two_layer_network) | layer-by-layer timing of a strongly driven chain, events |
//! | [`readout_window`](bodies::readout_window) | spikes near the image boundary counted per the window rule, checkpoints inclusive |
//! | [`recording`](bodies::recording) | spike times, membrane traces, image ranges, cumulative checkpoints |
//! | [`determinism`](bodies::determinism) | one seed, 1 and 2 threads: bit-identical; seeds and repeated runs as declared |
//! | [`reset_batch_independence`](bodies::reset_batch_independence) | an image's result does not depend on its batch under `Reset` |
//! | [`continuous_boundary`](bodies::continuous_boundary) | state and spikes in flight carry over under `Continuous` |
//! | [`errors`](bodies::errors) | typed errors for bad inputs, recordings, limits |
//! | [`absurd_requests`](bodies::absurd_requests) | absurd delays, checkpoint intervals, trace sizes: typed errors before allocating, never a panic |
//! | [`activity_counters`](bodies::activity_counters) | input spikes, neuron updates, synaptic events, time |
//! | [`weight_updates`](bodies::weight_updates) | an update equals a fresh deployment; bad updates change nothing |
//! | [`network_copies`](bodies::network_copies) | copies are independent; `max_copies` and its binding constraint |
//! | [`models_and_recurrence`](bodies::models_and_recurrence) | every supported model runs, lateral projections carry events |
//!
//! Every body that compares a backend with an accurate solution, or two runs that the
//! contract says agree, does so within the fixture's [`Tolerances`], and every feature a
//! fixture declares unsupported ([`Feature`]) is checked to answer with a typed
//! [`BackendError::Unsupported`](spikeport_snn::BackendError::Unsupported) — never a
//! panic, never a silent skip. A body that fails on a backend because of a real bug in
//! it is marked with [`Fixture::known_deviation`]: the test then passes while the body
//! fails, with the reason printed, and fails once the body passes again.

pub mod bodies;
mod fixture;
pub mod nets;
pub mod solutions;

pub use fixture::{
    Body, Constraints, Difference, Feature, Fixture, KernelCheck, KernelKind, Limit, Mode, Tolerances,
};

/// Expands to one `#[test]` per [`Body`], each running the body against the fixture that
/// `$fixture` (an expression, evaluated anew in every test) builds, plus a test that the
/// list is complete. Call it inside a module of a backend crate's test file:
///
/// ```ignore
/// mod reference {
///     spikeport_conformance::conformance_suite!(super::reference_fixture());
/// }
/// ```
#[macro_export]
macro_rules! conformance_suite {
    ($fixture:expr) => {
        $crate::conformance_suite!(@bodies $fixture;
            subthreshold_trace,
            driven_spike_times,
            curr_exp_closed_form,
            delta_sub_reset,
            two_layer_network,
            readout_window,
            recording,
            determinism,
            reset_batch_independence,
            continuous_boundary,
            errors,
            absurd_requests,
            activity_counters,
            weight_updates,
            network_copies,
            models_and_recurrence,
        );
    };
    (@bodies $fixture:expr; $($body:ident,)+) => {
        $(
            #[test]
            fn $body() {
                $crate::run_body(&$fixture, stringify!($body));
            }
        )+

        /// The suite instantiates every body of the crate.
        #[test]
        fn suite_is_complete() {
            $crate::check_complete(&[$(stringify!($body)),+]);
        }
    };
}

/// Runs the body called `name` against `fixture`: skipped (with a message) when the
/// fixture is unavailable, expected to fail when it is a known deviation of the fixture.
///
/// **Panics** when the body fails, when a known deviation passes, or for an unknown name.
#[track_caller]
pub fn run_body(fixture: &Fixture, name: &str) {
    let Some(body) = Body::from_name(name) else {
        panic!("no conformance body is called `{name}`; known: {:?}", Body::ALL.map(Body::name))
    };
    if let Some(why) = fixture.skip_reason() {
        eprintln!("skipping {name} on {}: {why}", fixture.name());
        return;
    }
    match fixture.deviation(body) {
        None => body.run(fixture),
        Some(reason) => {
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| body.run(fixture)));
            match outcome {
                Err(_) => eprintln!("known deviation of {name} on {}: {reason}", fixture.name()),
                Ok(()) => panic!(
                    "{name} passes on {} but is marked as a known deviation ({reason}): remove the mark",
                    fixture.name()
                ),
            }
        }
    }
}

/// Asserts that `names` (the tests [`conformance_suite!`] generated) are exactly the
/// bodies of [`Body::ALL`].
///
/// **Panics** otherwise.
pub fn check_complete(names: &[&str]) {
    let all: Vec<&str> = Body::ALL.iter().map(|b| b.name()).collect();
    assert_eq!(names, all.as_slice(), "the suite macro and Body::ALL list different bodies");
}
