//! Fixed-point arithmetic as on the SpiNNaker-1 ARM968 cores.
//!
//! * [`S1615`]: ISO/IEC TR 18037 `accum` as sPyNNaker uses it for all neuron state
//!   (`REAL` in `neural_modelling/src/common/neuron-typedefs.h`): a signed 32-bit word
//!   with 15 fractional bits, resolution 2⁻¹⁵ ≈ 3.05e-5, range [−65536, 65536 − 2⁻¹⁵].
//!   Products are truncated toward −∞ (an arithmetic right shift of the exact 64-bit
//!   product by 15 bits, as GCC's `accum` multiply does). Unlike the chip, where an
//!   overflowing non-`_Sat` `accum` wraps, every operation here **saturates** at the
//!   range ends and never wraps (the issue's requirement: a modelling choice, documented
//!   in `docs/backends/spinnaker.md`).
//! * [`U032`]: an unsigned 0.32 fraction (`decay_t` in sPyNNaker's
//!   `neural_modelling/src/neuron/decay.h`), resolution 2⁻³², range [0, 1 − 2⁻³²].
//!   [`S1615::mul_u032`] is sPyNNaker's `decay_s1615`: the exact 64-bit product shifted
//!   right by 32 bits (truncation toward −∞), which can never overflow because the factor
//!   is below one.
//! * [`ring_to_input`]: a 16-bit unsigned ring-buffer entry shifted left by the
//!   per-receptor shift into an s16.15 value (`synapses_convert_weight_to_input` in
//!   sPyNNaker's `synapses.h`), saturating.

/// Number of fractional bits of [`S1615`].
pub const S1615_FRAC_BITS: u32 = 15;

/// Signed fixed point s16.15 (sPyNNaker's `REAL` / `accum`): value = raw · 2⁻¹⁵.
///
/// ```
/// use spikeport_spinnaker::fixed::S1615;
/// let a = S1615::from_f64(1.5);
/// assert_eq!(a.raw(), 3 << 14);
/// assert_eq!(a.saturating_mul(S1615::from_f64(-2.0)).to_f64(), -3.0);
/// assert_eq!(S1615::MAX.saturating_add(S1615::ONE), S1615::MAX); // never wraps
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct S1615(i32);

impl S1615 {
    /// 0.
    pub const ZERO: Self = Self(0);
    /// 1.0.
    pub const ONE: Self = Self(1 << S1615_FRAC_BITS);
    /// Largest value, 65536 − 2⁻¹⁵.
    pub const MAX: Self = Self(i32::MAX);
    /// Smallest value, −65536.
    pub const MIN: Self = Self(i32::MIN);
    /// Resolution, 2⁻¹⁵.
    pub const EPSILON: Self = Self(1);

    /// The value whose raw word is `raw` (value = raw · 2⁻¹⁵).
    #[inline]
    pub const fn from_raw(raw: i32) -> Self {
        Self(raw)
    }

    /// The raw 32-bit word.
    #[inline]
    pub const fn raw(self) -> i32 {
        self.0
    }

    /// Clamp an exact integer of raw units into range.
    #[inline]
    fn clamp_i64(x: i64) -> Self {
        Self(x.clamp(i32::MIN as i64, i32::MAX as i64) as i32)
    }

    /// Nearest representable value to `x` (ties away from zero, as the host tools'
    /// `round` conversion), saturating at the range ends; NaN maps to 0. Use
    /// [`S1615::checked_from_f64`] to detect out-of-range values.
    #[inline]
    pub fn from_f64(x: f64) -> Self {
        if x.is_nan() {
            return Self::ZERO;
        }
        let r = (x * (1u64 << S1615_FRAC_BITS) as f64).round();
        if r >= i32::MAX as f64 {
            Self::MAX
        } else if r <= i32::MIN as f64 {
            Self::MIN
        } else {
            Self(r as i32)
        }
    }

    /// Nearest representable value to `x`, or `None` if `x` is NaN, infinite or rounds
    /// outside the range.
    pub fn checked_from_f64(x: f64) -> Option<Self> {
        let r = (x * (1u64 << S1615_FRAC_BITS) as f64).round();
        (x.is_finite() && r >= i32::MIN as f64 && r <= i32::MAX as f64).then_some(Self(r as i32))
    }

