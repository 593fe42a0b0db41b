//! Networks and inputs the bodies use, built so that every platform can hold them
//! (weights on a grid that 4-bit and fixed-point platforms realise, one sign per
//! population where the platform needs it, strong connections as parallel synapses where
//! one synapse is weak).

use ndarray::Array2;
use spikeport_snn::{IfCondExpParams, IfCondExpValidParams, NeuronModel, SnnNetwork, SpikeInput};

use crate::Fixture;

/// The paper's digital `IF_cond_exp` parameters (cm 0.2 nF, tau_m 20 ms, tau_syn 3 ms,
/// v_rest −65, v_reset −75, v_thresh −55, e_rev_E 0, e_rev_I −130 mV, no refractoriness).
///
/// **Panics** never (the parameters are valid).
pub fn paper_lif() -> IfCondExpValidParams {
    IfCondExpParams::paper_digital().check().expect("the paper's parameters are valid")
}

/// The paper's digital neuron with refractory time `tau_refrac` ms, as a model.
///
/// **Panics** for an invalid `tau_refrac`.
pub fn lif_refrac(tau_refrac: f64) -> NeuronModel {
    IfCondExpParams::paper_digital().tau_refrac(tau_refrac).into_model().expect("valid refractory time")
}

/// Deterministic pseudo-random numbers in [0, 1) (SplitMix64).
pub fn uniform(state: &mut u64) -> f64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

/// Pixels of `n` random images with `inputs` pixels, a third of them dark.
pub fn random_images(n: usize, inputs: usize, seed: u64) -> Array2<f32> {
    let mut state = seed;
    Array2::from_shape_simple_fn((n, inputs), || {
        let x = uniform(&mut state);
        if x < 0.33 {
            0.0
        } else {
            x as f32
        }
    })
}

/// Excitatory weight step of [`grid_chain`], µS (Spikey's excitatory grid).
pub const EXC_STEP_US: f64 = 0.001;
/// Inhibitory weight step of [`grid_chain`], µS (Spikey's inhibitory grid).
pub const INH_STEP_US: f64 = 0.004;

/// A random feed-forward chain of the paper's `IF_cond_exp` neurons whose layers spike,
/// with weights on a grid every platform realises without rounding any synapse to zero:
/// a fifth of the weights 0, excitatory weights `l · 0.001 µS` with `l` in
/// `1 ..= min(15, ⌈45/√fan-in⌉)`, and (unless the platform needs one sign per population)
/// 15 % inhibitory weights `−l · 0.004 µS`, `l` in `1 ..= 3`.
pub fn grid_chain(fx: &Fixture, sizes: &[usize], seed: u64) -> SnnNetwork {
    let mixed = !fx.constraints().one_sign_per_population;
    let lif = lif_refrac(0.0);
    let mut state = seed;
    let layers: Vec<(NeuronModel, Array2<f64>)> = sizes
        .windows(2)
        .map(|w| {
            let top = (45.0 / (w[0] as f64).sqrt()).ceil().min(15.0);
            let m = Array2::from_shape_simple_fn((w[0], w[1]), || {
                let u = uniform(&mut state);
                let level = |state: &mut u64, top: f64| (uniform(state) * top).floor().min(top - 1.0) + 1.0;
                if u < 0.2 {
                    0.0
                } else if mixed && u < 0.35 {
                    -level(&mut state, 3.0) * INH_STEP_US
                } else {
                    level(&mut state, top) * EXC_STEP_US
                }
            });
            (lif, m)
        })
        .collect();
    SnnNetwork::feed_forward(sizes[0], layers, 1.0).expect("a valid chain")
}

/// A strong excitatory connection as the platform realises it: `parallel` synapses of
/// `weight_us` each from inputs that spike together, about 1 µS in all.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Strong {
    /// Synapses in parallel.
    pub parallel: usize,
    /// Weight of each, µS.
    pub weight_us: f64,
}

impl Strong {
    /// Total conductance, µS.
    pub fn total_us(&self) -> f64 {
        self.parallel as f64 * self.weight_us
    }
}

