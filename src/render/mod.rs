//! Stage 5 (translate): every artefact of `translate --out DIR`, laid out as the CLI contract says, rendered in
//! memory first (so nothing is written when anything fails, and `check --against` can compare without writing).

pub mod az;
pub mod bicep;
pub mod drift;
mod iac_check;
pub mod k8s;
pub mod lazy;
pub mod verify;
pub mod write;
pub mod yaml_out;

use crate::config::Config;
use crate::plan::Analysis;
use crate::templates::Templates;
use anyhow::{Context, Result};
use minijinja::context;
use minijinja::value::Serde;
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

/// Output files by relative path (always `/`-separated, never leaving the output directory).
pub type Tree = BTreeMap<String, String>;

/// Makes an input's relative path safe to use below `k8s/`: no `..`, no absolute or empty components.
pub fn safe_relative(rel: &str) -> String {
    let parts: Vec<&str> = rel.split(['/', '\\']).filter(|p| !p.is_empty() && *p != "." && *p != "..").collect();
    if parts.is_empty() { "input.yaml".into() } else { parts.join("/") }
}

/// Reads a `--client-ids` file: a JSON object of identity name → client id, or the outputs of
/// `az deployment group show --query properties.outputs` (`{"clientIds": {"type": "Object", "value": {…}}}`).
pub fn read_client_ids(path: &std::path::Path) -> Result<BTreeMap<String, String>> {
    let bytes = crate::diag::files::read_capped(path, true, crate::diag::files::max_file_size())
        .with_context(|| format!("reading --client-ids {}", path.display()))?;
    let text =
        String::from_utf8(bytes).with_context(|| format!("reading --client-ids {}: not UTF-8", path.display()))?;
    let v: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("--client-ids {} is not JSON", path.display()))?;
    let map = v.pointer("/clientIds/value").or_else(|| v.get("clientIds")).unwrap_or(&v);
    let obj = map
        .as_object()
        .with_context(|| format!("--client-ids {}: expected an object of identity name → client id", path.display()))?;
    let mut out = BTreeMap::new();
    for (k, v) in obj {
        let id = v
            .as_str()
            .with_context(|| format!("--client-ids {}: the client id of `{k}` is not a string", path.display()))?;
        if !crate::mapping::load::is_guid(id) {
            anyhow::bail!("--client-ids {}: the client id of `{k}` is not a GUID: {id:?}", path.display());
        }
        out.insert(k.clone(), id.to_string());
    }
    Ok(out)
}

/// Where rendered files go: a map in memory ([`translate`], for `check --against`) or files in a directory
/// ([`write::DirWriter`], for `translate --out`). Called from several threads at once.
pub trait Emit: Sync {
    /// Takes one file (path relative to the output root, `/`-separated).
    fn emit(&self, rel: String, text: String) -> Result<()>;

    /// Takes one file that `write` produces, streamed where the sink allows (a large plan.json is then never
    /// held in memory whole). The text gets exactly one final newline, as with [`Emit::emit`].
    fn emit_with(&self, rel: String, write: &mut dyn FnMut(&mut dyn std::io::Write) -> Result<()>) -> Result<()> {
        let mut buf = Vec::new();
        write(&mut buf)?;
        let text = String::from_utf8(buf).context("rendered text is not UTF-8")?;
        self.emit(rel, one_final_newline(text))
    }
}

impl Emit for std::sync::Mutex<Tree> {
    fn emit(&self, rel: String, text: String) -> Result<()> {
        self.lock().unwrap_or_else(|e| e.into_inner()).insert(rel, text);
        Ok(())
    }
}

/// A writer that ends its text with exactly one newline, whatever was written: trailing newlines are held back
/// until more text follows, and [`OneFinalNewline::finish`] writes one. Same result as [`one_final_newline`].
pub struct OneFinalNewline<W: std::io::Write> {
    inner: W,
    held: usize,
}

impl<W: std::io::Write> OneFinalNewline<W> {
    /// Wraps `inner`.
    pub fn new(inner: W) -> Self {
        OneFinalNewline { inner, held: 0 }
    }

    /// Writes the final newline and returns the inner writer.
    pub fn finish(mut self) -> std::io::Result<W> {
        self.inner.write_all(b"\n")?;
        Ok(self.inner)
    }
}

