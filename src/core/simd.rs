//! Four f32 lanes for the CPU path's batched network: wasm SIMD128 in the browser, SSE2 natively
//! on x86-64, and plain arrays elsewhere (which compilers vectorise as they can).
//!
//! Only IEEE-exact lane-wise operations are offered (no approximate reciprocals), so every backend
//! gives the same bits as the scalar code it replaces; the batched MLP's bit-identity test
//! (`tests/it/core_mlp.rs`) holds on all of them. The one exception is [`F32x4::mul_add`] in the
//! page's second build, with wasm's relaxed SIMD (`-C target-feature=+relaxed-simd`, which
//! `cargo xtask build-wasm` writes to `www/pkg/relaxed-simd/`): there it is
//! `f32x4.relaxed_madd`, fused where the hardware has FMA, so the network's sums round once
//! per term instead of twice (the page loads that build only where `WebAssembly.validate`
//! accepts a relaxed-SIMD probe; its tolerance against this exact form is tested in the
//! browser, `tests/browser/wasm-builds.test.mjs`).

/// Four f32 values processed together.
#[derive(Clone, Copy, Debug)]
pub struct F32x4(Lanes);

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
type Lanes = core::arch::wasm32::v128;
#[cfg(all(target_arch = "x86_64", not(all(target_arch = "wasm32", target_feature = "simd128"))))]
type Lanes = core::arch::x86_64::__m128;
#[cfg(not(any(all(target_arch = "wasm32", target_feature = "simd128"), target_arch = "x86_64")))]
type Lanes = [f32; 4];

impl F32x4 {
    /// Every lane `value`.
    #[inline(always)]
    pub fn splat(value: f32) -> F32x4 {
        F32x4(lanes::splat(value))
    }

    /// Lane-wise clamp to [low, high] (for inputs that are not NaN).
    #[inline(always)]
    pub fn clamp(self, low: f32, high: f32) -> F32x4 {
        F32x4(lanes::clamp(self.0, low, high))
    }

    /// Lane-wise floor (for |x| < 2^31).
    #[inline(always)]
    pub fn floor(self) -> F32x4 {
        F32x4(lanes::floor(self.0))
    }

    /// 2^n for lanes holding integers n in [-126, 127], through the exponent bits.
    #[inline(always)]
    pub fn exp2_of_integer(self) -> F32x4 {
        F32x4(lanes::exp2_of_integer(self.0))
    }

    /// `self * factor + addend`, lane-wise: two roundings everywhere except in the relaxed-SIMD
    /// build, where the hardware may fuse them into one (see the module docs).
    #[inline(always)]
    pub fn mul_add(self, factor: F32x4, addend: F32x4) -> F32x4 {
        #[cfg(all(target_arch = "wasm32", target_feature = "relaxed-simd"))]
        {
            F32x4(core::arch::wasm32::f32x4_relaxed_madd(self.0, factor.0, addend.0))
        }
        #[cfg(not(all(target_arch = "wasm32", target_feature = "relaxed-simd")))]
        {
            self * factor + addend
        }
    }

    /// The lanes as an array.
    #[inline(always)]
    pub fn to_array(self) -> [f32; 4] {
        // SAFETY: every `Lanes` is 16 bytes holding four f32 in lane order.
        unsafe { std::mem::transmute::<Lanes, [f32; 4]>(self.0) }
    }

    /// Lanes from an array.
    #[inline(always)]
    pub fn from_array(values: [f32; 4]) -> F32x4 {
        // SAFETY: as in `to_array`.
        F32x4(unsafe { std::mem::transmute::<[f32; 4], Lanes>(values) })
    }
}

macro_rules! lane_wise_operator {
    ($trait:ident, $method:ident) => {
        impl std::ops::$trait for F32x4 {
            type Output = F32x4;
            #[inline(always)]
            fn $method(self, other: F32x4) -> F32x4 {
                F32x4(lanes::$method(self.0, other.0))
            }
        }
    };
}
lane_wise_operator!(Add, add);
lane_wise_operator!(Sub, sub);
lane_wise_operator!(Mul, mul);
lane_wise_operator!(Div, div);

