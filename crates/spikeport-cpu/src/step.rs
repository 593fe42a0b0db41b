//! Neuron stepping and synaptic propagation of the CPU engine, on one lane's or one tile's
//! buffers: vectorised blocks of the exact kernels, unrolled weight-row updates.

use spikeport_lif::{Kernel, NeuronKernel, Real, SpikeBatch, StateSliceMut};

use crate::engine::{ProjSim, Receptors};

/// Neurons per block of [`step_exact`].
const STEP_CHUNK: usize = 64;

/// Step one lane's block with a per-neuron kernel in blocks: the updates of a block go
/// into a branch-free loop (which the compiler can vectorise), the spike indices are
/// collected afterwards. The same calls to [`NeuronKernel::step`] in the same order as
/// [`spikeport_lif::step_each`], so bit-identical to it.
#[inline(always)]
fn step_exact<F: Real, K: NeuronKernel<F>>(k: &K, st: StateSliceMut<'_, F>, out: &mut Vec<u32>) {
    let mut fired = [false; STEP_CHUNK];
    let mut base = 0u32;
    let blocks =
        st.v.chunks_mut(STEP_CHUNK)
            .zip(st.syn_e.chunks_mut(STEP_CHUNK))
            .zip(st.syn_i.chunks_mut(STEP_CHUNK))
            .zip(st.refrac.chunks_mut(STEP_CHUNK));
    for (((v, ge), gi), r) in blocks {
        let it = v.iter_mut().zip(ge.iter_mut()).zip(gi.iter_mut()).zip(r.iter_mut()).zip(fired.iter_mut());
        for ((((v, ge), gi), r), f) in it {
            // on copies, so that the kernel's branches become selects and the loop vectorises
            let (mut v1, mut ge1, mut gi1, mut r1) = (*v, *ge, *gi, *r);
            *f = k.step(&mut v1, &mut ge1, &mut gi1, &mut r1);
            (*v, *ge, *gi, *r) = (v1, ge1, gi1, r1);
        }
        // the spiking indices, via a bit mask (work proportional to the spikes)
        let mut mask = 0u64;
        for (j, &f) in fired[..v.len()].iter().enumerate() {
            mask |= u64::from(f) << j;
        }
        while mask != 0 {
            out.push(base + mask.trailing_zeros());
            mask &= mask - 1;
        }
        base += v.len() as u32;
    }
}

/// [`step_exact`] compiled for AVX2 when this CPU has it (x86-64; detected at run time and
/// cached by the standard library), else the baseline build. Without FMA, AVX2 performs
/// the same IEEE operations in the same order on more lanes, so both builds give
/// bit-identical results.
#[inline]
fn step_exact_wide<F: Real, K: NeuronKernel<F>>(k: &K, st: StateSliceMut<'_, F>, out: &mut Vec<u32>) {
    #[cfg(target_arch = "x86_64")]
    if spikeport_lif::Simd::detect().has_avx2() {
        // SAFETY: AVX2, the only feature `step_exact_avx2` is compiled for, was detected
        // on this CPU just above.
        #[allow(unsafe_code)]
        unsafe {
            step_exact_avx2(k, st, out)
        };
        return;
    }
    step_exact(k, st, out);
}

/// [`step_exact`] compiled with AVX2 (no FMA).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn step_exact_avx2<F: Real, K: NeuronKernel<F>>(k: &K, st: StateSliceMut<'_, F>, out: &mut Vec<u32>) {
    step_exact(k, st, out);
}

/// Step one lane's block of a population with its kernel, appending the indices of the
/// neurons that spiked (ascending) to `out`.
#[inline]
pub(crate) fn step_lane<F: Real>(kernel: &Kernel<F>, st: StateSliceMut<'_, F>, out: &mut Vec<u32>) {
    match kernel {
        Kernel::CondExpExact(k) => step_exact_wide(k, st, out),
        Kernel::CondExpExpEuler(k) => step_exact_wide(k, st, out),
        Kernel::CurrExpExact(k) => step_exact_wide(k, st, out),
        Kernel::DeltaSub(k) => step_exact_wide(k, st, out),
        // the accurate kernel has its own vectorised block version
        other => {
            other.step_slice(st, out);
        }
    }
}

