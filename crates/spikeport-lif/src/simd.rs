//! Run-time choice of the widest vector unit, shared by every block kernel with
//! `#[target_feature]` builds (here, in `spikeport-cpu` and in `spikeport-analog`).

/// The widest vector unit this CPU offers to the vectorised block loops. Builds for the
/// wider units use no FMA, so every choice gives bit-identical results.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Simd {
    /// The build's baseline (SSE2 on x86-64).
    Baseline,
    /// AVX2 (x86-64).
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
    Avx2,
    /// AVX2 and AVX-512F (x86-64).
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
    Avx512,
}

impl Simd {
    /// Detect at run time (the standard library caches the answer).
    #[inline]
    pub fn detect() -> Self {
        #[cfg(target_arch = "x86_64")]
        {
            if std::is_x86_feature_detected!("avx2") {
                if std::is_x86_feature_detected!("avx512f") {
                    return Self::Avx512;
                }
                return Self::Avx2;
            }
        }
        Self::Baseline
    }

    /// Whether AVX2 (or wider) is available.
    pub fn has_avx2(self) -> bool {
        self != Self::Baseline
    }
}
