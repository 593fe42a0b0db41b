//! Calibrate a profile from your own measurements: non-negative least squares.
//!
//! Given samples `(input_i, E_i)` — activity counters and the energy measured for them,
//! J — and a list of terms, [`fit`] finds coefficients `c ≥ 0` minimising
//! `Σ_i (E_i − Σ_k c_k q_k(input_i))²` with the active-set algorithm of Lawson and
//! Hanson (*Solving Least Squares Problems*, 1974, ch. 23), on columns scaled to unit
//! norm for conditioning.
//!
//! Uncertainties: with `P` the coefficients left positive (the passive set) and `A_P`
//! their columns, the residual variance is `s² = RSS / (n − |P|)` and the covariance of
//! the positive coefficients `s² (A_Pᵀ A_P)⁻¹` — the ordinary least-squares covariance on
//! the active set, which assumes independent, equal-variance errors of the measured
//! energies. Coefficients clamped at 0 are reported as `0 ± 0` with
//! [`FittedTerm::clamped`] set: their SD is not defined by this method.

use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};

use crate::{Coefficient, EnergyError, EnergyInput, Profile, ProfileKind, Term};

/// One calibration measurement.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sample {
    /// What the run did.
    pub input: EnergyInput,
    /// Energy measured for it, J.
    pub energy_j: f64,
}

/// A fitted coefficient.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FittedTerm {
    /// Which term.
    pub term: Term,
    /// Fitted value, in [`Term::coefficient_unit`] (≥ 0).
    pub value: f64,
    /// Standard deviation (1 SD), same unit; 0 when clamped.
    pub sd: f64,
    /// Whether the unconstrained optimum would be negative and the value was clamped to 0.
    pub clamped: bool,
}

/// The result of [`fit`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FitResult {
    /// One entry per requested term, in the order requested.
    pub terms: Vec<FittedTerm>,
    /// Residual standard deviation `(RSS / dof)^½`, J.
    pub residual_sd_j: f64,
    /// Degrees of freedom: samples − positive coefficients.
    pub dof: usize,
    /// Number of samples.
    pub samples: usize,
    /// The `fixed_neurons` the quantities were computed with.
    pub fixed_neurons: Option<f64>,
}

impl FitResult {
    /// The fitted entry of `term`.
    pub fn term(&self, term: Term) -> Option<&FittedTerm> {
        self.terms.iter().find(|t| t.term == term)
    }

    /// A [`ProfileKind::Fitted`] profile with these coefficients; each source says
    /// `"fit to N samples …: <note>"`.
    pub fn to_profile(&self, name: impl Into<String>, note: &str) -> Profile {
        let mut p = Profile::new(
            name,
            format!("fitted with spikeport-energy's NNLS to {} measured samples", self.samples),
            ProfileKind::Fitted,
        );
        p.fixed_neurons = self.fixed_neurons;
        for t in &self.terms {
            let clamp = if t.clamped { ", clamped at 0" } else { "" };
            let source = format!(
                "fit to {} samples (NNLS, residual SD {:.4e} J, dof {}{clamp}): {note}",
                self.samples, self.residual_sd_j, self.dof
            );
            p.coefficients.insert(t.term, Coefficient::new(t.value, t.sd, source));
        }
        p
    }
}

/// Solution of a non-negative least-squares problem.
#[derive(Clone, Debug, PartialEq)]
pub struct Nnls {
    /// The minimiser, all entries ≥ 0.
    pub x: DVector<f64>,
    /// `true` for entries in the passive (positive) set.
    pub passive: Vec<bool>,
}

/// Least squares restricted to the columns in `set`, via SVD; zeros elsewhere.
/// `None` if those columns are (numerically) linearly dependent.
fn restricted_ls(a: &DMatrix<f64>, b: &DVector<f64>, set: &[usize]) -> Option<DVector<f64>> {
    let sub = a.select_columns(set);
    let svd = sub.svd(true, true);
    let smax = svd.singular_values.max();
    let smin = svd.singular_values.min();
    if smax.is_nan() || smax <= 0.0 || smin <= smax * 1e-12 {
        return None;
    }
    let z = svd.solve(b, 0.0).ok()?;
    let mut full = DVector::zeros(a.ncols());
    for (i, &j) in set.iter().enumerate() {
        full[j] = z[i];
    }
    Some(full)
}

