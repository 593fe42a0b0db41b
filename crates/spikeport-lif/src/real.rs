//! The float types the kernels run in: `f32` (GeNN-like backends) and `f64` (reference).

use std::fmt::Debug;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Div, Mul, MulAssign, Neg, Sub, SubAssign};

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}

/// A floating-point type the kernels are generic over; implemented for `f32` and `f64`
/// only (sealed).
///
/// Propagators are always computed in `f64` and then rounded once with
/// [`Real::from_f64`], as GeNN computes its derived parameters in double precision.
pub trait Real:
    sealed::Sealed
    + Copy
    + Send
    + Sync
    + Debug
    + Default
    + PartialEq
    + PartialOrd
    + Sum
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + SubAssign
    + MulAssign
    + 'static
{
    /// 0.
    const ZERO: Self;
    /// 1.
    const ONE: Self;
    /// Round an `f64` to this type.
    fn from_f64(x: f64) -> Self;
    /// Widen to `f64`.
    fn to_f64(self) -> f64;
    /// The larger of two values (the other if one is NaN).
    fn max(self, other: Self) -> Self;
    /// The smaller of two values (the other if one is NaN).
    fn min(self, other: Self) -> Self;
    /// Absolute value.
    fn abs(self) -> Self;
    /// `e^self`.
    fn exp(self) -> Self;
    /// `self^e`.
    fn powf(self, e: Self) -> Self;
    /// `e^self` by a branch-free formula that vectorises inside loops: for `f32`, range
    /// reduction `x = k ln 2 + r` (|r| ≤ ln 2 / 2, Cody–Waite split of ln 2) and the
    /// degree-7 Taylor polynomial of `e^r` (truncation below 6e-9 relative), scaled by
    /// `2^k` through the exponent bits; relative error within a few f32 ulps for
    /// `self ∈ [−87, 88]` (arguments outside are clamped, so −∞ gives `e^−87` ≈ 1.6e-38,
    /// not 0). For `f64`, the standard library's `exp`.
    fn exp_fast(self) -> Self;
}

/// [`Real::exp_fast`] for `f32`.
#[inline(always)]
fn exp_fast_f32(x: f32) -> f32 {
    // ln 2 = LN2_HI + LN2_LO, LN2_HI with trailing zero bits so that k · LN2_HI is exact
    const LN2_HI: f32 = f32::from_bits(0x3f31_7200); // 0.693145751953125
    const LN2_LO: f32 = 1.428_606_8e-6;
    // 1.5 · 2^23: adding and subtracting it rounds to the nearest integer
    const ROUND: f32 = 12_582_912.0;
    // clamps as selects (not f32::max/min, whose NaN rules keep the loop scalar)
    let x = if x < -87.0 { -87.0 } else { x };
    let x = if x > 88.0 { 88.0 } else { x };
    let t = x * std::f32::consts::LOG2_E + ROUND;
    let k = t - ROUND;
    let r = (x - k * LN2_HI) - k * LN2_LO;
    let p = 1.0
        + r * (1.0
            + r * (1.0 / 2.0
                + r * (1.0 / 6.0 + r * (1.0 / 24.0 + r * (1.0 / 120.0 + r * (1.0 / 720.0 + r / 5040.0))))));
    // t = ROUND + k lies in [2^23, 2^24), where the float's bits count in units of 1, so
    // its bits minus ROUND's are k (no float-to-int cast, whose saturation is scalar);
    // k ∈ [−126, 127], so k + 127 is a valid biased exponent of a normal number
    let k_int = (t.to_bits() as i32).wrapping_sub(ROUND.to_bits() as i32);
    let scale = f32::from_bits(((k_int + 127) as u32) << 23);
    p * scale
}

macro_rules! impl_real {
    ($t:ty, $exp_fast:expr) => {
        impl Real for $t {
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            #[inline(always)]
            fn from_f64(x: f64) -> Self {
                x as $t
            }
            #[inline(always)]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline(always)]
            fn max(self, other: Self) -> Self {
                <$t>::max(self, other)
            }
            #[inline(always)]
            fn min(self, other: Self) -> Self {
                <$t>::min(self, other)
            }
            #[inline(always)]
            fn abs(self) -> Self {
                <$t>::abs(self)
            }
            #[inline(always)]
            fn exp(self) -> Self {
                <$t>::exp(self)
            }
            #[inline(always)]
            fn powf(self, e: Self) -> Self {
                <$t>::powf(self, e)
            }
            #[inline(always)]
            fn exp_fast(self) -> Self {
                $exp_fast(self)
            }
        }
    };
}

impl_real!(f32, exp_fast_f32);
impl_real!(f64, f64::exp);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_fast_f32_is_within_a_few_ulps_of_exp() {
        // dense sweep over the range the kernels use, plus the clamp edges
        let mut worst = 0.0f64;
        let mut x = -87.0f32;
        while x <= 88.0 {
            let want = f64::from(x).exp();
            let got = f64::from(exp_fast_f32(x));
            worst = worst.max(((got - want) / want).abs());
            x += 0.0137;
        }
        assert!(worst < 4.0 * f64::from(f32::EPSILON), "worst relative error {worst:e}");
        assert_eq!(exp_fast_f32(0.0), 1.0);
        assert!((f64::from(exp_fast_f32(-1000.0)) - (-87.0f64).exp()).abs() < 1e-40);
        assert_eq!(<f64 as Real>::exp_fast(0.5), 0.5f64.exp());
    }
}
