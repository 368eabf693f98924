//! `eks2aks init [INPUT...]`: a commented `eks2aks.yaml` from what the input shows (AWS accounts, regions, EKS OIDC
//! providers, the resources that get an Azure name, the add-ons found) and the values still to choose. The active
//! keys are only the detected services' default targets, so the file changes no decision until it is edited.

use super::*;
use serde_json::Value;
use std::collections::BTreeSet;
use std::fmt::Write as _;

/// What `init` and `plan` say when the input holds nothing they read.
pub fn nothing_found(inputs: &[PathBuf]) -> String {
    let shown: Vec<String> = if inputs.is_empty() {
        vec![".".into()]
    } else {
        inputs.iter().map(|p| text::escape(&p.to_string_lossy()).into_owned()).collect()
    };
    format!(
        "no manifests or IAM documents found under {}; looked for *.yaml, *.yml and *.json holding Kubernetes objects, AWS IAM exports (`aws iam …` and `aws eks …` JSON, bare policy documents), an eksctl ClusterConfig, CloudFormation templates or `terraform show -json` output. Helm charts and kustomize overlays are read rendered: `helm template … | eks2aks plan -`",
        shown.join(", ")
    )
}

/// Runs `init`.
pub fn run(
    args: cli::InitArgs,
    global: &cli::GlobalArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<ExitStatus> {
    let color = use_color(global.color);
    // The CLI contract: `eks2aks.yaml` in the current directory by default; `--out -` prints it.
    let target = match args.out.as_deref() {
        Some(p) if p == std::path::Path::new("-") => None,
        Some(p) => Some(p.to_path_buf()),
        None => Some(PathBuf::from("eks2aks.yaml")),
    };
    if let Some(f) = &target
        && (f.exists() || f.symlink_metadata().is_ok())
        && !args.force
    {
        anyhow::bail!("{} exists; init does not overwrite it without --force", f.display());
    }
    // Never write through a link (it may point anywhere), even with --force.
    if let Some(f) = &target
        && f.symlink_metadata().is_ok_and(|m| m.file_type().is_symlink())
    {
        anyhow::bail!("{} is a symbolic link; init writes only a regular file: remove the link first", f.display());
    }
    let (cfg, tables) = load_setup(global)?;
    let a = match analyse(&args.inputs, &cfg, &tables) {
        Ok(a) => a,
        Err((files, findings)) => return report_input_errors(&files, &findings, color, err),
    };
    if is_empty(&a.model) {
        writeln!(err, "error: {}", nothing_found(&args.inputs))?;
        return Ok(ExitStatus::Error);
    }
    let mut buf = Vec::new();
    report::json::write(&a.plan, &mut buf)?;
    let plan: Value = serde_json::from_slice(&buf)?;
    let yaml = config_text(&args.inputs, &plan, &tables);
    match &target {
        Some(f) => {
            std::fs::write(f, yaml)?;
            if !global.quiet {
                writeln!(err, "wrote {}", f.display())?;
            }
        }
        None => out.write_all(yaml.as_bytes())?,
    }
    Ok(ExitStatus::Success)
}

/// True when the input held no Kubernetes object and no IAM document.
pub fn is_empty(m: &crate::model::Model) -> bool {
    m.objects.is_empty()
        && m.service_accounts.is_empty()
        && m.workloads.is_empty()
        && m.roles.is_empty()
        && m.managed_policies.is_empty()
        && m.associations.is_empty()
        && m.loose_documents.is_empty()
}

fn strs<'a>(v: &'a Value, key: &str) -> impl Iterator<Item = &'a Value> {
    v.get(key).and_then(Value::as_array).into_iter().flatten()
}

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

/// Accounts and regions of every ARN the plan names.
fn accounts_regions(plan: &Value) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut arns: Vec<&str> = strs(plan, "identities").map(|i| s(i, "aws_role_arn")).collect();
    arns.extend(strs(plan, "resources").map(|r| s(r, "aws_arn")));
    let (mut accounts, mut regions) = (BTreeSet::new(), BTreeSet::new());
    for arn in arns {
        let parts: Vec<&str> = arn.splitn(6, ':').collect();
        if parts.len() == 6 {
            if !parts[3].is_empty() && parts[3] != "*" {
                regions.insert(parts[3].to_string());
            }
            if !parts[4].is_empty() && parts[4] != "*" && parts[4] != "aws" {
                accounts.insert(parts[4].to_string());
            }
        }
    }
    for p in strs(plan, "identities").flat_map(|i| strs(i, "aws_oidc_providers")).filter_map(Value::as_str) {
        // oidc.eks.<region>.amazonaws.com/id/<id>
        if let Some(r) = p.strip_prefix("oidc.eks.").and_then(|r| r.split('.').next()) {
            regions.insert(r.to_string());
        }
    }
    (accounts, regions)
}

