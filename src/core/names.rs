//! The snake_case names of the option enums (options, share links, the CLI, weight files) and
//! their lists, derived by strum instead of written out per enum: `IntoStaticStr` spells a
//! variant (`#[strum(serialize_all = "snake_case")]`, with the same exceptions as serde's
//! renames), `VariantArray` lists the variants in declaration order, which is the order the UI
//! shows. Each enum keeps one-line `name`, `from_name` and `ALL` over these two helpers;
//! `tests/it/core_enum_names.rs` checks every name against serde's.

use strum::VariantArray;

/// The variant whose name is exactly `name`.
pub fn from_name<T: Copy + VariantArray + Into<&'static str>>(name: &str) -> Option<T> {
    T::VARIANTS.iter().copied().find(|&variant| Into::<&'static str>::into(variant) == name)
}

/// The variants as an array of the stated length `N`, for an enum's `const ALL: [T; N]`; evaluated
/// in a `const`, a wrong `N` (a variant added or removed) fails the build.
pub const fn all<T: Copy, const N: usize>(variants: &[T]) -> [T; N] {
    assert!(variants.len() == N, "N must be the number of variants");
    let mut all = [variants[0]; N];
    let mut i = 1;
    while i < N {
        all[i] = variants[i];
        i += 1;
    }
    all
}
