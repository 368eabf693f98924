//! Stage 3: the AWS → Azure mapping. The knowledge is data (`mappings/*.yaml`, bundled into the binary and
//! overridable entry by entry with `--mappings DIR`); this module holds the algorithm: load and validate the
//! tables ([`load`]), expand IAM actions and resources into needs per Azure scope ([`need`]), and choose the
//! least-privileged role set for each need ([`choose`]).

pub mod azure;
pub mod choose;
pub mod load;
pub mod naming;
pub mod need;

pub use load::{Tables, load};
