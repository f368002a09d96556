//! A fresh seed from the platform's randomness: the page's "Random" button and
//! `dp-sample --seed random` (`getrandom`: the operating system natively, `crypto.getRandomValues`
//! in a browser). Everything after the seed stays reproducible from it, so the page writes the
//! drawn seed into its link and the CLI prints it.

/// A uniformly random seed (any u32, as the options table allows).
pub fn random_seed() -> Result<u32, String> {
    let mut bytes = [0u8; 4];
    getrandom::fill(&mut bytes).map_err(|e| format!("no random seed from this platform: {e}"))?;
    Ok(u32::from_le_bytes(bytes))
}
