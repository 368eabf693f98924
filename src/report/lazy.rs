//! The plan (and the render views) as template values that are built as the template reads them.
//!
//! `Serde(&plan)` would first turn the whole plan into a tree of template values: on 10,000 identities that tree
//! was a quarter of a gigabyte, alive for the whole render. Here the plan's lists are template sequences whose
//! items are converted one at a time, when the template reaches them (and dropped after), so a template sees
//! exactly the values `Serde(&plan)` gave it, field for field.

use crate::plan::Plan;
use minijinja::value::{Enumerator, Object, ObjectRepr, Serde, Value};
use serde::Serialize;
use std::sync::Arc;

/// The plan as the `plan` value of a template.
pub fn plan(plan: &Arc<Plan>) -> Value {
    Value::from_object(PlanValue(plan.clone()))
}

/// A record (a struct the templates read) as a template map: each field is looked up by the name serde gives it;
/// `value` fields are converted whole when read, `seq` fields are [`Seq`]s. `FIELDS` lists the keys in the
/// struct's order (a test holds it to the serialisation).
macro_rules! record {
    ($name:ident, $root:ty, { $($field:ident: $kind:ident),* $(,)? }) => {
        pub(crate) struct $name(std::sync::Arc<$root>);

        impl $name {
            #[allow(dead_code)]
            pub(crate) const FIELDS: &'static [&'static str] = &[$(stringify!($field)),*];
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(concat!("<", stringify!($root), ">"))
            }
        }

        impl minijinja::value::Object for $name {
            fn repr(self: &std::sync::Arc<Self>) -> minijinja::value::ObjectRepr {
                minijinja::value::ObjectRepr::Map
            }

            fn get_value(self: &std::sync::Arc<Self>, key: &minijinja::value::Value) -> Option<minijinja::value::Value> {
                let r = &self.0;
                Some(match key.as_str()? {
                    $(stringify!($field) => $crate::report::lazy::record!(@$kind r $field),)*
                    _ => return None,
                })
            }

            fn enumerate(self: &std::sync::Arc<Self>) -> minijinja::value::Enumerator {
                minijinja::value::Enumerator::Str(Self::FIELDS)
            }
        }
    };
    (@value $r:ident $field:ident) => { minijinja::value::Value::from(minijinja::value::Serde(&$r.$field)) };
    (@seq $r:ident $field:ident) => { $crate::report::lazy::seq($r, |x| &x.$field) };
    (@coverage $r:ident $field:ident) => { Value::from_object(CoverageValue($r.clone())) };
    (@identities $r:ident $field:ident) => {
        Value::from_object(PlanList {
            plan: $r.clone(),
            len: |p| p.identities.len(),
            item: |p, i| Value::from_object(IdentityValue(p, i)),
        })
    };
    (@findings $r:ident $field:ident) => {
        Value::from_object(PlanList {
            plan: $r.clone(),
            len: |p| p.findings.len(),
            item: |p, i| Value::from_object(FindingValue(p, i)),
        })
    };
}
pub(crate) use record;

record!(PlanValue, Plan, {
    schema: value,
    identities: identities,
    resources: seq,
    workloads: seq,
    custom_roles: seq,
    findings: findings,
    summary: value,
    manifest_edits: seq,
    addons: seq,
});

/// One of the plan's lists whose items are maps read field by field: its identities ([`IdentityValue`]) and its
/// findings ([`FindingValue`]). `plan.md` walks the 10,000 identities three times, each time for a few fields, and
/// the 50,000 findings three times, once for their code alone; converting each item whole each time was most of
/// the time `plan.md` took.
struct PlanList {
    plan: Arc<Plan>,
    len: fn(&Plan) -> usize,
    item: fn(Arc<Plan>, usize) -> Value,
}

impl std::fmt::Debug for PlanList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "<{} items>", (self.len)(&self.plan))
    }
}

impl Object for PlanList {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Seq
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let i = key.as_usize().filter(|&i| i < (self.len)(&self.plan))?;
        Some((self.item)(self.plan.clone(), i))
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Seq((self.len)(&self.plan))
    }
}

/// One finding of the plan as a template map (see [`PlanList`]); like its serialisation, it has a `help` key only
/// when it has a help text.
struct FindingValue(Arc<Plan>, usize);

impl FindingValue {
    const FIELDS: &'static [&'static str] =
        &["file", "line", "column", "code", "rule", "severity", "message", "help", "suppressed"];
    const FIELDS_WITHOUT_HELP: &'static [&'static str] =
        &["file", "line", "column", "code", "rule", "severity", "message", "suppressed"];

    fn finding(&self) -> &crate::diag::Finding {
        &self.0.findings[self.1]
    }
}

impl std::fmt::Debug for FindingValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "<finding {}>", self.finding().code)
    }
}

