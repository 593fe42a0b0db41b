//! Input spikes on the grid: which input neurons spike with which stamp, per image.
//!
//! Built once per run from a [`SpikeInput`] with the stamp rule of
//! [`spikeport_snn::timing::spike_step`] (⌈t/dt⌉), so every backend feeds the same input
//! spikes into the same steps. Stamps run from 0 to `steps_per_image` inclusive (a spike
//! at exactly `duration + pause` — only possible without a pause — gets the last one).
//!
//! ```
//! use spikeport_lif::InputSchedule;
//! use spikeport_snn::SpikeInput;
//!
//! let input = SpikeInput::new(2, 10.0, 2.0, &[vec![vec![0.5, 3.0], vec![3.0]]])?;
//! let s = InputSchedule::new(&input, 1.0)?;
//! assert_eq!(s.steps_per_image(), 12);
//! assert_eq!(s.at(0, 1), &[0]);     // t = 0.5 ms -> stamp 1
//! assert_eq!(s.at(0, 3), &[0, 1]);  // both inputs at t = 3 ms
//! assert!(s.at(0, 2).is_empty());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use spikeport_snn::timing::{check_dt, duration_steps, spike_step};
use spikeport_snn::SpikeInput;

use crate::LifError;

/// Input spikes of a batch bucketed by stamp; see the [module docs](self).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputSchedule {
    n_images: usize,
    steps: usize,
    /// `n_images · (steps + 2)` prefix sums: bucket (image, stamp) is
    /// `neurons[offsets[image·(steps+2) + stamp] .. offsets[… + 1]]`.
    offsets: Vec<u32>,
    neurons: Vec<u32>,
}

impl InputSchedule {
    /// Bucket the spikes of `input` on a grid of `dt_ms`. Allocates.
    ///
    /// **Errors** with [`LifError::Snn`] for a bad `dt_ms`.
    pub fn new(input: &SpikeInput, dt_ms: f64) -> Result<Self, LifError> {
        let dt = check_dt(dt_ms)?;
        let steps = duration_steps(input.period_ms(), dt);
        let buckets = steps + 1;
        let n_images = input.n_images();
        let mut offsets = vec![0u32; n_images * (buckets + 1)];
        let mut neurons = vec![0u32; input.total_spikes()];
        let mut base = 0usize;
        let mut fill = vec![0u32; buckets];
        for image in 0..n_images {
            let off = &mut offsets[image * (buckets + 1)..(image + 1) * (buckets + 1)];
            // counting sort by stamp, stable in neuron order
            fill.fill(0);
            for train in input.image_trains(image) {
                for &t in train {
                    fill[(spike_step(t, dt) as usize).min(steps)] += 1;
                }
            }
            off[0] = base as u32;
            for s in 0..buckets {
                off[s + 1] = off[s] + fill[s];
            }
            fill.copy_from_slice(&off[..buckets]);
            for (j, train) in input.image_trains(image).enumerate() {
                for &t in train {
                    let s = (spike_step(t, dt) as usize).min(steps);
                    neurons[fill[s] as usize] = j as u32;
                    fill[s] += 1;
                }
            }
            base = off[buckets] as usize;
        }
        Ok(Self { n_images, steps, offsets, neurons })
    }

    /// Steps per image, `round((duration + pause) / dt)`.
    pub fn steps_per_image(&self) -> usize {
        self.steps
    }

    /// Number of images.
    pub fn n_images(&self) -> usize {
        self.n_images
    }

    /// Input neurons spiking with stamp `stamp` in image `image` (a neuron appears once
    /// per spike); empty for `stamp > steps_per_image`.
    ///
    /// **Panics** if `image` is out of range.
    #[track_caller]
    #[inline]
    pub fn at(&self, image: usize, stamp: usize) -> &[u32] {
        assert!(image < self.n_images, "image {image} out of range");
        if stamp > self.steps {
            return &[];
        }
        let k = image * (self.steps + 2) + stamp;
        &self.neurons[self.offsets[k] as usize..self.offsets[k + 1] as usize]
    }

    /// Appends to `out` the input spikes of stamp `s` of a lane that runs `per_lane`
    /// images back to back from image `first` on: those of the image whose period (of
    /// `steps` steps) contains `s`, at its local stamp, after the spikes stamped at the very
    /// end of the previous image of the lane (only possible without a pause) — the order
    /// in which every batched backend propagates them.
    ///
    /// **Panics** if an image of the lane is out of range.
    #[track_caller]
    pub fn lane_inputs(&self, first: usize, per_lane: usize, steps: usize, s: usize, out: &mut Vec<u32>) {
        let (i, r) = (s / steps, s % steps);
        if r == 0 && i >= 1 && i - 1 < per_lane {
            out.extend_from_slice(self.at(first + i - 1, steps));
        }
        if i < per_lane {
            out.extend_from_slice(self.at(first + i, r));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use spikeport_snn::Encoder;

    #[test]
    fn schedule_matches_the_stamp_rule_for_every_spike() {
        let images = ndarray::Array2::from_shape_fn((3, 20), |(i, j)| ((i * 7 + j * 13) % 17) as f64 / 16.0);
        let input = Encoder::paper_digital().encode(images.view()).unwrap();
        for dt in [1.0, 0.1] {
            let s = InputSchedule::new(&input, dt).unwrap();
            assert_eq!(s.steps_per_image(), (550.0 / dt).round() as usize);
            for image in 0..3 {
                let mut expected: Vec<(usize, u32)> = Vec::new();
                for (j, train) in input.image_trains(image).enumerate() {
                    for &t in train {
                        expected.push((spike_step(t, dt) as usize, j as u32));
                    }
                }
                expected.sort();
                let mut got = Vec::new();
                for stamp in 0..=s.steps_per_image() + 1 {
                    got.extend(s.at(image, stamp).iter().map(|&j| (stamp, j)));
                }
                assert_eq!(got, expected, "image {image} dt {dt}");
            }
        }
    }
}