/// Minimise `‖a x − b‖₂` subject to `x ≥ 0` (Lawson–Hanson active set).
///
/// **Errors** with [`EnergyError::Singular`] (terms listed as `Term::ALL[j]` only when
/// called through [`fit`]; here with an empty list) if the columns on the passive set are
/// linearly dependent.
///
/// ```
/// use nalgebra::{dmatrix, dvector};
/// use spikeport_energy::fit::nnls;
///
/// // Unconstrained optimum is (1, -1); NNLS clamps the second entry.
/// let a = dmatrix![1.0, 0.0; 0.0, 1.0; 1.0, 1.0];
/// let b = dvector![1.0, -1.0, 0.0];
/// let s = nnls(&a, &b)?;
/// assert!(s.x[1] == 0.0 && s.x[0] > 0.0);
/// # Ok::<(), spikeport_energy::EnergyError>(())
/// ```
pub fn nnls(a: &DMatrix<f64>, b: &DVector<f64>) -> Result<Nnls, EnergyError> {
    let k = a.ncols();
    let mut x = DVector::<f64>::zeros(k);
    let mut passive = vec![false; k];
    let mut w = a.transpose() * (b - a * &x);
    let tol = 1e-12 * w.amax().max(f64::MIN_POSITIVE);
    let max_iter = 30 * (k + 1);
    let mut iter = 0;
    // Variables that re-entered and left at once (numerical ties): not tried again.
    let mut barred = vec![false; k];
    loop {
        let next = (0..k).filter(|&j| !passive[j] && !barred[j]).max_by(|&i, &j| w[i].total_cmp(&w[j]));
        let Some(j) = next else { break };
        if w[j] <= tol {
            break;
        }
        passive[j] = true;
        loop {
            iter += 1;
            let set: Vec<usize> = (0..k).filter(|&i| passive[i]).collect();
            let z = restricted_ls(a, b, &set).ok_or(EnergyError::Singular { terms: Vec::new() })?;
            if set.iter().all(|&i| z[i] > 0.0) {
                x = z;
                barred.iter_mut().for_each(|b| *b = false);
                break;
            }
            // Step from x towards z until the first passive entry reaches 0.
            let mut alpha = f64::INFINITY;
            for &i in &set {
                if z[i] <= 0.0 {
                    alpha = alpha.min(x[i] / (x[i] - z[i]));
                }
            }
            x += (z - &x) * alpha;
            for &i in &set {
                if x[i] <= 0.0 || (i == j && alpha == 0.0) {
                    x[i] = 0.0;
                    passive[i] = false;
                }
            }
            if !passive[j] && alpha == 0.0 {
                barred[j] = true;
            }
            if iter > max_iter || !passive.iter().any(|&p| p) {
                break;
            }
        }
        if iter > max_iter {
            break;
        }
        w = a.transpose() * (b - a * &x);
    }
    Ok(Nnls { x, passive })
}