impl Object for FindingValue {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Map
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let f = self.finding();
        Some(match key.as_str()? {
            "file" => Value::from(f.file.as_deref()),
            "line" => Value::from(f.line()),
            "column" => Value::from(f.column()),
            "code" => Value::from(f.code),
            "rule" => Value::from(f.rule()),
            "severity" => Value::from(f.severity.as_str()),
            "message" => Value::from(&*f.message),
            "help" => Value::from(f.help.as_deref()?),
            "suppressed" => Value::from(f.suppressed.as_deref()),
            _ => return None,
        })
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Str(if self.finding().help.is_some() { Self::FIELDS } else { Self::FIELDS_WITHOUT_HELP })
    }
}

/// One identity of the plan as a template map (see [`PlanList`]).
struct IdentityValue(Arc<Plan>, usize);

impl IdentityValue {
    /// The keys of [`crate::plan::Identity`]'s serialisation, in its order (a test holds them to it).
    const FIELDS: &'static [&'static str] = &[
        "name",
        "aws_role_arn",
        "service_accounts",
        "federated_credentials",
        "role_assignments",
        "aws_permissions",
        "aws_oidc_providers",
        "aws_bridge",
    ];

    fn identity(&self) -> &crate::plan::Identity {
        &self.0.identities[self.1]
    }
}

impl std::fmt::Debug for IdentityValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "<identity {}>", self.identity().name)
    }
}

impl Object for IdentityValue {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Map
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let id = self.identity();
        Some(match key.as_str()? {
            "name" => Value::from(id.name.as_str()),
            "aws_role_arn" => Value::from(id.aws_role_arn.as_str()),
            "service_accounts" => Value::from(Serde(&id.service_accounts)),
            "federated_credentials" => Value::from(Serde(&id.federated_credentials)),
            "role_assignments" => seq(self, |x| &x.identity().role_assignments),
            "aws_permissions" => seq(self, |x| &x.identity().aws_permissions),
            "aws_oidc_providers" => Value::from(Serde(&id.aws_oidc_providers)),
            "aws_bridge" => Value::from(Serde(&id.aws_bridge)),
            _ => return None,
        })
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Str(Self::FIELDS)
    }
}

/// A list whose items become template values only when read (and are dropped after).
pub fn list<T: Send + Sync + 'static>(items: Vec<T>, value: fn(&T) -> Value) -> Value {
    Value::from_object(List { items, value })
}

struct List<T> {
    items: Vec<T>,
    value: fn(&T) -> Value,
}

impl<T> std::fmt::Debug for List<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "<{} items>", self.items.len())
    }
}

impl<T: Send + Sync + 'static> Object for List<T> {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Seq
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        self.items.get(key.as_usize()?).map(self.value)
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Seq(self.items.len())
    }
}

pub(crate) fn seq<R: Send + Sync + 'static, T: Serialize + Send + Sync + 'static>(
    root: &Arc<R>,
    items: fn(&R) -> &[T],
) -> Value {
    Value::from_object(Seq { root: root.clone(), items })
}

/// One of a record's lists; an item becomes a template value when it is read (and is dropped after).
struct Seq<R: 'static, T: 'static> {
    root: Arc<R>,
    items: fn(&R) -> &[T],
}

impl<R, T> std::fmt::Debug for Seq<R, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "<{} items>", (self.items)(&self.root).len())
    }
}