impl std::ops::Neg for F32x4 {
    type Output = F32x4;
    /// The sign bit flipped.
    #[inline(always)]
    fn neg(self) -> F32x4 {
        F32x4(lanes::neg(self.0))
    }
}

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod lanes {
    use super::Lanes;
    use core::arch::wasm32::*;

    #[inline(always)]
    pub fn splat(value: f32) -> Lanes {
        f32x4_splat(value)
    }
    #[inline(always)]
    pub fn add(a: Lanes, b: Lanes) -> Lanes {
        f32x4_add(a, b)
    }
    #[inline(always)]
    pub fn sub(a: Lanes, b: Lanes) -> Lanes {
        f32x4_sub(a, b)
    }
    #[inline(always)]
    pub fn mul(a: Lanes, b: Lanes) -> Lanes {
        f32x4_mul(a, b)
    }
    #[inline(always)]
    pub fn div(a: Lanes, b: Lanes) -> Lanes {
        f32x4_div(a, b)
    }
    #[inline(always)]
    pub fn neg(a: Lanes) -> Lanes {
        f32x4_neg(a)
    }
    #[inline(always)]
    pub fn clamp(a: Lanes, low: f32, high: f32) -> Lanes {
        f32x4_pmax(f32x4_pmin(a, f32x4_splat(high)), f32x4_splat(low))
    }
    #[inline(always)]
    pub fn floor(a: Lanes) -> Lanes {
        f32x4_floor(a)
    }
    #[inline(always)]
    pub fn exp2_of_integer(n: Lanes) -> Lanes {
        i32x4_shl(i32x4_add(i32x4_trunc_sat_f32x4(n), i32x4_splat(127)), 23)
    }
}

// SAFETY (every `unsafe` block in this module): SSE2 is part of the x86-64 baseline, so its
// intrinsics are always available on this target.
#[cfg(all(target_arch = "x86_64", not(all(target_arch = "wasm32", target_feature = "simd128"))))]
mod lanes {
    use super::Lanes;
    use core::arch::x86_64::*;

    #[inline(always)]
    pub fn splat(value: f32) -> Lanes {
        unsafe { _mm_set1_ps(value) }
    }
    #[inline(always)]
    pub fn add(a: Lanes, b: Lanes) -> Lanes {
        unsafe { _mm_add_ps(a, b) }
    }
    #[inline(always)]
    pub fn sub(a: Lanes, b: Lanes) -> Lanes {
        unsafe { _mm_sub_ps(a, b) }
    }
    #[inline(always)]
    pub fn mul(a: Lanes, b: Lanes) -> Lanes {
        unsafe { _mm_mul_ps(a, b) }
    }
    #[inline(always)]
    pub fn div(a: Lanes, b: Lanes) -> Lanes {
        unsafe { _mm_div_ps(a, b) }
    }
    #[inline(always)]
    pub fn neg(a: Lanes) -> Lanes {
        unsafe { _mm_xor_ps(a, _mm_set1_ps(-0.0)) }
    }
    #[inline(always)]
    pub fn clamp(a: Lanes, low: f32, high: f32) -> Lanes {
        unsafe { _mm_max_ps(_mm_min_ps(a, _mm_set1_ps(high)), _mm_set1_ps(low)) }
    }
    /// SSE2 has no floor: trunc(x), less one where truncation rounded up.
    #[inline(always)]
    pub fn floor(a: Lanes) -> Lanes {
        unsafe {
            let truncated = _mm_cvtepi32_ps(_mm_cvttps_epi32(a));
            let rounded_up = _mm_and_ps(_mm_cmpgt_ps(truncated, a), _mm_set1_ps(1.0));
            _mm_sub_ps(truncated, rounded_up)
        }
    }
    #[inline(always)]
    pub fn exp2_of_integer(n: Lanes) -> Lanes {
        unsafe {
            let biased = _mm_add_epi32(_mm_cvttps_epi32(n), _mm_set1_epi32(127));
            _mm_castsi128_ps(_mm_slli_epi32(biased, 23))
        }
    }
}

#[cfg(not(any(all(target_arch = "wasm32", target_feature = "simd128"), target_arch = "x86_64")))]
mod lanes {
    use super::Lanes;

    #[inline(always)]
    pub fn splat(value: f32) -> Lanes {
        [value; 4]
    }
    #[inline(always)]
    pub fn add(a: Lanes, b: Lanes) -> Lanes {
        std::array::from_fn(|i| a[i] + b[i])
    }
    #[inline(always)]
    pub fn sub(a: Lanes, b: Lanes) -> Lanes {
        std::array::from_fn(|i| a[i] - b[i])
    }
    #[inline(always)]
    pub fn mul(a: Lanes, b: Lanes) -> Lanes {
        std::array::from_fn(|i| a[i] * b[i])
    }
    #[inline(always)]
    pub fn div(a: Lanes, b: Lanes) -> Lanes {
        std::array::from_fn(|i| a[i] / b[i])
    }
    #[inline(always)]
    pub fn neg(a: Lanes) -> Lanes {
        a.map(|v| -v)
    }
    #[inline(always)]
    pub fn clamp(a: Lanes, low: f32, high: f32) -> Lanes {
        a.map(|v| v.min(high).max(low))
    }
    #[inline(always)]
    pub fn floor(a: Lanes) -> Lanes {
        a.map(f32::floor)
    }
    #[inline(always)]
    pub fn exp2_of_integer(n: Lanes) -> Lanes {
        n.map(|n| f32::from_bits(((n as i32 + 127) as u32) << 23))
    }
}