impl<W: std::io::Write> std::io::Write for OneFinalNewline<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let content = buf.iter().rposition(|&b| b != b'\n').map_or(0, |i| i + 1);
        if content > 0 {
            for _ in 0..self.held {
                self.inner.write_all(b"\n")?;
            }
            self.held = 0;
            self.inner.write_all(&buf[..content])?;
        }
        self.held += buf.len() - content;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Every text file ends with exactly one newline (templates may drop it or add more).
fn one_final_newline(mut text: String) -> String {
    while text.ends_with("\n\n") {
        text.pop();
    }
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text
}

/// The independent pieces of the output, rendered in parallel.
#[derive(Clone, Copy)]
enum Task {
    PlanJson,
    PlanMd,
    Bicep,
    RoleAssignments,
    AcrImport,
    AwsBridge,
    EksSide,
    Manifests,
}

impl Task {
    /// The name its time is recorded under.
    fn name(self) -> &'static str {
        match self {
            Task::PlanJson => "render plan.json",
            Task::PlanMd => "render plan.md",
            Task::Bicep => "render bicep",
            Task::RoleAssignments => "render role-assignments",
            Task::AcrImport => "render acr-import",
            Task::AwsBridge => "render aws bridge",
            Task::EksSide => "render eks side",
            Task::Manifests => "render manifests",
        }
    }
}

/// Renders every artefact into a map.
pub fn translate(
    a: &mut Analysis,
    cfg: &Config,
    tpl: &Templates,
    client_ids: &BTreeMap<String, String>,
) -> Result<Tree> {
    let tree = std::sync::Mutex::new(Tree::new());
    translate_to(a, false, cfg, tpl, client_ids, &tree)?;
    Ok(tree.into_inner().unwrap_or_else(|e| e.into_inner()))
}

/// Renders every artefact and hands each to `out` as soon as it is done. The artefacts are independent, so they
/// are rendered as parallel tasks (the manifests themselves in parallel chunks); what each contains does not
/// depend on the order they finish in. Returns the number of files.
///
/// They are rendered in two rounds: first the reports and the small artefacts, then the manifests and the
/// Bicep. With `spend`, what only the reports read — the findings, each identity's AWS statements and the
/// model's IAM side — is freed between the rounds ([`Analysis::release_reports`]): the second round is where
/// memory peaks (the manifest rewrite's indexes and the Bicep view, together), and at 10,000 apps those were a
/// quarter of it.
pub fn translate_to(
    a: &mut Analysis,
    spend: bool,
    cfg: &Config,
    tpl: &Templates,
    client_ids: &BTreeMap<String, String>,
    out: &dyn Emit,
) -> Result<usize> {
    // Never cross: every identity, credential, assignment and resource is planned once (checked before anything
    // is rendered; the manifests check themselves as they are rewritten, see `verify`).
    crate::plan::verify::unique(&a.plan).map_err(|m| {
        anyhow::anyhow!("internal error: the plan failed its own check, so nothing was written: {m}. This is a bug in eks2aks; please report it with the input")
    })?;
    let r = Renderer {
        cfg,
        client_ids,
        env: tpl.env()?,
        out,
        count: std::sync::atomic::AtomicUsize::new(0),
        // Output paths of the manifests: decided up front and in input order, so that name collisions are
        // resolved the same way whatever finishes first.
        manifest_path: unique_paths(a, "k8s", a.model.objects_by_file().into_keys()),
        user_iac: iac_check::TEMPLATES.iter().copied().filter(|n| tpl.is_user(n)).collect(),
    };
    let run = |a: &Analysis, tasks: &[Task]| -> Result<()> {
        // Every task runs; the first error in task order is the one reported, whichever fails first.
        let done: Vec<Result<()>> = crate::par::install(|| tasks.par_iter().map(|&t| r.task(a, t)).collect());
        done.into_iter().collect()
    };
    // Longest first in each round; the manifests spread over every thread themselves.
    run(a, &[Task::PlanMd, Task::PlanJson, Task::RoleAssignments, Task::AcrImport, Task::AwsBridge, Task::EksSide])?;
    if spend {
        a.release_reports();
    }
    run(a, &[Task::Manifests, Task::Bicep])?;
    Ok(r.count.into_inner())
}