impl<R: Send + Sync + 'static, T: Serialize + Send + Sync + 'static> Object for Seq<R, T> {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Seq
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        (self.items)(&self.root).get(key.as_usize()?).map(|item| Value::from(Serde(item)))
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Seq((self.items)(&self.root).len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn empty_plan() -> Plan {
        Plan {
            schema: crate::plan::SCHEMA,
            identities: vec![],
            resources: vec![],
            workloads: vec![],
            custom_roles: vec![],
            findings: vec![],
            summary: Default::default(),
            keda_authentications: vec![],
            keda: Default::default(),
            manifest_edits: vec![],
            eks_side_edits: vec![],
            ecr_images: vec![],
            scopes: Default::default(),
            addons: vec![],
            addon_objects: Default::default(),
        }
    }

    fn keys(v: &impl Serialize) -> Vec<String> {
        let mut k: Vec<String> = serde_json::to_value(v).unwrap().as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    }

    fn sorted(f: &[&str]) -> Vec<String> {
        let mut f: Vec<String> = f.iter().map(|s| s.to_string()).collect();
        f.sort();
        f
    }

    #[test]
    fn every_record_lists_exactly_its_serialised_keys() {
        let mut plan = empty_plan();
        // `addons` is serialised only when the plan has some; templates always see it.
        plan.addons.push(crate::plan::addons::AddonEntry {
            id: "karpenter".into(),
            name: "Karpenter".into(),
            replaced_by: "node auto-provisioning".into(),
            az: "az aks update".into(),
            doc: "https://learn.microsoft.com".into(),
            service_accounts: vec![],
            aws_role_arns: vec![],
            workloads: vec![],
            matched_by: vec![],
        });
        let cfg = crate::config::Config::default();
        assert_eq!(keys(&plan), sorted(PlanValue::FIELDS));
        assert_eq!(
            keys(&crate::render::bicep::view(&Arc::new(plan.clone()), &cfg, 0)),
            sorted(crate::render::lazy::BicepValue::FIELDS)
        );
        assert_eq!(
            keys(&crate::render::az::sh_view(&Arc::new(plan.clone()), &cfg)),
            sorted(crate::render::lazy::ShValue::FIELDS)
        );
        let report = crate::check::malformed_report(&crate::diag::Files::default(), &[]);
        assert_eq!(keys(&report), sorted(crate::check::lazy::ReportValue::FIELDS));
        assert_eq!(keys(&report.coverage), sorted(crate::check::lazy::CoverageValue::FIELDS));
    }

    #[test]
    fn an_identity_lists_exactly_its_serialised_keys_and_reads_as_serialised() {
        let tables = crate::mapping::load(None).unwrap();
        let cfg = crate::config::Config::default();
        let a = crate::analyse(&["testdata/examples/phased".into()], &cfg, &tables).unwrap();
        assert!(!a.plan.identities.is_empty());
        let ids = super::plan(&a.plan).get_attr("identities").unwrap();
        for (i, id) in a.plan.identities.iter().enumerate() {
            let lazy = ids.get_item(&Value::from(i)).unwrap();
            assert_eq!(keys(id), sorted(IdentityValue::FIELDS));
            // Field by field, the same template values as converting the identity whole.
            let eager = Value::from(Serde(id));
            for f in IdentityValue::FIELDS {
                assert_eq!(
                    lazy.get_attr(f).unwrap().to_string(),
                    eager.get_attr(f).unwrap().to_string(),
                    "{} {f}",
                    id.name
                );
            }
        }
        assert!(ids.get_item(&Value::from(a.plan.identities.len())).unwrap().is_undefined());
    }

    #[test]
    fn a_finding_lists_exactly_its_serialised_keys_and_reads_as_serialised() {
        let tables = crate::mapping::load(None).unwrap();
        let cfg = crate::config::Config::default();
        let a = crate::analyse(&["testdata/examples/edw-keda".into()], &cfg, &tables).unwrap();
        assert!(a.plan.findings.iter().any(|f| f.help.is_some()) && a.plan.findings.iter().any(|f| f.help.is_none()));
        let lazy = super::plan(&a.plan).get_attr("findings").unwrap();
        for (i, f) in a.plan.findings.iter().enumerate() {
            let lazy = lazy.get_item(&Value::from(i)).unwrap();
            let eager = Value::from(Serde(f));
            let lazy_keys: Vec<String> = lazy.try_iter().unwrap().map(|k| k.to_string()).collect();
            let eager_keys: Vec<String> = eager.try_iter().unwrap().map(|k| k.to_string()).collect();
            assert_eq!(lazy_keys, eager_keys, "{}", f.message);
            for k in FindingValue::FIELDS {
                assert_eq!(lazy.get_attr(k).unwrap(), eager.get_attr(k).unwrap(), "{} {k}", f.message);
            }
        }
    }

    #[test]
    fn every_field_of_the_plan_can_be_read() {
        let v = super::plan(&Arc::new(empty_plan()));
        for f in PlanValue::FIELDS {
            assert!(v.get_attr(f).is_ok_and(|x| !x.is_undefined()), "{f}");
        }
    }

    #[test]
    fn renders_as_the_serialised_plan_does() {
        let env = minijinja::Environment::new();
        let tpl = "{{ plan.schema }}|{{ plan.identities|length }}|{% if plan.findings %}F{% endif %}|\
                   {% for f in plan.findings %}{{ f.code }}:{{ f.line }}:{{ f.help }};{% endfor %}|{{ plan.summary }}|\
                   {{ plan.findings|selectattr('code', '>=', 'E2A014')|map(attribute='code')|join(',') }}";
        let mut plan = empty_plan();
        for (code, line) in [("E2A002", Some(3)), ("E2A016", None)] {
            plan.findings.push(crate::plan::FindingEntry {
                code,
                severity: crate::diag::Severity::Warning,
                message: "m".into(),
                loc: line.map(|line| crate::diag::Loc {
                    file: crate::diag::FileId(0),
                    pos: crate::diag::Pos { line, col: 0 },
                }),
                help: None,
                file: Some("a.yaml".into()),
                suppressed: None,
            });
        }
        let eager = env.render_str(tpl, minijinja::context! { plan => minijinja::value::Serde(&plan) }).unwrap();
        let lazy = env.render_str(tpl, minijinja::context! { plan => super::plan(&Arc::new(plan)) }).unwrap();
        assert_eq!(lazy, eager);
        assert!(lazy.contains("|0|F|E2A002:3:;E2A016:None:;|"), "{lazy}");
        assert!(lazy.ends_with("|E2A016"), "{lazy}");
    }
}
