//! Loss functions on the linear output layer.

use ndarray::{Array2, ArrayView2, Zip};
use serde::{Deserialize, Serialize};

/// A classification loss on the output layer's values `z` (logits), averaged over the batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Loss {
    /// Softmax cross-entropy: `−log softmax(z)_y`.
    #[default]
    CrossEntropy,
    /// Categorical (Crammer–Singer) hinge: `max(0, 1 + max_{j≠y} z_j − z_y)`, the loss the
    /// paper trained Spikey-net with. Keras' `categorical_hinge` takes the maximum over
    /// `(1 − onehot) · z`, which also includes a 0 for the true class; the two agree whenever
    /// the outputs are non-negative, as in the paper's non-negative Spikey-net.
    CategoricalHinge,
    /// Softmax cross-entropy plus a hinge that asks the true class's output to reach 1:
    /// `−log softmax(z)_y + max(0, 1 − z_y)`. Cross-entropy only ranks the outputs, so a
    /// bias-free network may answer correctly with *every* output ≤ 0; after conversion
    /// such an image makes no output neuron fire, a tie that the spike-count readout
    /// counts as wrong whatever the weight scale. The extra term keeps the winning output
    /// positive (it vanishes once `z_y ≥ 1`), which conversion needs.
    CrossEntropyFiring,
}

impl Loss {
    /// Mean loss over the batch; writes d(mean loss)/dz into `grad` (same shape as `z`).
    ///
    /// Labels must be valid class indices of `z`'s columns (checked by the caller).
    pub fn loss_and_grad(self, z: ArrayView2<'_, f32>, labels: &[u8], grad: &mut Array2<f32>) -> f32 {
        let n = z.nrows().max(1) as f32;
        let mut total = 0.0f64;
        match self {
            Loss::CrossEntropy | Loss::CrossEntropyFiring => {
                let firing = self == Loss::CrossEntropyFiring;
                Zip::from(grad.rows_mut()).and(z.rows()).and(labels).for_each(|mut g, zr, &y| {
                    let y = usize::from(y);
                    let m = zr.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                    let mut sum = 0.0f32;
                    for (gi, &zi) in g.iter_mut().zip(zr.iter()) {
                        *gi = (zi - m).exp();
                        sum += *gi;
                    }
                    total += f64::from(sum.ln() - (zr[y] - m));
                    g.mapv_inplace(|e| e / sum / n);
                    g[y] -= 1.0 / n;
                    if firing && zr[y] < 1.0 {
                        total += f64::from(1.0 - zr[y]);
                        g[y] -= 1.0 / n;
                    }
                });
            }
            Loss::CategoricalHinge => {
                Zip::from(grad.rows_mut()).and(z.rows()).and(labels).for_each(|mut g, zr, &y| {
                    let y = usize::from(y);
                    g.fill(0.0);
                    let mut best = None;
                    for (j, &zj) in zr.iter().enumerate() {
                        if j != y && best.is_none_or(|(_, b)| zj > b) {
                            best = Some((j, zj));
                        }
                    }
                    if let Some((j, zj)) = best {
                        let margin = 1.0 + zj - zr[y];
                        if margin > 0.0 {
                            total += f64::from(margin);
                            g[j] = 1.0 / n;
                            g[y] = -1.0 / n;
                        }
                    }
                });
            }
        }
        (total / f64::from(n)) as f32
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn numeric_grad(loss: Loss, z: &Array2<f32>, labels: &[u8]) -> Array2<f32> {
        let mut g = Array2::zeros(z.dim());
        let mut scratch = Array2::zeros(z.dim());
        for idx in ndarray::indices(z.dim()) {
            let h = 1e-3;
            let mut zp = z.clone();
            zp[idx] += h;
            let mut zm = z.clone();
            zm[idx] -= h;
            let lp = loss.loss_and_grad(zp.view(), labels, &mut scratch);
            let lm = loss.loss_and_grad(zm.view(), labels, &mut scratch);
            g[idx] = (lp - lm) / (2.0 * h);
        }
        g
    }

    #[test]
    fn cross_entropy_value_and_gradient() {
        let z = array![[1.0f32, 2.0, 0.5], [0.0, 0.0, 0.0]];
        let labels = [1u8, 2];
        let mut g = Array2::zeros(z.dim());
        let l = Loss::CrossEntropy.loss_and_grad(z.view(), &labels, &mut g);
        let e: f32 = [1.0f32, 2.0, 0.5].iter().map(|v| v.exp()).sum();
        let want = ((e.ln() - 2.0) + 3.0f32.ln()) / 2.0;
        assert!((l - want).abs() < 1e-5, "{l} vs {want}");
        let ng = numeric_grad(Loss::CrossEntropy, &z, &labels);
        for (a, b) in g.iter().zip(ng.iter()) {
            assert!((a - b).abs() < 1e-3, "{a} vs {b}");
        }
    }

    #[test]
    fn firing_cross_entropy_adds_a_hinge_on_the_true_output() {
        // sample 0: z_y = 2 ≥ 1, pure cross-entropy; sample 1: z_y = −0.5, hinge 1.5
        let z = array![[1.0f32, 2.0, 0.5], [0.2, -0.3, -0.5]];
        let labels = [1u8, 2];
        let (mut g, mut g_ce) = (Array2::zeros(z.dim()), Array2::zeros(z.dim()));
        let l = Loss::CrossEntropyFiring.loss_and_grad(z.view(), &labels, &mut g);
        let l_ce = Loss::CrossEntropy.loss_and_grad(z.view(), &labels, &mut g_ce);
        assert!((l - (l_ce + 1.5 / 2.0)).abs() < 1e-5, "{l} vs {l_ce}");
        assert_eq!(g.row(0), g_ce.row(0));
        assert!((g[[1, 2]] - (g_ce[[1, 2]] - 0.5)).abs() < 1e-7);
        let ng = numeric_grad(Loss::CrossEntropyFiring, &z, &labels);
        for (a, b) in g.iter().zip(ng.iter()) {
            assert!((a - b).abs() < 1e-3, "{a} vs {b}");
        }
    }

    #[test]
    fn hinge_value_and_gradient() {
        // sample 0: margin 1 + 2.0 - 1.5 = 1.5; sample 1: correct by more than 1 -> 0
        let z = array![[1.5f32, 2.0, 0.1], [3.0, 0.5, 1.0]];
        let labels = [0u8, 0];
        let mut g = Array2::zeros(z.dim());
        let l = Loss::CategoricalHinge.loss_and_grad(z.view(), &labels, &mut g);
        assert!((l - 0.75).abs() < 1e-6);
        assert_eq!(g, array![[-0.5, 0.5, 0.0], [0.0, 0.0, 0.0]]);
        let ng = numeric_grad(Loss::CategoricalHinge, &z, &labels);
        for (a, b) in g.iter().zip(ng.iter()) {
            assert!((a - b).abs() < 1e-2, "{a} vs {b}");
        }
    }
}