    /// The exact value as f64 (every s16.15 value is representable).
    #[inline]
    pub fn to_f64(self) -> f64 {
        self.0 as f64 / (1u64 << S1615_FRAC_BITS) as f64
    }

    /// `self + rhs`, saturating at the range ends.
    #[inline]
    pub fn saturating_add(self, rhs: Self) -> Self {
        Self(self.0.saturating_add(rhs.0))
    }

    /// `self − rhs`, saturating at the range ends.
    #[inline]
    pub fn saturating_sub(self, rhs: Self) -> Self {
        Self(self.0.saturating_sub(rhs.0))
    }

    /// `−self`, saturating (−MIN = MAX).
    #[inline]
    pub fn saturating_neg(self) -> Self {
        Self(self.0.saturating_neg())
    }

    /// `self + rhs`, or `None` on overflow.
    #[inline]
    pub fn checked_add(self, rhs: Self) -> Option<Self> {
        self.0.checked_add(rhs.0).map(Self)
    }

    /// `self · rhs` truncated toward −∞ to 2⁻¹⁵ (the exact 64-bit product shifted right
    /// arithmetically by 15), saturating at the range ends.
    #[inline]
    pub fn saturating_mul(self, rhs: Self) -> Self {
        Self::clamp_i64((self.0 as i64 * rhs.0 as i64) >> S1615_FRAC_BITS)
    }

    /// `self · rhs` truncated as [`S1615::saturating_mul`], or `None` if it is out of
    /// range.
    #[inline]
    pub fn checked_mul(self, rhs: Self) -> Option<Self> {
        i32::try_from((self.0 as i64 * rhs.0 as i64) >> S1615_FRAC_BITS).ok().map(Self)
    }

    /// `self · 2⁻ⁿ` by arithmetic right shift (truncation toward −∞), as GCC's `>>` on
    /// `accum`; `n ≥ 31` gives 0 or −2⁻¹⁵.
    #[inline]
    pub fn shift_right(self, n: u32) -> Self {
        Self(self.0 >> n.min(31))
    }

    /// `self · d` for a 0.32 fraction `d`, truncated toward −∞ (sPyNNaker's
    /// `decay_s1615`). Cannot overflow: |result| ≤ |self|.
    #[inline]
    pub fn mul_u032(self, d: U032) -> Self {
        Self(((self.0 as i64 * d.0 as i64) >> 32) as i32)
    }
}

/// Unsigned 0.32 fraction (sPyNNaker's `decay_t`): value = raw · 2⁻³² ∈ [0, 1).
///
/// ```
/// use spikeport_spinnaker::fixed::{S1615, U032};
/// let half = U032::from_f64(0.5);
/// assert_eq!(half.raw(), 1 << 31);
/// assert_eq!(S1615::from_raw(3).mul_u032(half).raw(), 1);   // 1.5 truncated
/// assert_eq!(S1615::from_raw(-3).mul_u032(half).raw(), -2); // toward −∞
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct U032(u32);

impl U032 {
    /// 0.
    pub const ZERO: Self = Self(0);
    /// Largest value, 1 − 2⁻³².
    pub const MAX: Self = Self(u32::MAX);

    /// The fraction whose raw word is `raw`.
    #[inline]
    pub const fn from_raw(raw: u32) -> Self {
        Self(raw)
    }

    /// The raw 32-bit word.
    #[inline]
    pub const fn raw(self) -> u32 {
        self.0
    }

    /// Nearest representable fraction to `x`, clamped to [0, 1 − 2⁻³²]; NaN maps to 0.
    #[inline]
    pub fn from_f64(x: f64) -> Self {
        if x.is_nan() || x <= 0.0 {
            return Self::ZERO;
        }
        let r = (x * 4_294_967_296.0).round();
        if r >= u32::MAX as f64 {
            Self::MAX
        } else {
            Self(r as u32)
        }
    }

