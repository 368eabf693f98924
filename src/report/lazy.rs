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

/// The Bicep view as the context of `bicep/main.bicep.j2`.
pub fn bicep_view(view: crate::render::bicep::View) -> Value {
    Value::from_object(BicepValue(Arc::new(view)))
}

/// The script view as the context of `az/role-assignments.sh.j2`.
pub fn sh_view(view: crate::render::az::ShView) -> Value {
    Value::from_object(ShValue(Arc::new(view)))
}

/// A record (a struct the templates read) as a template map: each field is looked up by the name serde gives it;
/// `value` fields are converted whole when read, `seq` fields are [`Seq`]s. `FIELDS` lists the keys in the
/// struct's order (a test holds it to the serialisation).
macro_rules! record {
    ($name:ident, $root:ty, { $($field:ident: $kind:ident),* $(,)? }) => {
        struct $name(Arc<$root>);

        impl $name {
            #[allow(dead_code)]
            const FIELDS: &'static [&'static str] = &[$(stringify!($field)),*];
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(concat!("<", stringify!($root), ">"))
            }
        }

        impl Object for $name {
            fn repr(self: &Arc<Self>) -> ObjectRepr {
                ObjectRepr::Map
            }

            fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
                let r = &self.0;
                Some(match key.as_str()? {
                    $(stringify!($field) => record!(@$kind r $field),)*
                    _ => return None,
                })
            }

            fn enumerate(self: &Arc<Self>) -> Enumerator {
                Enumerator::Str(Self::FIELDS)
            }
        }
    };
    (@value $r:ident $field:ident) => { Value::from(Serde(&$r.$field)) };
    (@seq $r:ident $field:ident) => { seq($r, |x| &x.$field) };
}

record!(PlanValue, Plan, {
    schema: value,
    identities: seq,
    resources: seq,
    workloads: seq,
    custom_roles: seq,
    findings: seq,
    summary: value,
});

record!(BicepValue, crate::render::bicep::View, {
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
});

record!(ShValue, crate::render::az::ShView, {
    vars: seq,
    custom_roles: seq,
    identities: seq,
    aks_issuer: value,
});

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

fn seq<R: Send + Sync + 'static, T: Serialize + Send + Sync + 'static>(root: &Arc<R>, items: fn(&R) -> &[T]) -> Value {
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
        let plan = empty_plan();
        let cfg = crate::config::Config::default();
        assert_eq!(keys(&plan), sorted(PlanValue::FIELDS));
        assert_eq!(keys(&crate::render::bicep::view(&Arc::new(plan.clone()), &cfg, 0)), sorted(BicepValue::FIELDS));
        assert_eq!(keys(&crate::render::az::sh_view(&Arc::new(plan.clone()), &cfg)), sorted(ShValue::FIELDS));
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
