//! Keeps the configuration values where AWS names are looked for (issue 21): a workload's env values and
//! `args`/`command` items, ConfigMap `data` and Secret `stringData` values ([`ConfigValue`]); and the AWS
//! references in custom resources' `spec`s ([`SpecRef`]). `plan::names_in_config` matches and reports them.

use crate::diag::{FileId, Loc, Pos};
use crate::model::{ConfigValue, Model, SpecRef};
use crate::yaml::{Node, Value};

/// A scalar value as a [`ConfigValue`] (`None` for anything else). A literal block scalar (`|`, its text on the
/// lines after its indicator) records the line its text is counted from.
pub fn config_value(file: FileId, key: &str, n: &Node, within: Option<Pos>) -> Option<ConfigValue> {
    let text = n.as_str()?;
    let Value::Scalar { plain, .. } = &n.value else { return None };
    let lines = u32::try_from(text.trim_end_matches('\n').lines().count()).unwrap_or(u32::MAX);
    // The reader puts a block scalar at its first line of text: line `n` of the text is at `pos.line - 1 + n`.
    let spans = n.end.line.saturating_add(1).saturating_sub(n.pos.line) >= lines;
    let block = (!plain && text.contains('\n') && spans).then(|| n.pos.line.saturating_sub(1));
    Some(ConfigValue {
        key: super::intern::intern(key),
        text: super::intern::intern(text),
        loc: Loc { file, pos: n.pos },
        block,
        within,
    })
}

/// A container's `args` and `command` items.
pub fn container_args(file: FileId, c: &Node, out: &mut Vec<ConfigValue>) {
    for key in ["command", "args"] {
        let Some(list) = c.get(key) else { continue };
        for item in list.as_seq().unwrap_or_default() {
            out.extend(config_value(file, key, item, Some(list.pos)));
        }
    }
}

/// Text that points at AWS by its form: an ARN of an AWS partition, an `*.amazonaws.com` host, an S3 URI.
pub fn is_aws_text(s: &str) -> bool {
    s.contains("amazonaws.com")
        || ["s3://", "s3a://", "s3n://"].iter().any(|p| s.contains(p))
        || s.match_indices("arn:aws").any(|(i, _)| crate::model::Arn::parse(&s[i..]).is_some())
}

/// Whether an object of this API version is a custom resource: a group with a dot (the core and `apps`/`batch`
/// groups have none), not KEDA's (its triggers are translated or reported by `plan::keda`, E2A029).
pub fn is_custom_resource(api_version: &str) -> bool {
    let Some((group, _)) = api_version.split_once('/') else { return false };
    group.contains('.') && group != "keda.sh"
}

/// The AWS references in a custom resource's `spec` (every scalar, keys aside), each with its path and the
/// positions of the nodes that hold it.
pub fn spec_refs(model: &mut Model, file: FileId, node: &Node, object: usize) {
    let Some(spec) = node.get("spec") else { return };
    let mut within = vec![spec.pos];
    walk(model, file, spec, object, &mut String::from("spec"), &mut within);
}

fn walk(model: &mut Model, file: FileId, n: &Node, object: usize, path: &mut String, within: &mut Vec<Pos>) {
    match &n.value {
        Value::Scalar { text, .. } => {
            if is_aws_text(text) {
                model.spec_refs.push(SpecRef {
                    object,
                    path: path.clone(),
                    text: text.clone(),
                    loc: Loc { file, pos: n.pos },
                    within: within.clone(),
                });
            }
        }
        Value::Seq(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                within.push(item.pos);
                walk(model, file, item, object, path, within);
                within.pop();
                path.truncate(len);
            }
        }
        Value::Map(entries) => {
            for e in entries {
                let len = path.len();
                path.push('.');
                path.push_str(&e.key);
                within.push(e.value.pos);
                walk(model, file, &e.value, object, path, within);
                within.pop();
                path.truncate(len);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_literal_block_counts_its_lines_from_its_indicator() {
        let docs = crate::yaml::parse_stream("data:\n  app.yaml: |\n    a: 1\n    b: s3a://x\n  plain: one\n").unwrap();
        let data = docs[0].root.get("data").unwrap();
        let v = config_value(FileId(0), "app.yaml", data.get("app.yaml").unwrap(), None).unwrap();
        // Line 2 of the text (`b: s3a://x`) is line 4 of the file.
        assert_eq!(v.block.map(|b| b + 2), Some(4));
        let plain = config_value(FileId(0), "plain", data.get("plain").unwrap(), None).unwrap();
        assert_eq!((plain.block, plain.loc.pos.line), (None, 5));
    }

    #[test]
    fn aws_text_by_form() {
        assert!(is_aws_text("arn:aws:iam::111122223333:role/dns"));
        assert!(is_aws_text("https://sts.us-east-1.amazonaws.com"));
        assert!(is_aws_text("s3a://bucket/x"));
        assert!(!is_aws_text("arn:awsome"));
        assert!(!is_aws_text("us-east-1"));
        assert!(!is_aws_text("com.amazonaws.auth.WebIdentityTokenCredentialsProvider"));
    }

    #[test]
    fn custom_resources_by_group() {
        assert!(is_custom_resource("cert-manager.io/v1"));
        assert!(is_custom_resource("sparkoperator.k8s.io/v1beta2"));
        assert!(!is_custom_resource("apps/v1"));
        assert!(!is_custom_resource("v1"));
        assert!(!is_custom_resource("keda.sh/v1alpha1"));
    }
}
