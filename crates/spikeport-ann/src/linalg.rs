//! Deterministic parallel matrix products.
//!
//! The output matrix is cut into blocks of [`ROW_BLOCK`] rows whose boundaries depend only on
//! the shapes, never on the number of threads. Each block is one single-threaded
//! `matrixmultiply` call, so every output element is summed in the same order whichever thread
//! computes it: results are bit-identical for 1, 2 or 64 threads.

use ndarray::linalg::general_mat_mul;
use ndarray::{ArrayView2, ArrayViewMut2, Axis};
use rayon::prelude::*;

/// Rows of the output computed by one task.
pub const ROW_BLOCK: usize = 32;

/// `c ← alpha · a · b + beta · c`, parallel over fixed row blocks of `c`.
///
/// Shapes: `a` (m, k), `b` (k, n), `c` (m, n). Callers guarantee them (internal use only).
pub(crate) fn gemm(
    alpha: f32,
    a: ArrayView2<'_, f32>,
    b: ArrayView2<'_, f32>,
    beta: f32,
    mut c: ArrayViewMut2<'_, f32>,
) {
    debug_assert_eq!(a.nrows(), c.nrows());
    debug_assert_eq!(a.ncols(), b.nrows());
    debug_assert_eq!(b.ncols(), c.ncols());
    if c.nrows() <= ROW_BLOCK {
        general_mat_mul(alpha, &a, &b, beta, &mut c);
        return;
    }
    c.axis_chunks_iter_mut(Axis(0), ROW_BLOCK)
        .into_par_iter()
        .zip(a.axis_chunks_iter(Axis(0), ROW_BLOCK).into_par_iter())
        .for_each(|(mut c_blk, a_blk)| general_mat_mul(alpha, &a_blk, &b, beta, &mut c_blk));
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    fn naive(a: &Array2<f32>, b: &Array2<f32>) -> Array2<f32> {
        let mut c = Array2::<f32>::zeros((a.nrows(), b.ncols()));
        for i in 0..a.nrows() {
            for j in 0..b.ncols() {
                let mut s = 0.0f64;
                for k in 0..a.ncols() {
                    s += f64::from(a[[i, k]]) * f64::from(b[[k, j]]);
                }
                c[[i, j]] = s as f32;
            }
        }
        c
    }

    #[test]
    fn matches_naive_product_and_is_thread_count_independent() {
        let a = Array2::from_shape_fn((101, 37), |(i, j)| ((i * 7 + j * 3) % 11) as f32 * 0.1 - 0.5);
        let b = Array2::from_shape_fn((37, 23), |(i, j)| ((i * 5 + j) % 13) as f32 * 0.07 - 0.4);
        let want = naive(&a, &b);
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("pool");
            pool.install(|| {
                let mut c = Array2::<f32>::zeros((101, 23));
                gemm(1.0, a.view(), b.view(), 0.0, c.view_mut());
                c
            })
        };
        let c1 = run(1);
        let c3 = run(3);
        assert_eq!(c1, c3, "bit-identical across thread counts");
        for (x, y) in c1.iter().zip(want.iter()) {
            assert!((x - y).abs() < 1e-4, "{x} vs {y}");
        }
        // beta accumulates
        let mut c = want.clone();
        gemm(2.0, a.view(), b.view(), 1.0, c.view_mut());
        for (x, y) in c.iter().zip(want.iter()) {
            assert!((x - 3.0 * y).abs() < 1e-3);
        }
        // transposed operand views work too
        let at = a.t().to_owned();
        let mut c = Array2::<f32>::zeros((101, 23));
        gemm(1.0, at.t(), b.view(), 0.0, c.view_mut());
        for (x, y) in c.iter().zip(want.iter()) {
            assert!((x - y).abs() < 1e-4);
        }
    }
}
