//! Stage 5: reports. One file per format; each reads the [`Plan`](crate::plan::Plan) (the graph formats read the
//! joined graph through [`GraphView`]) and writes to a `&mut dyn Write`.

pub mod diff;
pub mod graph;
pub mod json;
pub mod lazy;
pub mod mappings;
pub mod markdown;
pub mod table;

pub use graph::GraphView;
