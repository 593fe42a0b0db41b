//! Readout: class = argmax of output spike counts; a tie, including all-zero counts, is
//! no prediction and counts as wrong (as SNABSuite's `spikes_to_labels` does).
//!
//! ```
//! use ndarray::array;
//! use spikeport_snn::readout::{accuracy_pct, predict, predictions};
//!
//! assert_eq!(predict(array![0u32, 5, 2].view()), Some(1));
//! assert_eq!(predict(array![3u32, 3, 1].view()), None); // tie
//! assert_eq!(predict(array![0u32, 0, 0].view()), None); // no spike
//! let counts = array![[0u32, 4], [2, 1], [1, 1]];
//! assert_eq!(predictions(counts.view()), vec![Some(1), Some(0), None]);
//! assert_eq!(accuracy_pct(counts.view(), &[1u8, 1, 0]).unwrap(), 100.0 / 3.0);
//! ```

use ndarray::{ArrayView1, ArrayView2};

use crate::SnnError;

/// The index of the unique largest count, or `None` if no neuron spiked or the largest
/// count is shared (SNABSuite starts its running maximum at 0, so all-zero counts are a
/// tie even for a single class).
pub fn predict(counts: ArrayView1<'_, u32>) -> Option<usize> {
    let mut best = None;
    let mut max = 0u32;
    for (i, &c) in counts.iter().enumerate() {
        if c > max {
            best = Some(i);
            max = c;
        } else if c == max {
            best = None;
        }
    }
    best
}

/// [`predict`] for every row of a (images, classes) count matrix.
pub fn predictions(counts: ArrayView2<'_, u32>) -> Vec<Option<usize>> {
    counts.outer_iter().map(predict).collect()
}

/// Percentage (0–100) of images whose prediction equals its label; ties are wrong.
///
/// **Errors** with [`SnnError::LabelCount`] if there is not one label per row, or
/// [`SnnError::EmptyBatch`] for zero images.
pub fn accuracy_pct<L: Copy + Into<usize>>(
    counts: ArrayView2<'_, u32>,
    labels: &[L],
) -> Result<f64, SnnError> {
    let images = counts.nrows();
    if labels.len() != images {
        return Err(SnnError::LabelCount { images, labels: labels.len() });
    }
    if images == 0 {
        return Err(SnnError::EmptyBatch);
    }
    let correct =
        counts.outer_iter().zip(labels).filter(|(row, &l)| predict(row.view()) == Some(l.into())).count();
    Ok(100.0 * correct as f64 / images as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{array, Array1, Array2};

    #[test]
    fn ties_anywhere_are_no_prediction() {
        assert_eq!(predict(array![5u32, 1, 5].view()), None);
        assert_eq!(predict(array![1u32, 5, 5].view()), None);
        assert_eq!(predict(array![5u32, 5, 1, 6].view()), Some(3));
        assert_eq!(predict(array![7u32].view()), Some(0));
        assert_eq!(predict(array![0u32].view()), None, "no spike is no prediction");
        assert_eq!(predict(Array1::<u32>::zeros(0).view()), None);
    }

    #[test]
    fn accuracy_errors() {
        let c = Array2::<u32>::zeros((2, 3));
        assert_eq!(
            accuracy_pct(c.view(), &[1u8]).unwrap_err(),
            SnnError::LabelCount { images: 2, labels: 1 }
        );
        let e = Array2::<u32>::zeros((0, 3));
        assert_eq!(accuracy_pct(e.view(), &[] as &[u8]).unwrap_err(), SnnError::EmptyBatch);
        assert_eq!(accuracy_pct(c.view(), &[0usize, 1]).unwrap(), 0.0);
    }
}
