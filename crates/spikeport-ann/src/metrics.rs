//! Classification metrics.

use ndarray::Array2;

use crate::error::{AnnError, Result};

/// Accuracy and confusion matrix of a classifier on a labelled set.
#[derive(Clone, Debug, PartialEq)]
pub struct Evaluation {
    /// Number of correctly classified samples.
    pub correct: usize,
    /// Number of samples.
    pub total: usize,
    /// Confusion matrix (classes, classes): entry `[t, p]` counts samples of true class `t`
    /// predicted as `p`.
    pub confusion: Array2<usize>,
}

impl Evaluation {
    /// Builds the evaluation from predicted classes and true labels.
    ///
    /// **Errors** if the lengths differ or a label or prediction is not below `classes`.
    ///
    /// ```
    /// use spikeport_ann::Evaluation;
    /// let e = Evaluation::from_predictions(&[0, 1, 1], &[0, 1, 0], 2).unwrap();
    /// assert_eq!(e.correct, 2);
    /// assert!((e.accuracy_pct() - 66.666_67).abs() < 1e-3);
    /// assert_eq!(e.confusion[[0, 1]], 1);
    /// ```
    pub fn from_predictions(pred: &[usize], labels: &[u8], classes: usize) -> Result<Self> {
        if pred.len() != labels.len() {
            return Err(AnnError::LabelCountMismatch { inputs: pred.len(), labels: labels.len() });
        }
        let mut confusion = Array2::zeros((classes, classes));
        let mut correct = 0;
        for (index, (&p, &t)) in pred.iter().zip(labels).enumerate() {
            let t = usize::from(t);
            if t >= classes {
                return Err(AnnError::LabelOutOfRange { index, label: t, classes });
            }
            if p >= classes {
                return Err(AnnError::LabelOutOfRange { index, label: p, classes });
            }
            confusion[[t, p]] += 1;
            correct += usize::from(t == p);
        }
        Ok(Self { correct, total: pred.len(), confusion })
    }

    /// Accuracy in percent (0 for an empty set).
    pub fn accuracy_pct(&self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            100.0 * self.correct as f64 / self.total as f64
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confusion_rows_sum_to_class_counts() {
        let e = Evaluation::from_predictions(&[2, 2, 0, 1], &[2, 1, 0, 1], 3).expect("eval");
        assert_eq!(e.correct, 3);
        assert_eq!(e.confusion.sum(), 4);
        assert_eq!(e.confusion[[1, 2]], 1);
        assert_eq!(e.accuracy_pct(), 75.0);
    }

    #[test]
    fn bad_labels_are_errors() {
        assert!(matches!(
            Evaluation::from_predictions(&[0], &[5], 3),
            Err(AnnError::LabelOutOfRange { label: 5, .. })
        ));
        assert!(matches!(
            Evaluation::from_predictions(&[0, 1], &[0], 3),
            Err(AnnError::LabelCountMismatch { .. })
        ));
    }
}
