//! Class-conditional networks (docs/features.md, "Guidance toward a class"): a learned row of
//! [`HIDDEN`] numbers per class, added to the first layer's pre-activations, with one more row for
//! the null class (no label).
//!
//! A one-hot class input c to the first layer contributes the column W1[:, c] to every
//! pre-activation; a learned embedding row E[c] added after the first layer is the same thing,
//! stored once per class. Because the hidden bias of a step, b1 + W1[:, emb] emb(t)
//! ([`Mlp::hidden_bias`]), is shared by all particles, the class costs nothing per particle:
//! the conditional network is the unconditional one with the hidden bias b(t) + E[c].
//!
//! The null class (Ho and Salimans 2022, Alg. 1: "classifier-free guidance" trains one network
//! for both) is the last row: during training each example's label is replaced by it with
//! probability [`LABEL_DROPOUT`], so that eps(x, empty) learns the unconditional prediction.
//! Classifier-free guidance combines the two predictions (`core::guidance`).

use crate::core::mlp::{Mlp, B1, HIDDEN};

/// Probability that a training example's label is replaced by the null class. Ho and Salimans
/// (2022, Section 4) trained with p_uncond in {0.1, 0.2} and found 0.1 to 0.2 equally good;
/// 0.2 gives the unconditional prediction more of the examples, which small 2-D networks need.
pub const LABEL_DROPOUT: f32 = 0.2;

/// Most classes a conditional network may have (a drawing's stroke colours, a dataset's
/// classes: the 8 Gaussians have the most, 8).
pub const MAX_CLASSES: usize = 16;

/// One row of [`HIDDEN`] numbers per class, then the null class's row.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ClassEmbedding {
    /// `(classes + 1) * HIDDEN` numbers, row-major; the null class last.
    pub rows: Vec<f32>,
}

impl ClassEmbedding {
    /// The embedding of `classes` classes with every row zero: at initialisation every class
    /// (and the null class) predicts what the unconditional network would.
    pub fn zeros(classes: usize) -> ClassEmbedding {
        ClassEmbedding { rows: vec![0.0; (classes + 1) * HIDDEN] }
    }

    /// Wraps rows; `None` unless they are a whole number of rows for 1 to [`MAX_CLASSES`]
    /// classes (plus the null class).
    pub fn from_rows(rows: Vec<f32>) -> Option<ClassEmbedding> {
        let count = rows.len() / HIDDEN;
        let whole = rows.len().is_multiple_of(HIDDEN);
        (whole && (2..=MAX_CLASSES + 1).contains(&count)).then_some(ClassEmbedding { rows })
    }

    /// The number of classes (the null class not counted).
    pub fn classes(&self) -> usize {
        self.rows.len() / HIDDEN - 1
    }

    /// The index of the null class's row: [`ClassEmbedding::classes`].
    pub fn null(&self) -> usize {
        self.classes()
    }

    /// Row `label` (a class index, or [`ClassEmbedding::null`]).
    pub fn row(&self, label: usize) -> &[f32] {
        &self.rows[label * HIDDEN..(label + 1) * HIDDEN]
    }

    /// The hidden bias of `mlp` at time t for `label`: b1 + W1[:, emb] emb(t) + E[label].
    pub fn hidden_bias(&self, mlp: &Mlp, t: f32, label: usize) -> [f32; HIDDEN] {
        self.shifted(mlp.hidden_bias(t), label)
    }

    /// `bias` + E[label].
    pub fn shifted(&self, bias: [f32; HIDDEN], label: usize) -> [f32; HIDDEN] {
        let row = self.row(label);
        std::array::from_fn(|j| bias[j] + row[j])
    }

    /// `mlp` with row `label` folded into its first-layer bias (b1 + E[label]): a plain network
    /// that predicts exactly what the conditional one does for `label`. With the null class it
    /// is the unconditional network, what an unguided run samples with.
    pub fn folded(&self, mlp: &Mlp, label: usize) -> Mlp {
        let mut folded = mlp.clone();
        let row = self.row(label);
        folded.weights[B1..B1 + HIDDEN].iter_mut().zip(row).for_each(|(b, e)| *b += e);
        folded
    }

    /// Rounded to half floats and widened back, as a weight file stores them.
    pub fn quantized(&self) -> ClassEmbedding {
        ClassEmbedding { rows: self.rows.iter().map(|&w| half::f16::from_f32(w).to_f32()).collect() }
    }
}