/// What every rendering task shares: the config, the client ids, the templates and where files go.
struct Renderer<'a> {
    cfg: &'a Config,
    client_ids: &'a BTreeMap<String, String>,
    env: minijinja::Environment<'a>,
    out: &'a dyn Emit,
    /// Files handed to `out`.
    count: std::sync::atomic::AtomicUsize,
    manifest_path: OutputPaths,
    /// The IaC templates the user replaced: their output is checked against the plan before it is written.
    user_iac: BTreeSet<&'static str>,
}

impl Renderer<'_> {
    /// Hands a whole text to `out` (with exactly one final newline).
    fn emit(&self, rel: String, text: String) -> Result<()> {
        self.count.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.out.emit(rel, one_final_newline(text))
    }

    /// Streams a file to `out`.
    fn stream(&self, rel: &str, write: &mut dyn FnMut(&mut dyn std::io::Write) -> Result<()>) -> Result<()> {
        self.count.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.out.emit_with(rel.to_string(), write)
    }

    /// Renders a template into a streamed file.
    fn template(&self, rel: &str, name: &str, ctx: &minijinja::Value) -> Result<()> {
        let t = self.env.get_template(name)?;
        self.stream(rel, &mut |w| {
            t.render_captured_to(ctx, w)?;
            Ok(())
        })
    }

    /// The Bicep files from a user's template: each rendered whole, and `main.bicep` checked against the plan
    /// together with the modules before it is written (a failure leaves `--out` as it was: files go to a
    /// temporary directory first).
    fn checked_bicep(&self, a: &Analysis, view: bicep::View) -> Result<()> {
        let mut texts: Vec<String> = Vec::new();
        let module = self.env.get_template("bicep/module.bicep.j2")?;
        for m in &view.modules {
            let ctx = context! { m => minijinja::value::Serde(m), inputs => a.files.len() };
            self.stream(&format!("bicep/{}", m.file), &mut |w| {
                let text = module.render(&ctx)?;
                w.write_all(text.as_bytes())?;
                texts.push(text);
                Ok(())
            })?;
        }
        let main = self.env.get_template("bicep/main.bicep.j2")?;
        let ctx = lazy::bicep_view(view);
        let names: Vec<&str> = self.user_iac.iter().copied().filter(|n| n.starts_with("bicep/")).collect();
        self.stream("bicep/main.bicep", &mut |w| {
            let text = main.render(&ctx)?;
            let all: Vec<&str> = texts.iter().map(String::as_str).chain([text.as_str()]).collect();
            iac_check::conditions_carried(&a.plan, &all, crate::templates::bicep_string, &names.join(", "))?;
            w.write_all(text.as_bytes())?;
            Ok(())
        })
    }

    /// Runs one task, its CPU seconds recorded under its name (`EKS2AKS_TIMINGS`).
    fn task(&self, a: &Analysis, t: Task) -> Result<()> {
        let start = std::time::Instant::now();
        let done = self.run_task(a, t);
        crate::diag::timings::add_cpu(t.name(), start);
        done
    }

    fn run_task(&self, a: &Analysis, t: Task) -> Result<()> {
        match t {
            Task::PlanJson => self.stream("plan.json", &mut |w| Ok(crate::json::write_pretty(&*a.plan, w)?)),
            Task::PlanMd => {
                self.template("plan.md", "report/plan.md.j2", &context! { plan => crate::report::lazy::plan(&a.plan), graph => crate::report::markdown::graph(&a.plan) })
            }
            Task::Bicep => {
                let view = bicep::view(&a.plan, self.cfg, a.files.len());
                self.emit("bicep/main.parameters.json".into(), bicep::parameters_json(&view, self.cfg))?;
                if ["bicep/main.bicep.j2", "bicep/module.bicep.j2"].iter().any(|n| self.user_iac.contains(n)) {
                    return self.checked_bicep(a, view);
                }
                for m in &view.modules {
                    let ctx = context! { m => minijinja::value::Serde(m), inputs => a.files.len() };
                    self.template(&format!("bicep/{}", m.file), "bicep/module.bicep.j2", &ctx)?;
                }
                self.template("bicep/main.bicep", "bicep/main.bicep.j2", &lazy::bicep_view(view))
            }
            Task::RoleAssignments => {
                self.stream("role-assignments.json", &mut |w| Ok(az::write_json(&a.plan, w)?))?;
                let view = lazy::sh_view(az::sh_view(&a.plan, self.cfg));
                let name = "az/role-assignments.sh.j2";
                if self.user_iac.contains(name) {
                    let t = self.env.get_template(name)?;
                    return self.stream("role-assignments.sh", &mut |w| {
                        let text = t.render(&view)?;
                        iac_check::conditions_carried(&a.plan, &[&text], crate::templates::sh_quote, name)?;
                        w.write_all(text.as_bytes())?;
                        Ok(())
                    });
                }
                self.template("role-assignments.sh", name, &view)
            }
            Task::AcrImport => {
                // The plan's list (sorted and unique); each line becomes a template value only when the template
                // reaches it.
                if a.plan.ecr_images.is_empty() {
                    return Ok(());
                }
                let images = crate::report::lazy::list(a.plan.ecr_images.clone(), |i| {
                    context! { source => &i.source, target => &i.target }
                });
                let acr = self.cfg.azure.container_registry.clone().unwrap_or_default();
                self.template("acr-import.sh", "az/acr-import.sh.j2", &context! { images, acr })
            }
            Task::AwsBridge => aws_bridge(a, &self.env, &|rel, text| self.emit(rel, text)),
            Task::EksSide => {
                // Reverse bridge: manifests of workloads still on EKS, under eks/.
                let side = k8s::eks_side(a, self.client_ids)?;
                let paths = unique_paths(a, "eks", side.keys().copied());
                for (file, text) in side {
                    self.emit(paths.get(a, file), text)?;
                }
                Ok(())
            }
            Task::Manifests => {
                k8s::rewrite(a, self.client_ids, &|file, text| self.emit(self.manifest_path.get(a, file), text))
            }
        }
    }
}

