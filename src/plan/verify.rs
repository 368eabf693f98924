//! The plan's own "never cross" check, run by `translate` before anything is rendered: every Azure thing the
//! outputs declare is declared once. Names come from [`crate::mapping::naming::unique_names`], so a failure
//! here is a bug in eks2aks (an internal error: nothing is written), never a property of the input.

use super::Plan;
use std::collections::{BTreeMap, BTreeSet};

/// `Err` names the first thing planned twice.
pub fn unique(plan: &Plan) -> Result<(), String> {
    let mut identities = BTreeSet::new();
    for id in &plan.identities {
        // Azure compares names without regard to case (`mapping::naming`), so does this check.
        if !identities.insert(id.name.to_ascii_lowercase()) {
            return Err(format!("managed identity `{}` is planned twice", id.name));
        }
        let mut names = BTreeSet::new();
        let mut subjects = BTreeSet::new();
        for f in &id.federated_credentials {
            if !names.insert(f.name.to_ascii_lowercase()) {
                return Err(format!("identity `{}`: federated credential `{}` is planned twice", id.name, f.name));
            }
            if !subjects.insert((&*f.issuer, f.subject.as_str())) {
                return Err(format!("identity `{}`: subject `{}` is federated twice", id.name, f.subject));
            }
        }
        let mut assignments = BTreeSet::new();
        for a in &id.role_assignments {
            // Azure allows one assignment of a role to a principal on a scope, whatever its condition.
            let key =
                (&*a.role_definition_id, &*a.scope.azure_type, &*a.scope.kind, a.scope.azure_name.to_ascii_lowercase());
            if !assignments.insert(key) {
                return Err(format!(
                    "identity `{}`: role `{}` on {} `{}` is assigned twice",
                    id.name, a.role_name, a.scope.kind, a.scope.azure_name
                ));
            }
        }
    }
    // One AWS resource per Azure name and type, whether it is declared as a resource or only as a scope.
    let mut owner: BTreeMap<(&str, String), &str> = BTreeMap::new();
    let scopes = plan
        .identities
        .iter()
        .flat_map(|i| i.role_assignments.iter())
        .map(|a| (&*a.scope.azure_type, &*a.scope.azure_name, &*a.scope.aws_arn));
    let resources =
        plan.resources.iter().filter_map(|r| Some((r.azure_type.as_deref()?, r.azure_name.as_deref()?, &*r.aws_arn)));
    for (ty, name, arn) in resources.chain(scopes) {
        // Parents chosen at deployment (`param:…`) and widened scopes (`*`) name no one AWS resource.
        if name.starts_with("param:") || arn == "*" || !arn.starts_with("arn:") {
            continue;
        }
        let key = (ty, name.to_ascii_lowercase());
        match owner.get(&key) {
            Some(other) if *other != arn => {
                return Err(format!("`{other}` and `{arn}` are both planned as {ty} `{name}`"));
            }
            Some(_) => {}
            None => {
                owner.insert(key, arn);
            }
        }
    }
    Ok(())
}
