//! Stage 2: the join. Builds the petgraph graph that is the model's spine — workload → ServiceAccount → IAM role
//! → trust statements and permission statements → AWS resources — and reports what does not join up.

mod associations;
mod build;
pub mod eval;
mod pod_identity;
mod secrets;
pub mod trust;

pub use build::{Edge, EnvRole, Joined, NodeKind, Permission, build, build_with, join};
pub use secrets::{named_secrets, nearest_stores, spc_objects};