/// Output paths under `prefix` for input files, in input order: the path relative to its INPUT; when another
/// input already took it, the path as given; when that is taken too, a number before the extension (`sa.2.yaml`:
/// `kubectl apply -f DIR` reads only `*.yaml`, `*.yml`, `*.json`). Every path is distinct.
fn unique_paths(a: &Analysis, prefix: &'static str, files: impl Iterator<Item = crate::diag::FileId>) -> OutputPaths {
    let mut used: BTreeSet<String> = BTreeSet::new();
    let mut renamed = BTreeMap::new();
    for file in files {
        let f = a.files.get(file);
        let mut rel = OutputPaths::usual(prefix, f);
        let usual = rel.clone();
        if used.contains(&rel) {
            rel = format!("{prefix}/{}", safe_relative(&f.display));
        }
        if used.contains(&rel) {
            let (stem, ext) = match rel.rsplit_once('.') {
                Some((stem, ext)) if !ext.contains('/') => (stem.to_string(), format!(".{ext}")),
                _ => (rel.clone(), String::new()),
            };
            let mut n = 2;
            while used.contains(&format!("{stem}.{n}{ext}")) {
                n += 1;
            }
            rel = format!("{stem}.{n}{ext}");
        }
        used.insert(rel.clone());
        if rel != usual {
            renamed.insert(file, rel);
        }
    }
    OutputPaths { prefix, renamed }
}

/// The output path of each input file ([`unique_paths`]). Only the paths that are not the usual one are kept: a
/// copy of all 43,000 was 7 MB for the whole of `translate`.
struct OutputPaths {
    prefix: &'static str,
    renamed: BTreeMap<crate::diag::FileId, String>,
}

impl OutputPaths {
    fn usual(prefix: &str, f: &crate::diag::SourceFile) -> String {
        format!("{prefix}/{}", safe_relative(f.relative()))
    }

    fn get(&self, a: &Analysis, file: crate::diag::FileId) -> String {
        self.renamed.get(&file).cloned().unwrap_or_else(|| Self::usual(self.prefix, a.files.get(file)))
    }
}