/// Fit non-negative coefficients of `terms` to measured `samples` (see the
/// [module docs](self) for the method and its uncertainties). `fixed_neurons` is used as
/// in [`Profile::fixed_neurons`] when computing the neuron quantities.
///
/// ```
/// use spikeport_energy::{fit, EnergyInput, Sample, Term};
///
/// // Three runs of a board drawing 2 W idle + 10 nJ per spike, measured exactly.
/// let samples: Vec<Sample> = [(1.0, 1e6), (2.0, 5e6), (3.0, 2e6), (4.0, 9e6)]
///     .iter()
///     .map(|&(t, spikes)| Sample {
///         input: EnergyInput { hardware_time_s: t, spikes, ..EnergyInput::default() },
///         energy_j: 2.0 * t + 1e-8 * spikes,
///     })
///     .collect();
/// let r = fit(&[Term::IdlePower, Term::Spike], &samples, None)?;
/// assert!((r.terms[0].value - 2.0).abs() < 1e-9);
/// assert!((r.terms[1].value - 1e-8).abs() < 1e-15);
/// let profile = r.to_profile("my board", "bench measurements, 2026-01");
/// # Ok::<(), spikeport_energy::EnergyError>(())
/// ```
///
/// **Errors** with [`EnergyError::NoTerms`], [`EnergyError::DuplicateTerm`],
/// [`EnergyError::TooFewSamples`] (need at least terms + 1 samples),
/// [`EnergyError::InvalidSample`] / [`EnergyError::InvalidSampleInput`] (negative, NaN
/// or infinite values), [`EnergyError::ZeroColumn`] (a term whose quantity is 0 in every
/// sample) or [`EnergyError::Singular`] (linearly dependent quantities).
pub fn fit(terms: &[Term], samples: &[Sample], fixed_neurons: Option<f64>) -> Result<FitResult, EnergyError> {
    if terms.is_empty() {
        return Err(EnergyError::NoTerms);
    }
    for (i, t) in terms.iter().enumerate() {
        if terms[..i].contains(t) {
            return Err(EnergyError::DuplicateTerm(*t));
        }
    }
    let (n, k) = (samples.len(), terms.len());
    if n < k + 1 {
        return Err(EnergyError::TooFewSamples { samples: n, terms: k });
    }
    if let Some(f) = fixed_neurons {
        if !(f.is_finite() && f >= 0.0) {
            return Err(EnergyError::InvalidInput { field: "fixed_neurons", value: f });
        }
    }
    for (i, s) in samples.iter().enumerate() {
        if !(s.energy_j.is_finite() && s.energy_j >= 0.0) {
            return Err(EnergyError::InvalidSample { sample: i, value: s.energy_j });
        }
        s.input.validate().map_err(|e| EnergyError::InvalidSampleInput { sample: i, source: Box::new(e) })?;
    }
    let mut a = DMatrix::<f64>::from_fn(n, k, |i, j| terms[j].quantity(&samples[i].input, fixed_neurons));
    let b = DVector::<f64>::from_iterator(n, samples.iter().map(|s| s.energy_j));
    // Scale columns to unit norm: quantities span ~1 s to ~1e9 events.
    let mut scale = vec![0.0; k];
    for j in 0..k {
        let norm = a.column(j).norm();
        if norm.is_nan() || norm <= 0.0 {
            return Err(EnergyError::ZeroColumn(terms[j]));
        }
        scale[j] = norm;
        a.column_mut(j).scale_mut(1.0 / norm);
    }
    // The quantities must be linearly independent, or the coefficients are not
    // identifiable (NNLS would return one of infinitely many minimisers).
    let sv = a.clone().svd(false, false).singular_values;
    if sv.min() <= sv.max() * 1e-10 {
        return Err(EnergyError::Singular { terms: terms.to_vec() });
    }
    let sol = nnls(&a, &b).map_err(|e| match e {
        EnergyError::Singular { .. } => EnergyError::Singular { terms: terms.to_vec() },
        other => other,
    })?;
    let set: Vec<usize> = (0..k).filter(|&j| sol.passive[j] && sol.x[j] > 0.0).collect();
    let resid = &b - &a * &sol.x;
    let rss = resid.norm_squared();
    let dof = n - set.len();
    let s2 = rss / dof as f64;
    // (A_Pᵀ A_P)⁻¹ = V Σ⁻² Vᵀ from the SVD of A_P.
    let mut var = vec![0.0; k];
    if !set.is_empty() {
        let sub = a.select_columns(&set);
        let svd = sub.svd(false, true);
        let smax = svd.singular_values.max();
        let singular = || EnergyError::Singular { terms: set.iter().map(|&j| terms[j]).collect() };
        if svd.singular_values.min() <= smax * 1e-12 {
            return Err(singular());
        }
        let v_t = svd.v_t.as_ref().ok_or_else(singular)?;
        for (r, &j) in set.iter().enumerate() {
            var[j] = (0..set.len()).map(|m| (v_t[(m, r)] / svd.singular_values[m]).powi(2)).sum::<f64>() * s2;
        }
    }
    let fitted = (0..k)
        .map(|j| {
            let positive = set.contains(&j);
            FittedTerm {
                term: terms[j],
                value: if positive { sol.x[j] / scale[j] } else { 0.0 },
                sd: if positive { var[j].sqrt() / scale[j] } else { 0.0 },
                clamped: !positive,
            }
        })
        .collect();
    Ok(FitResult { terms: fitted, residual_sd_j: s2.sqrt(), dof, samples: n, fixed_neurons })
}