fn line(out: &mut String, label: &str, items: &BTreeSet<String>) {
    let shown: Vec<String> = items.iter().map(|x| text::escape(x).into_owned()).collect();
    let _ = writeln!(out, "#   {label}: {}", if shown.is_empty() { "none found".into() } else { shown.join(", ") });
}

fn detected(out: &mut String, plan: &Value) {
    let (accounts, regions) = accounts_regions(plan);
    let providers: BTreeSet<String> = strs(plan, "identities")
        .flat_map(|i| strs(i, "aws_oidc_providers"))
        .filter_map(Value::as_str)
        .map(str::to_string)
        .collect();
    out.push_str("# Detected in the input:\n");
    line(out, "AWS accounts", &accounts);
    line(out, "AWS regions", &regions);
    line(out, "EKS clusters (their OIDC providers)", &providers);
    let n = strs(plan, "identities").count();
    let _ = writeln!(out, "#   IAM roles used by ServiceAccounts: {n} (one Azure managed identity each)");
    let resources: Vec<&Value> = strs(plan, "resources").collect();
    let _ = writeln!(out, "#   AWS resources that get an Azure name: {}", resources.len());
    for r in resources {
        let _ = writeln!(
            out,
            "#     {} → {} {}",
            text::escape(s(r, "aws_arn")),
            text::escape(s(r, "azure_service")),
            text::escape(s(r, "azure_name"))
        );
    }
    let addons: BTreeSet<String> =
        strs(plan, "addons").map(|a| format!("{} (→ {})", s(a, "name"), s(a, "replaced_by"))).collect();
    line(out, "AWS add-ons replaced by AKS features", &addons);
}

const CHOICES: &[(&str, &str)] = &[
    ("location", "westeurope          # Azure region of the generated resources (else a Bicep parameter)"),
    ("aks_cluster", "my-aks             # the AKS cluster whose OIDC issuer the credentials trust"),
    (
        "aks_oidc_issuer",
        "https://…          # or its issuer URL directly (az aks show --query oidcIssuerProfile.issuerUrl)",
    ),
    ("storage_account", "mystorage       # receives queues, tables and containers"),
    ("key_vault", "my-vault              # receives secrets and keys"),
    ("container_registry", "myacr        # receives ECR images (acr-import.sh)"),
];

fn config_text(inputs: &[PathBuf], plan: &Value, tables: &mapping::Tables) -> String {
    let shown: Vec<String> = inputs.iter().map(|p| text::escape(&p.to_string_lossy()).into_owned()).collect();
    let mut out = format!(
        "# eks2aks.yaml, written by `eks2aks init {}`. Every key is described in the README (\"Configuration\").\n#\n",
        shown.join(" ")
    );
    detected(&mut out, plan);
    out.push_str("#\n# Still to choose: uncomment and fill in.\n# azure:\n");
    for (k, v) in CHOICES {
        let _ = writeln!(out, "#   {k}: {v}");
    }
    out.push_str("# stay_on_aws: [\"arn:aws:s3:::legacy-*\"]   # resources that are not moving (phased migration)\n");
    out.push_str(
        "# bridge: aks-issuer                       # or entra: how AKS workloads reach what stays on AWS\n#\n",
    );
    out.push_str(
        "# Which Azure service receives each AWS service found (these are the defaults; the alternatives follow).\n",
    );
    let services: BTreeSet<&str> = strs(plan, "resources").map(|r| s(r, "aws_service")).collect();
    let known: Vec<(&str, &mapping::load::Service)> =
        services.iter().filter_map(|p| tables.services.get(*p).map(|svc| (*p, svc))).collect();
    if known.is_empty() {
        out.push_str("targets: {}\n");
    }
    for (i, (prefix, svc)) in known.iter().enumerate() {
        if i == 0 {
            out.push_str("targets:\n");
        }
        let others: Vec<&str> = svc.targets.keys().map(String::as_str).filter(|t| *t != svc.default_target).collect();
        let alt = if others.is_empty() { String::new() } else { format!("   # or: {}", others.join(", ")) };
        let _ = writeln!(out, "  {prefix}: {}{alt}", svc.default_target);
    }
    out
}