/// Phased migration: the AWS side of the bridge.
fn aws_bridge(a: &Analysis, env: &minijinja::Environment, emit: &dyn Fn(String, String) -> Result<()>) -> Result<()> {
    let bridges: Vec<_> = a
        .plan
        .identities
        .iter()
        .filter_map(|i| i.aws_bridge.as_ref().map(|b| (i, b)))
        .enumerate()
        .map(|(k, (i, b))| {
            context! {
                logical_id => format!("BridgeRole{k}"),
                identity => i.name.clone(),
                role_name => b.role_name.clone(),
                subjects => b.subjects.clone(),
                trust => Serde(&b.trust),
                policy => Serde(&b.policy),
            }
        })
        .collect();
    let Some(first) = a.plan.identities.iter().find_map(|i| i.aws_bridge.as_ref()) else { return Ok(()) };
    let ctx = context! {
        kind => first.kind.clone(),
        provider_url => format!("https://{}", first.provider),
        audience => first.audience.clone(),
        bridges => bridges,
    };
    emit("aws/bridge.cfn.yaml".into(), env.get_template("aws/bridge.cfn.yaml.j2")?.render(&ctx)?)?;
    emit("aws/iam-commands.sh".into(), env.get_template("aws/iam-commands.sh.j2")?.render(&ctx)?)?;
    if first.kind == "entra" {
        emit("aws/entra-app.sh".into(), env.get_template("aws/entra-app.sh.j2")?.render(&ctx)?)?;
    }
    for b in a.plan.identities.iter().filter_map(|i| i.aws_bridge.as_ref()) {
        let pretty = |v: &serde_json::Value| crate::json::to_pretty_string(v);
        emit(format!("aws/{}.trust.json", b.role_name), pretty(&b.trust))?;
        emit(format!("aws/{}.policy.json", b.role_name), pretty(&b.policy))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    /// Spending the analysis between the rounds changes no output: every example translates to the same files,
    /// and what was released is gone (the plan's findings, the identities' AWS statements, the IAM roles).
    #[test]
    fn a_spent_translation_is_the_same_translation() {
        let tables = crate::mapping::load(None).unwrap();
        let tpl = Templates::default();
        let phased = |c: &str| Some(std::path::Path::new("testdata/examples/phased").join(c));
        for (example, cfg_path) in [
            ("testdata/examples/edw-keda", None),
            ("testdata/examples/phased", phased("eks2aks.yaml")),
            ("testdata/examples/phased", phased("eks2aks.entra.yaml")),
            ("testdata/examples/phased", phased("eks2aks.reverse.yaml")),
        ] {
            let cfg = crate::config::load(cfg_path.as_deref()).unwrap().0;
            let mut kept = crate::analyse(&[example.into()], &cfg, &tables).unwrap();
            let mut spent = crate::analyse(&[example.into()], &cfg, &tables).unwrap();
            assert!(!spent.plan.findings.is_empty() && !spent.model.roles.is_empty(), "{example}");
            let expected = translate(&mut kept, &cfg, &tpl, &Default::default()).unwrap();
            let tree = std::sync::Mutex::new(Tree::new());
            translate_to(&mut spent, true, &cfg, &tpl, &Default::default(), &tree).unwrap();
            assert_eq!(tree.into_inner().unwrap(), expected, "{example}");
            assert!(spent.plan.findings.is_empty() && spent.model.roles.is_empty(), "{example}");
            assert!(spent.plan.identities.iter().all(|i| i.aws_permissions.is_empty()), "{example}");
            assert!(!kept.plan.findings.is_empty(), "{example}: only a spending translation releases");
        }
    }

    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Streaming a text in any chunks through `OneFinalNewline` gives what `one_final_newline` gives.
        #[test]
        fn streamed_final_newline_matches_the_in_memory_one(text in "[a\\n\\r ]{0,40}", cuts in prop::collection::vec(0usize..40, 0..6)) {
            let mut w = OneFinalNewline::new(Vec::new());
            let mut at = 0;
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(text.len())).collect();
            cuts.sort();
            for c in cuts.into_iter().chain([text.len()]) {
                std::io::Write::write_all(&mut w, &text.as_bytes()[at..c]).unwrap();
                at = c;
            }
            let streamed = String::from_utf8(w.finish().unwrap()).unwrap();
            prop_assert_eq!(streamed, one_final_newline(text.clone()));
        }
    }
}
