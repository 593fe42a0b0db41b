//! Delay ring timing, event-driven propagation and the batched state layout.

use ndarray::{Array2, ArrayView2};
use spikeport_lif::{
    step_slice, CondExpExact, DelayRing, DenseSynapses, Kernel, LifError, NeuronKernel, SpikeBatch,
    StateBlock,
};
use spikeport_snn::timing::delay_steps;
use spikeport_snn::IfCondExpParams;

#[test]
fn spike_at_step_t_with_delay_d_arrives_at_step_t_plus_d() {
    for max_delay in [1usize, 3, 8] {
        for d in 1..=max_delay {
            for stamp in [0u64, 1, 5, 17] {
                let mut ring = DelayRing::<f64>::new(max_delay, 2);
                let (mut ge, mut gi) = (vec![0.0; 2], vec![0.0; 2]);
                let mut arrived = None;
                // stamp 0 is written before the first delivery; stamp s ≥ 1 after the
                // s-th delivery (i.e. after update s − 1)
                if stamp == 0 {
                    let (e, i) = ring.slot_mut(d);
                    e[1] += 1.0;
                    i[0] += 2.0;
                }
                for k in 0..40u64 {
                    assert_eq!(ring.now(), k);
                    ring.deliver_into(&mut ge, &mut gi);
                    if ge[1] != 0.0 && arrived.is_none() {
                        arrived = Some(k);
                        assert_eq!((ge[0], gi[0], gi[1]), (0.0, 2.0, 0.0));
                    }
                    if k + 1 == stamp {
                        let (e, i) = ring.slot_mut(d);
                        e[1] += 1.0;
                        i[0] += 2.0;
                    }
                }
                assert_eq!(arrived, Some(stamp + d as u64), "max {max_delay} d {d} stamp {stamp}");
                // delivered once, then cleared
                assert_eq!(ge[1], 1.0);
            }
        }
    }
    // the grid rule for a 1 ms delay at dt 0.1 ms
    assert_eq!(delay_steps(1.0, 0.1), 10);
}

#[test]
#[should_panic(expected = "exceeds the ring's maximum")]
fn delays_beyond_the_ring_panic() {
    let mut ring = DelayRing::<f32>::new(2, 1);
    let _ = ring.slot_mut(3);
}

#[test]
fn ring_clear_range_drops_one_image() {
    let mut ring = DelayRing::<f32>::new(2, 4);
    for d in 0..=2 {
        let (e, i) = ring.slot_mut(d);
        e.fill(1.0);
        i.fill(1.0);
    }
    ring.clear_range(2..4);
    let (mut ge, mut gi) = (vec![0.0f32; 4], vec![0.0f32; 4]);
    for _ in 0..3 {
        ring.deliver_into(&mut ge, &mut gi);
    }
    assert_eq!(ge, vec![3.0, 3.0, 0.0, 0.0]);
    assert_eq!(gi, vec![3.0, 3.0, 0.0, 0.0]);
    ring.clear();
    assert_eq!(ring.now(), 0);
}

fn reference_propagation(w: ArrayView2<'_, f64>, spikes: &[Vec<u32>]) -> (Vec<f64>, Vec<f64>, u64) {
    let n = w.ncols();
    let mut exc = vec![0.0; spikes.len() * n];
    let mut inh = vec![0.0; spikes.len() * n];
    let mut events = 0;
    for (b, list) in spikes.iter().enumerate() {
        for &j in list {
            for i in 0..n {
                let x = w[[j as usize, i]];
                if x > 0.0 {
                    exc[b * n + i] += x;
                } else if x < 0.0 {
                    inh[b * n + i] -= x;
                }
                events += u64::from(x != 0.0);
            }
        }
    }
    (exc, inh, events)
}

