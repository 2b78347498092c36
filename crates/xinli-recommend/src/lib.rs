//! Personalised recommendations for a shop.
//!
//! * [`interactions`]: customer × item matrices from canonical orders and events (views, carts
//!   and purchases weighted differently, with time decay), compact `u32` ids, CSR ([`csr`]).
//! * Models ([`model`]): popularity and trending (cold start), the customer's own reorders,
//!   item-kNN with cosine or BM25 weighting ([`knn`]), EASE ([`ease`]), and a blend.
//! * [`evaluate`]: the offline time-split evaluation (HR, precision, recall, NDCG at k, coverage).

pub mod csr;
pub mod ease;
pub mod evaluate;
pub mod index;
pub mod interactions;
pub mod knn;
pub mod model;
pub mod rerank;
pub mod run;
pub mod tune;

pub use evaluate::{Metrics, Split, TestSet};
pub use interactions::{Catalog, InteractionConfig, Interactions};
pub use model::{BlendWeights, Model, ModelConfig, Recommender, Scratch};
pub use tune::{tune_blend, Tuning};
pub use rerank::{read_profiles, recommend, Profile, ProfileError, Reason, Recommendation, RerankConfig};
pub use index::{Index, IndexError, IndexScratch};
pub use run::{read_product_list, write_evaluation, write_recommendations, RecommendOptions, RunError, RunOutcome};
