//! Diagnostics shared by every stage: the registry of input files ([`Files`]), positions ([`Pos`], [`Loc`]) and
//! the one [`Finding`] type that every stage pushes into a [`Sink`]. This is the only module every stage may use;
//! it knows nothing of Kubernetes, IAM or Azure.

pub mod files;
mod finding;
mod render;
pub mod timings;

pub use files::{Digest, FileId, Files, SourceFile, line_of, line_starts};
pub use finding::{Finding, Loc, Pos, Severity, Sink};
pub use render::{Problem, render_problems, render_text, render_text_with};