/// Targets at least this wide use the unrolled row updates of [`propagate_tile`];
/// narrower ones the plain loop of `spikeport-lif`, where a row is too short for
/// unrolling or reuse to pay.
const ROW_REUSE_MIN_POST: usize = 32;

/// Add row `j` of `proj` into one lane's target planes; returns its synaptic events.
#[inline(always)]
fn add_spike<F: Real>(proj: &ProjSim<F>, j: usize, e: &mut [F], i: &mut [F]) -> u64 {
    let row = proj.syn.row(j);
    match proj.receptors {
        Receptors::Excitatory => add_row(row, e),
        Receptors::Inhibitory => sub_row(row, i),
        Receptors::Both => split_row(row, e, i),
        Receptors::None => {}
    }
    u64::from(proj.syn.row_synapses(j))
}

/// Add the rows of the pre-synaptic neurons that spiked in each lane of `spikes` into
/// that lane's target planes (`exc`, `inh`: `lanes` blocks of `n_post`), returning the
/// synaptic events.
///
/// Narrow targets go through [`DenseSynapses::propagate_batch`]. Wide ones use unrolled
/// row updates with the same arithmetic per element; in a tile of several lanes the
/// (neuron, lane) pairs are first sorted by neuron, so that a weight row is read from
/// memory once and added to every lane that spiked it while it is in the L1 cache. Each
/// lane still receives its rows in ascending neuron order (its spike list's order: the
/// kernels and [`InputSchedule`] list spikes ascending), so the result is bit-identical
/// to propagating lane by lane.
pub(crate) fn propagate_tile<F: Real>(
    proj: &ProjSim<F>,
    spikes: &SpikeBatch,
    exc: &mut [F],
    inh: &mut [F],
    pairs: &mut Vec<u64>,
) -> u64 {
    let n = proj.syn.n_post();
    let lanes = spikes.n_images();
    if n < ROW_REUSE_MIN_POST {
        return proj.syn.propagate_batch(spikes, exc, inh);
    }
    if lanes == 1 {
        return spikes.image(0).iter().map(|&j| add_spike(proj, j as usize, exc, inh)).sum();
    }
    pairs.clear();
    for b in 0..lanes {
        pairs.extend(spikes.image(b).iter().map(|&j| (u64::from(j) << 32) | b as u64));
    }
    pairs.sort_unstable();
    let mut events = 0u64;
    for &pair in pairs.iter() {
        let (j, b) = ((pair >> 32) as usize, (pair & 0xffff_ffff) as usize);
        let lane = b * n..(b + 1) * n;
        events += add_spike(proj, j, &mut exc[lane.clone()], &mut inh[lane]);
    }
    events
}

/// Elements per unrolled block of the row updates.
const ROW_BLOCK: usize = 16;

// The row updates of `DenseSynapses::propagate_image` (same arithmetic per element, so
// bit-identical), written in fixed-length blocks that the compiler unrolls.

/// `e += w` for every element.
#[inline(always)]
fn add_row<F: Real>(row: &[F], e: &mut [F]) {
    let mut rw = row.chunks_exact(ROW_BLOCK);
    let mut re = e.chunks_exact_mut(ROW_BLOCK);
    for (w, e) in (&mut rw).zip(&mut re) {
        for k in 0..ROW_BLOCK {
            e[k] += w[k];
        }
    }
    rw.remainder().iter().zip(re.into_remainder()).for_each(|(&w, e)| *e += w);
}

/// `i −= w` for every element (weights ≤ 0).
#[inline(always)]
fn sub_row<F: Real>(row: &[F], i: &mut [F]) {
    let mut rw = row.chunks_exact(ROW_BLOCK);
    let mut ri = i.chunks_exact_mut(ROW_BLOCK);
    for (w, i) in (&mut rw).zip(&mut ri) {
        for k in 0..ROW_BLOCK {
            i[k] -= w[k];
        }
    }
    rw.remainder().iter().zip(ri.into_remainder()).for_each(|(&w, i)| *i -= w);
}