    /// The exact value as f64.
    #[inline]
    pub fn to_f64(self) -> f64 {
        self.0 as f64 / 4_294_967_296.0
    }
}

/// A 16-bit ring-buffer entry `w` shifted left by `shift` into s16.15 raw units
/// (`(int32) w << shift` in sPyNNaker), saturating; the flag says whether it saturated
/// (only possible for `shift ≥ 16`).
///
/// ```
/// use spikeport_spinnaker::fixed::ring_to_input;
/// assert_eq!(ring_to_input(3, 14).0.raw(), 3 << 14);
/// assert!(ring_to_input(u16::MAX, 16).1);
/// ```
#[inline]
pub fn ring_to_input(w: u16, shift: u32) -> (S1615, bool) {
    let x = (w as i64) << shift.min(32);
    if x > i32::MAX as i64 {
        (S1615::MAX, true)
    } else {
        (S1615(x as i32), false)
    }
}

/// `acc + w` on a 16-bit unsigned ring-buffer entry, saturating at 65535; returns
/// whether it saturated.
#[inline]
pub fn ring_add(acc: &mut u16, w: u16) -> bool {
    match acc.checked_add(w) {
        Some(s) => {
            *acc = s;
            false
        }
        None => {
            *acc = u16::MAX;
            true
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Exact floor(a·b / 2^15) clamped, in i128.
    fn exact_mul(a: i32, b: i32) -> i32 {
        let p = (a as i128 * b as i128).div_euclid(1 << 15);
        p.clamp(i32::MIN as i128, i32::MAX as i128) as i32
    }

    #[test]
    fn constants() {
        assert_eq!(S1615::ONE.to_f64(), 1.0);
        assert_eq!(S1615::MAX.to_f64(), 65536.0 - 1.0 / 32768.0);
        assert_eq!(S1615::MIN.to_f64(), -65536.0);
        assert_eq!(S1615::EPSILON.to_f64(), 2f64.powi(-15));
        assert_eq!(U032::MAX.to_f64(), 1.0 - 2f64.powi(-32));
    }

    #[test]
    fn conversion_rounds_to_nearest_and_saturates() {
        assert_eq!(S1615::from_f64(-65.0).raw(), -65 * 32768);
        assert_eq!(S1615::from_f64(0.4 / 32768.0).raw(), 0);
        assert_eq!(S1615::from_f64(0.6 / 32768.0).raw(), 1);
        assert_eq!(S1615::from_f64(-0.6 / 32768.0).raw(), -1);
        assert_eq!(S1615::from_f64(1e9), S1615::MAX);
        assert_eq!(S1615::from_f64(-1e9), S1615::MIN);
        assert_eq!(S1615::from_f64(f64::INFINITY), S1615::MAX);
        assert_eq!(S1615::from_f64(f64::NAN), S1615::ZERO);
        assert_eq!(S1615::checked_from_f64(70000.0), None);
        assert_eq!(S1615::checked_from_f64(f64::NAN), None);
        assert_eq!(S1615::checked_from_f64(-65536.0), Some(S1615::MIN));
        // e^{-1/20}: nearest of 32768·0.951229… = 31170.28 → 31170
        assert_eq!(S1615::from_f64((-1.0f64 / 20.0).exp()).raw(), 31170);
    }

    #[test]
    fn multiplication_truncates_toward_minus_infinity() {
        // 1.5 · 2⁻¹⁵ = 1.5 ulp → 1 ulp; −1.5 ulp → −2 ulp
        let x = S1615::from_f64(1.5);
        assert_eq!(x.saturating_mul(S1615::EPSILON).raw(), 1);
        assert_eq!(x.saturating_neg().saturating_mul(S1615::EPSILON).raw(), -2);
        // exact when representable: 100 MΩ · 0.25 nA = 25 mV
        assert_eq!(S1615::from_f64(100.0).saturating_mul(S1615::from_f64(0.25)).to_f64(), 25.0);
        assert_eq!(S1615::from_f64(300.0).saturating_mul(S1615::from_f64(300.0)), S1615::MAX);
        assert_eq!(S1615::from_f64(-300.0).saturating_mul(S1615::from_f64(300.0)), S1615::MIN);
        assert_eq!(S1615::from_f64(300.0).checked_mul(S1615::from_f64(300.0)), None);
    }

    #[test]
    fn decay_is_truncated_product() {
        let d = U032::from_f64((-1.0f64 / 3.0).exp());
        let g = S1615::from_raw(1_000_000);
        let exact = (1_000_000i128 * d.raw() as i128) >> 32;
        assert_eq!(g.mul_u032(d).raw() as i128, exact);
        assert_eq!(S1615::MIN.mul_u032(U032::MAX).raw(), i32::MIN); // floor(−2³¹ + ½)
        assert_eq!(S1615::MAX.mul_u032(U032::ZERO), S1615::ZERO);
        assert_eq!(U032::from_f64(2.0), U032::MAX);
        assert_eq!(U032::from_f64(-1.0), U032::ZERO);
    }

    #[test]
    fn ring_buffer_saturates_and_reports() {
        let mut a = 65_000u16;
        assert!(!ring_add(&mut a, 535));
        assert_eq!(a, 65_535);
        assert!(ring_add(&mut a, 1));
        assert_eq!(a, u16::MAX);
        assert_eq!(ring_to_input(u16::MAX, 15).0.raw(), 65_535 << 15);
        assert_eq!(ring_to_input(1, 40), (S1615::MAX, true));
    }

    proptest! {
        #[test]
        fn mul_matches_exact_rational(a in any::<i32>(), b in any::<i32>()) {
            let (x, y) = (S1615::from_raw(a), S1615::from_raw(b));
            prop_assert_eq!(x.saturating_mul(y).raw(), exact_mul(a, b));
            let exact = (a as i128 * b as i128).div_euclid(1 << 15);
            let in_range = exact >= i32::MIN as i128 && exact <= i32::MAX as i128;
            prop_assert_eq!(x.checked_mul(y).is_some(), in_range);
        }

        #[test]
        fn add_sub_saturate_exactly(a in any::<i32>(), b in any::<i32>()) {
            let (x, y) = (S1615::from_raw(a), S1615::from_raw(b));
            let s = (a as i64 + b as i64).clamp(i32::MIN as i64, i32::MAX as i64);
            prop_assert_eq!(x.saturating_add(y).raw() as i64, s);
            let d = (a as i64 - b as i64).clamp(i32::MIN as i64, i32::MAX as i64);
            prop_assert_eq!(x.saturating_sub(y).raw() as i64, d);
        }

        #[test]
        fn decay_matches_exact_and_shrinks(a in any::<i32>(), d in any::<u32>()) {
            let r = S1615::from_raw(a).mul_u032(U032::from_raw(d)).raw();
            prop_assert_eq!(r as i128, (a as i128 * d as i128).div_euclid(1i128 << 32));
            prop_assert!((r as i64).abs() <= (a as i64).abs());
        }

        #[test]
        fn conversions_never_panic(x in any::<f64>()) {
            let s = S1615::from_f64(x);
            if x.is_finite() && x.abs() < 65535.0 {
                prop_assert!((s.to_f64() - x).abs() <= 0.5 / 32768.0 + 1e-12);
                prop_assert_eq!(S1615::checked_from_f64(x), Some(s));
            }
            let u = U032::from_f64(x);
            if (0.0..0.999).contains(&x) {
                prop_assert!((u.to_f64() - x).abs() <= 0.5 / 4_294_967_296.0 + 1e-15);
            }
        }

        #[test]
        fn ring_ops_never_wrap(a in any::<u16>(), w in any::<u16>(), shift in 0u32..64) {
            let mut acc = a;
            let sat = ring_add(&mut acc, w);
            prop_assert_eq!(acc as u32, (a as u32 + w as u32).min(65_535));
            prop_assert_eq!(sat, a as u32 + w as u32 > 65_535);
            let (v, s) = ring_to_input(w, shift);
            let exact = (w as i128) << shift.min(32);
            prop_assert_eq!(v.raw() as i128, exact.min(i32::MAX as i128));
            prop_assert_eq!(s, exact > i32::MAX as i128);
        }
    }
}