#[test]
fn propagation_touches_only_spiking_rows_and_counts_events() {
    let (n_pre, n_post) = (7, 5);
    // signed weights with some exact zeros
    let mut w = Array2::from_shape_fn((n_pre, n_post), |(j, i)| {
        let x = ((j * 5 + i * 3) % 11) as f64 - 5.0;
        x * 0.001
    });
    let spikes: Vec<Vec<u32>> = vec![vec![0, 3], vec![], vec![3, 3, 6], vec![1]];
    let (re, ri, rev) = reference_propagation(w.view(), &spikes);
    // poison every row that never spikes: touching one would make a target NaN
    for j in [2usize, 4, 5] {
        w.row_mut(j).fill(f64::NAN);
    }
    let syn = DenseSynapses::<f64>::from_signed(w.view());
    let mut batch = SpikeBatch::with_capacity(4, 8);
    for s in &spikes {
        batch.push_image(s);
    }
    let (mut exc, mut inh) = (vec![0.0; 4 * n_post], vec![0.0; 4 * n_post]);
    let events = syn.propagate_batch(&batch, &mut exc, &mut inh);
    assert!(exc.iter().chain(&inh).all(|x| x.is_finite()), "a silent row was read");
    assert_eq!(events, rev, "events = non-zero weights of the spiking rows");
    assert!(rev < (batch.len() * n_post) as u64, "zeros are not events");
    for (a, b) in exc.iter().zip(&re).chain(inh.iter().zip(&ri)) {
        assert!((a - b).abs() < 1e-15);
    }
    assert!(inh.iter().all(|&x| x >= 0.0), "inhibitory planes hold magnitudes");
    assert_eq!(syn.events(&[0, 3]), events - syn.events(&[3, 3, 6]) - syn.events(&[1]));
    // image 1 had no spikes: its block is untouched
    assert!(exc[n_post..2 * n_post].iter().all(|&x| x == 0.0));
}

#[test]
fn single_sign_matrices_use_one_plane() {
    let pos = Array2::from_elem((3, 4), 0.5);
    let syn = DenseSynapses::<f32>::from_signed(pos.view());
    let (mut e, mut i) = (vec![0.0f32; 4], vec![0.0f32; 4]);
    assert_eq!(syn.propagate_image(&[0, 2], &mut e, &mut i), 8);
    assert_eq!(e, vec![1.0; 4]);
    assert_eq!(i, vec![0.0; 4]);
    let neg = Array2::from_elem((3, 4), -0.25);
    let mut syn = DenseSynapses::<f32>::from_signed(neg.view());
    let (mut e, mut i) = (vec![0.0f32; 4], vec![0.0f32; 4]);
    syn.propagate_image(&[1], &mut e, &mut i);
    assert_eq!(e, vec![0.0; 4]);
    assert_eq!(i, vec![0.25; 4]);
    // in-place weight update keeps the shape
    syn.set_signed(pos.view()).unwrap();
    assert_eq!(syn.row(1), &[0.5; 4]);
    assert!(matches!(syn.set_signed(Array2::zeros((4, 3)).view()), Err(LifError::WeightShape { .. })));
}

#[test]
fn batched_state_blocks_are_independent_per_image() {
    let p = IfCondExpParams::paper_digital().check().unwrap();
    let k = CondExpExact::<f32>::new(&p, 1.0).unwrap();
    let (batch, n) = (3, 4);
    let mut state = StateBlock::new(batch, n, k.v_init());
    // only image 1, neuron 2 gets a huge input
    state.syn_e[n + 2] = 1.0;
    let mut spiked = Vec::with_capacity(n);
    let mut per_image = Vec::new();
    for (b, block) in state.images_mut().enumerate() {
        spiked.clear();
        let count = step_slice(&k, block, &mut spiked);
        per_image.push((b, count, spiked.clone()));
    }
    assert_eq!(per_image[0].1, 0);
    assert_eq!(per_image[1], (1, 1, vec![2]));
    assert_eq!(per_image[2].1, 0);
    assert_eq!(state.v[n + 2], -75.0, "reset");
    assert_eq!(state.refrac[n + 2], 0, "tau_refrac 0");
    // the enum kernel gives the same step on a whole-batch slice
    let mut other = StateBlock::new(batch, n, k.v_init());
    other.syn_e[n + 2] = 1.0;
    let ke = Kernel::<f32>::exact(&p.into(), 1.0).unwrap();
    let mut all = Vec::new();
    assert_eq!(ke.step_slice(other.all_mut(), &mut all), 1);
    assert_eq!(all, vec![(n + 2) as u32]);
    assert_eq!(other, state);
    state.reset_image(1, k.v_init());
    assert_eq!(state.v[n + 2], -65.0);
    state.reset(k.v_init());
    assert!(state.syn_e.iter().all(|&g| g == 0.0));
}