/// A connection of about 1 µS for `fx`: one synapse, or parallel synapses of the
/// platform's largest weight ([`Constraints::max_weight_us`](crate::Constraints)).
pub fn strong(fx: &Fixture) -> Strong {
    match fx.constraints().max_weight_us {
        Some(m) if m < 1.0 => Strong { parallel: (1.0 / m).ceil() as usize, weight_us: m },
        _ => Strong { parallel: 1, weight_us: 1.0 },
    }
}

/// Repeats every input neuron of `trains` (`trains[image][neuron]`) `k` times in a row:
/// neuron `j` becomes neurons `j·k .. (j+1)·k`.
pub fn repeat_inputs(trains: &[Vec<Vec<f64>>], k: usize) -> Vec<Vec<Vec<f64>>> {
    trains.iter().map(|img| img.iter().flat_map(|t| std::iter::repeat_n(t.clone(), k)).collect()).collect()
}

/// A weight matrix `(pre · k_pre, post · k_post)` in which every non-zero entry `w` of
/// `w` connects all `k_pre` copies of its pre neuron to all `k_post` copies of its post
/// neuron with `w` each.
pub fn expand(w: &Array2<f64>, k_pre: usize, k_post: usize) -> Array2<f64> {
    Array2::from_shape_fn((w.nrows() * k_pre, w.ncols() * k_post), |(i, j)| w[[i / k_pre, j / k_post]])
}

/// An input of `n_images` images for `n_inputs` inputs that spike nowhere, in
/// `duration_ms + pause_ms` periods (cheap even for many images).
///
/// **Panics** for an invalid duration or pause.
pub fn silent_input(n_inputs: usize, n_images: usize, duration_ms: f64, pause_ms: f64) -> SpikeInput {
    SpikeInput::from_compressed(n_inputs, duration_ms, pause_ms, vec![0; n_images * n_inputs + 1], vec![])
        .expect("a valid silent input")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Constraints;

    fn fixture(c: Constraints) -> Fixture {
        Fixture::new("toy", 1.0, |_| unreachable!("no backend")).with_constraints(c)
    }

    #[test]
    fn strong_connections_respect_the_largest_weight() {
        let spikey = fixture(Constraints { max_weight_us: Some(0.015), one_sign_per_population: true });
        let s = strong(&spikey);
        assert_eq!((s.parallel, s.weight_us), (67, 0.015));
        assert!(s.total_us() >= 1.0);
        assert_eq!(strong(&fixture(Constraints::default())), Strong { parallel: 1, weight_us: 1.0 });
    }

    #[test]
    fn grid_chains_are_on_the_grid_and_signed_as_allowed() {
        for one_sign in [false, true] {
            let fx = fixture(Constraints { max_weight_us: None, one_sign_per_population: one_sign });
            let net = grid_chain(&fx, &[30, 24, 5], 3);
            let w: Vec<f64> = net.projections().iter().flat_map(|p| p.weights.iter().copied()).collect();
            assert!(w.contains(&0.0) && w.iter().any(|&x| x > 0.0));
            assert_eq!(w.iter().any(|&x| x < 0.0), !one_sign);
            for x in w {
                let step = if x < 0.0 { INH_STEP_US } else { EXC_STEP_US };
                let level = x.abs() / step;
                assert!((level - level.round()).abs() < 1e-9 && level <= 15.0 + 1e-9, "{x}");
            }
        }
    }

    #[test]
    fn inputs_and_weights_expand() {
        let t = repeat_inputs(&[vec![vec![1.0], vec![]]], 3);
        assert_eq!(t, vec![vec![vec![1.0], vec![1.0], vec![1.0], vec![], vec![], vec![]]]);
        let w = expand(&ndarray::array![[1.0, 0.0], [0.0, 2.0]], 2, 1);
        assert_eq!(w, ndarray::array![[1.0, 0.0], [1.0, 0.0], [0.0, 2.0], [0.0, 2.0]]);
        let s = silent_input(4, 3, 20.0, 10.0);
        assert_eq!((s.n_images(), s.total_spikes()), (3, 0));
    }
}