/// `e += max(w, 0)`, `i += max(−w, 0)` for every element.
#[inline(always)]
fn split_row<F: Real>(row: &[F], e: &mut [F], i: &mut [F]) {
    let mut rw = row.chunks_exact(ROW_BLOCK);
    let mut re = e.chunks_exact_mut(ROW_BLOCK);
    let mut ri = i.chunks_exact_mut(ROW_BLOCK);
    for ((w, e), i) in (&mut rw).zip(&mut re).zip(&mut ri) {
        for k in 0..ROW_BLOCK {
            e[k] += w[k].max(F::ZERO);
            i[k] += (-w[k]).max(F::ZERO);
        }
    }
    rw.remainder().iter().zip(re.into_remainder()).zip(ri.into_remainder()).for_each(|((&w, e), i)| {
        *e += w.max(F::ZERO);
        *i += (-w).max(F::ZERO);
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{ProjSim, Receptors};
    use ndarray::Array2;
    use spikeport_lif::{DenseSynapses, StateBlock};
    use spikeport_snn::{IfCondExpParams, IfCurrDeltaSubParams, IfCurrExpParams, NeuronModel};

    fn lcg(state: &mut u64) -> f64 {
        *state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (*state >> 11) as f64 / (1u64 << 53) as f64
    }

    #[test]
    fn tile_propagation_is_bit_identical_to_lane_by_lane() {
        let mut st = 7u64;
        for (n_pre, n_post, sign) in [(50, 40, 0.5), (30, 37, 0.0), (30, 64, 1.0), (20, 8, 0.5)] {
            let w = Array2::from_shape_simple_fn((n_pre, n_post), || {
                let x = lcg(&mut st);
                if x < 0.1 {
                    0.0
                } else {
                    (lcg(&mut st) - sign) * 0.37
                }
            });
            let proj = ProjSim::<f32> {
                pre: 0,
                post: 1,
                delay: 1,
                syn: DenseSynapses::from_signed(w.view()),
                receptors: Receptors::of(w.view()),
            };
            let lanes = 5;
            let mut spikes = SpikeBatch::new();
            for _ in 0..lanes {
                let list: Vec<u32> = (0..n_pre as u32).filter(|_| lcg(&mut st) < 0.3).collect();
                spikes.push_image(&list);
            }
            let init: Vec<f32> = (0..lanes * n_post).map(|_| lcg(&mut st) as f32).collect();
            let (mut e1, mut i1) = (init.clone(), init.clone());
            let (mut e2, mut i2) = (init.clone(), init.clone());
            let ev1 = proj.syn.propagate_batch(&spikes, &mut e1, &mut i1);
            let ev2 = propagate_tile(&proj, &spikes, &mut e2, &mut i2, &mut Vec::new());
            assert_eq!(ev1, ev2);
            assert_eq!(
                e1.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
                e2.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
            );
            assert_eq!(
                i1.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
                i2.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
            );
            // one lane at a time as well
            let mut one = SpikeBatch::new();
            one.push_image(spikes.image(2));
            let r = 2 * n_post..3 * n_post;
            let (mut e3, mut i3) = (init[r.clone()].to_vec(), init[r.clone()].to_vec());
            propagate_tile(&proj, &one, &mut e3, &mut i3, &mut Vec::new());
            assert_eq!(e3, e1[r.clone()].to_vec());
            assert_eq!(i3, i1[r].to_vec());
        }
    }

    #[test]
    fn block_stepping_is_bit_identical_to_the_kernel() {
        let models: Vec<NeuronModel> = vec![
            IfCondExpParams::paper_digital().tau_refrac(2.0).into_model().unwrap(),
            IfCurrExpParams::new().tau_refrac(1.0).into_model().unwrap(),
            IfCurrDeltaSubParams::new().into_model().unwrap(),
        ];
        let mut st = 3u64;
        for model in &models {
            let kernel = Kernel::<f32>::exact(model, 1.0).unwrap();
            let n = 150; // two full blocks and a partial one
            let mut a = StateBlock::new(1, n, kernel.v_init());
            for j in 0..n {
                a.v[j] += (lcg(&mut st) * 20.0 - 5.0) as f32;
                a.syn_e[j] = (lcg(&mut st) * 0.5) as f32;
                a.syn_i[j] = (lcg(&mut st) * 0.2) as f32;
                a.refrac[j] = u32::from(lcg(&mut st) < 0.2);
            }
            let mut b = a.clone();
            for _ in 0..20 {
                let (mut s1, mut s2) = (Vec::new(), Vec::new());
                spikeport_lif::step_each(&kernel, a.all_mut(), &mut s1);
                step_lane(&kernel, b.all_mut(), &mut s2);
                assert_eq!(s1, s2);
                assert_eq!(a, b);
            }
        }
    }
}
