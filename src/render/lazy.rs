//! The render views (Bicep, the `az` script) as template values built as the template reads them (the machinery
//! is `report::lazy`'s).

use crate::report::lazy::record;
use minijinja::value::Value;
use std::sync::Arc;

/// The Bicep view as the context of `bicep/main.bicep.j2`.
pub fn bicep_view(view: super::bicep::View) -> Value {
    Value::from_object(BicepValue(Arc::new(view)))
}

/// The script view as the context of `az/role-assignments.sh.j2`.
pub fn sh_view(view: super::az::ShView) -> Value {
    Value::from_object(ShValue(Arc::new(view)))
}

record!(BicepValue, super::bicep::View, {
    inputs: value,
    params: seq,
    aks_cluster: value,
    issuer: value,
    parents: seq,
    services: seq,
    leaves: seq,
    custom_roles: seq,
    identities: seq,
    assignments: seq,
    cosmos_assignments: seq,
    modules: seq,
});

record!(ShValue, super::az::ShView, {
    vars: seq,
    custom_roles: seq,
    identities: seq,
    aks_issuer: value,
});
