//! Memory stays bounded by the batch, not the test set: the harness runs a zoo network on
//! real MNIST through `Fast` in batches, and the peak heap of a run over many images may
//! exceed that of a run over few images only by what necessarily scales with the images
//! (their pixels and ANN features), never by simulation state, spike trains or counts.
//!
//! The heap is measured with a counting global allocator, so this file holds exactly one
//! test (tests in one binary run in parallel and would share the counters).

#![allow(clippy::unwrap_used)]
// A global allocator must implement the unsafe `GlobalAlloc` trait; it only forwards to the
// system allocator and counts.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use spikeport::ann::load_zoo;
use spikeport::bench::{run_cell, BackendSetup, Conversion};
use spikeport::cpu::Fast;
use spikeport::data::Mnist;
use spikeport::snn::{Encoder, IfCondExpParams};

struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every method forwards to `System` with the caller's arguments unchanged; the
// counters are only atomics updated beside it.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = CURRENT.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            if new_size >= layout.size() {
                let now =
                    CURRENT.fetch_add(new_size - layout.size(), Ordering::Relaxed) + new_size - layout.size();
                PEAK.fetch_max(now, Ordering::Relaxed);
            } else {
                CURRENT.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        p
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Peak heap growth, bytes, while running `images` test images in batches of `batch`.
fn peak_growth(images: usize, batch: usize) -> usize {
    let mnist = Mnist::load().unwrap();
    let model = load_zoo("nas63").unwrap();
    let test = mnist.test.take(images).unwrap();
    let setup = BackendSetup {
        name: "fast".into(),
        backend: Box::new(Fast::new(1.0).unwrap().with_max_tile(4).unwrap()),
        neuron: IfCondExpParams::paper_digital().into_model().unwrap(),
        encoder: Encoder::paper_digital(),
        conversion: Conversion::Global { max_weight: 0.015 },
        batch_size: batch,
        seed: 0,
        checkpoint_every_ms: Some(50.0),
        energy_profiles: Vec::new(),
        timing: spikeport::platform::Timing::Host,
        capacity: spikeport::platform::Capacity::Backend,
        copies: spikeport::bench::Copies::One,
        keep_predictions: false,
        priced_images: None,
    };
    let base = CURRENT.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let r = run_cell(&model, &test, &mnist.train, &setup, &mut |_| {}).unwrap();
    assert_eq!(r.images, images);
    PEAK.load(Ordering::Relaxed) - base
}

#[test]
fn peak_memory_grows_with_the_batch_not_the_test_set() {
    // Warm up rayon's pool and lazily initialised statics so both runs start alike.
    let _ = peak_growth(16, 16);
    let (few, many) = (32, 512);
    let small = peak_growth(few, 16);
    let large = peak_growth(many, 16);
    // What must scale with the images: the pixels (f32 copy + u8 dataset slice) and ANN
    // features and predictions, about 784 · (4 + 4 + 1) bytes each; allow twice that.
    let per_image = 2 * 784 * 9;
    let allowed = (many - few) * per_image;
    let grew = large.saturating_sub(small);
    assert!(
        grew <= allowed,
        "peak heap grew by {grew} B from {few} to {many} images (allowed {allowed} B, i.e. \
         {per_image} B per image); small run peak {small} B, large run peak {large} B"
    );
    // The other direction: batching does bound the run. One batch of all 512 images needs
    // far more (its spike trains and state for every image), which shows the test can see
    // the difference.
    let one_batch = peak_growth(many, many);
    eprintln!(
        "peak heap: {few} images {small} B, {many} images {large} B, {many} in one batch {one_batch} B"
    );
    assert!(one_batch > large + allowed / 2, "one batch {one_batch} B vs batched {large} B");
}
