//! Command-line arguments (clap derive). Help text is written as a manual: every verb says what it reads, what
//! it writes, and its exit codes.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

const AFTER_HELP: &str = "\
Exit codes:
  0  success
  1  `check` found findings at or above --fail-on (or drift)
  2  usage error, unreadable or malformed input, invalid config or mappings

INPUT is any mix of files and directories (walked recursively for *.yaml, *.yml, *.json; hidden
directories, target/ and node_modules/ are skipped and listed in a note, --out is skipped; symlinks are
followed only to files inside the directory; FIFOs and devices are never read from a directory); `-` reads
standard input. With no INPUT the current directory is read. Kubernetes manifests (multi-document, `kind: List`, Helm-rendered, JSON) and AWS IAM exports
(get-account-authorization-details, get-role, get-role-policy, get-policy + get-policy-version,
list-attached-role-policies, eksctl ClusterConfig, bare policy documents) may be mixed freely.";

/// eks2aks: plan and perform the move of Kubernetes workloads and their cloud identity from AWS EKS (IRSA) to
/// Azure AKS (workload identity).
#[derive(Debug, Parser)]
#[command(name = "eks2aks", version, about, long_about = None, after_help = AFTER_HELP, propagate_version = true)]
pub struct Cli {
    /// Options for every verb.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// The verb.
    #[command(subcommand)]
    pub command: Command,
}

/// Options for every verb.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Config file (default: eks2aks.yaml in the current directory, if present).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Directory of mapping tables that override the bundled ones entry by entry (services.yaml,
    /// actions/<prefix>.yaml, azure-roles.yaml, azure-operations.yaml).
    #[arg(long, global = true, value_name = "DIR")]
    pub mappings: Option<PathBuf>,
    /// Directory of templates that replace the bundled ones file by file (e.g. report/plan.md.j2).
    #[arg(long, global = true, value_name = "DIR")]
    pub templates: Option<PathBuf>,
    /// Print nothing but the requested output and errors.
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// Colour in diagnostics.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Largest file read (inputs, --against, the config): e.g. 512KiB, 1GiB [default: 64MiB, or `max_file_size`
    /// in eks2aks.yaml].
    #[arg(long, global = true, value_name = "SIZE", value_parser = crate::diag::files::parse_size)]
    pub max_file_size: Option<u64>,
}

/// When to colour diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// When standard error is a terminal and NO_COLOR is unset.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// The verbs.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Inventory, decisions and findings: identities, ServiceAccounts, federated credentials, workloads, AWS
    /// resources and permissions.
    #[command(
        after_help = "Examples:\n  eks2aks plan k8s/ iam/\n  eks2aks plan . --format markdown > plan.md\n  helm template app ./chart | eks2aks plan - iam.json --format json\n\nExit codes: 0 on success (findings do not fail `plan`; use `check`), 2 on malformed input."
    )]
    Plan(PlanArgs),
    /// Write everything a team commits to move to AKS: plan, Bicep, role assignments (JSON and az script) and
    /// the input manifests rewritten for workload identity.
    #[command(
        after_help = "Layout of --out DIR:\n  plan.json, plan.md               the plan\n  bicep/main.bicep                 identities, federated credentials, role assignments, custom roles, resources\n  bicep/main.parameters.json       every value the deployment needs (REPLACE-ME where the config has none)\n  role-assignments.json, .sh       the same assignments as a list and as az commands\n  acr-import.sh                    az acr import lines for ECR images (when there are any)\n  k8s/<input path>                 every input manifest, rewritten for AKS\n\nNothing is written when an input is malformed. DIR is written atomically (built beside it, then moved in);\na non-empty DIR that eks2aks did not write is refused unless --force.\n\nClient IDs: deploy the Bicep, then\n  az deployment group show -g RG -n main --query properties.outputs > outputs.json\n  eks2aks translate ... --out DIR --client-ids outputs.json\nWithout --client-ids, ServiceAccounts get a REPLACE-WITH-CLIENT-ID-OF-<identity> placeholder."
    )]
    Translate(TranslateArgs),
    /// The CI gate: findings, drift against a committed translate output, and the coverage ledger.
    #[command(
        after_help = "Examples:\n  eks2aks check .                                  # text, exit 1 on errors\n  eks2aks check . --format sarif > eks2aks.sarif   # GitHub code scanning\n  eks2aks check . --against azure/ --fail-on warning\n  eks2aks check --explain E2A005\n  eks2aks check --list-rules\n\nExit codes: 0 no finding at or above --fail-on (default error); 1 such findings, drift, or (--strict)\nan input item left untranslated and unwaived; 2 usage error or malformed input.\nWaive a rule for one Kubernetes object: metadata.annotations[\"eks2aks.dev/ignore\"]: \"E2A005: reason\".\nChange a rule's severity for the run: `rules: {E2A017: note}` in eks2aks.yaml (error|warning|note|off)."
    )]
    Check(CheckArgs),
    /// The joined graph: workload → ServiceAccount → IAM role → trust/policies → AWS resources → Azure identity.
    #[command(
        after_help = "Examples:\n  eks2aks graph . --format mermaid   # paste into a PR: GitHub renders it\n  eks2aks graph . --format dot | dot -Tsvg > graph.svg"
    )]
    Graph(GraphArgs),
    /// The Azure side of a change: identities, federated credentials, role assignments, custom roles, resources
    /// and manifest edits added, removed or changed between BASE and HEAD, privilege increases first.
    #[command(
        after_help = "BASE and HEAD are input trees (planned with the same --config and --mappings) or plan.json files.\n\nExamples:\n  eks2aks diff base/ head/\n  git worktree add ../base origin/main && eks2aks diff ../base . --format markdown > comment.md\n  eks2aks diff old/plan.json new/plan.json --format json --fail-on escalation\n\nA privilege increase: a role assignment granting data actions or actions its identity did not have on that\nscope (a new role, a wider scope, a custom role gaining data actions, a dropped condition), a new federated\ncredential subject, or a workload that now runs as another identity.\nExit codes: 0 success; 1 --fail-on escalation and access widens; 2 usage error or malformed input."
    )]
    Diff(DiffArgs),
    /// Write a commented eks2aks.yaml from what the input shows (accounts, regions, clusters, resources that get
    /// an Azure name, add-ons) and the values still to choose.
    #[command(
        after_help = "Examples:\n  eks2aks init . > eks2aks.yaml\n  eks2aks init k8s/ iam/ --out eks2aks.yaml\n\nThe active keys are the detected services' default targets: the file changes no decision until edited.\nExit codes: 0 written; 2 usage error (--out exists without --force), malformed input, or no input found."
    )]
    Init(InitArgs),
    /// Show or validate the mapping tables (the bundled ones, or a user's copy given with --mappings).
    #[command(
        after_help = "Examples:\n  eks2aks mappings list\n  eks2aks mappings check --mappings ./my-mappings\n\nA --mappings DIR overrides the bundled tables entry by entry: a service key of services.yaml, an\naction of actions/<prefix>.yaml (case-insensitive), a role of azure-roles.yaml by name.\nExit codes: 0 valid, 2 invalid (every problem is listed with file and line)."
    )]
    Mappings {
        /// What to do.
        #[command(subcommand)]
        action: MappingsAction,
    },
    /// Shell completions, e.g. `eks2aks completions bash > /etc/bash_completion.d/eks2aks`.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

/// `mappings` sub-verbs.
#[derive(Debug, Subcommand)]
pub enum MappingsAction {
    /// List the tables, where each comes from, and what they hold.
    List,
    /// Validate the tables (unknown keys, roles, GUIDs, targets, data actions; actions claimed twice).
    Check,
}

/// `plan` arguments.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Files or directories to read (`-` for standard input; default: the current directory).
    #[arg(value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    /// Output format.
    #[arg(long, short, value_enum, default_value_t = PlanFormat::Table)]
    pub format: PlanFormat,
}

/// Plan formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    /// Tables for a terminal.
    Table,
    /// Markdown for a pull-request comment.
    Markdown,
    /// plan.json (schema eks2aks/plan/v1).
    Json,
}

/// `translate` arguments.
#[derive(Debug, Args)]
pub struct TranslateArgs {
    /// Files or directories to read (`-` for standard input; default: the current directory).
    #[arg(value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    /// Output directory.
    #[arg(long, short, value_name = "DIR")]
    pub out: PathBuf,
    /// Write into a non-empty directory that eks2aks did not write.
    #[arg(long)]
    pub force: bool,
    /// Client IDs of the deployed identities (JSON: name → client id, or the deployment's outputs).
    #[arg(long, value_name = "FILE")]
    pub client_ids: Option<PathBuf>,
}

/// `check` arguments.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Files or directories to read (`-` for standard input; default: the current directory).
    #[arg(value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    /// Output format.
    #[arg(long, short, value_enum, default_value_t = CheckFormat::Text)]
    pub format: CheckFormat,
    /// Lowest severity that fails the gate.
    #[arg(long, value_enum, default_value_t = FailOnArg::Error)]
    pub fail_on: FailOnArg,
    /// A committed `translate` output to compare with a fresh one (drift is an error and exit 1).
    #[arg(long, value_name = "DIR")]
    pub against: Option<PathBuf>,
    /// Also fail unless every item of the coverage ledger is translated, waived or staying on AWS.
    #[arg(long)]
    pub strict: bool,
    /// Explain a rule (code or name) and exit.
    #[arg(long, value_name = "CODE")]
    pub explain: Option<String>,
    /// List every rule and exit.
    #[arg(long)]
    pub list_rules: bool,
}

/// Check formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    /// Findings grouped by file, with source lines (colour on a terminal).
    Text,
    /// The report as JSON (findings, summary, coverage ledger).
    Json,
    /// SARIF 2.1.0 (GitHub code scanning).
    Sarif,
    /// JUnit XML (one test case per input object).
    Junit,
    /// Markdown for a pull-request comment.
    Markdown,
    /// GitLab Code Quality report (JSON for a merge request's Code Quality widget).
    Gitlab,
}

/// `--fail-on` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOnArg {
    /// Errors fail the gate.
    Error,
    /// Warnings and errors fail the gate.
    Warning,
    /// Report only.
    Never,
}

/// `graph` arguments.
#[derive(Debug, Args)]
pub struct GraphArgs {
    /// Files or directories to read (`-` for standard input; default: the current directory).
    #[arg(value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    /// Output format.
    #[arg(long, short, value_enum, default_value_t = GraphFormat::Mermaid)]
    pub format: GraphFormat,
}

/// Graph formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    /// Graphviz DOT.
    Dot,
    /// Mermaid flowchart.
    Mermaid,
}

/// `diff` arguments.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The state before the change: an input tree or a plan.json.
    #[arg(value_name = "BASE")]
    pub base: PathBuf,
    /// The state after the change: an input tree or a plan.json.
    #[arg(value_name = "HEAD")]
    pub head: PathBuf,
    /// Output format.
    #[arg(long, short, value_enum, default_value_t = DiffFormat::Text)]
    pub format: DiffFormat,
    /// Exit 1 when access widens (`escalation`), or never.
    #[arg(long, value_enum, default_value_t = DiffFailOn::Never)]
    pub fail_on: DiffFailOn,
}

/// Diff formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    /// Lines for a terminal or a CI log (privilege increases marked `!`).
    Text,
    /// Markdown for a pull-request comment (summary table, collapsed details, Mermaid graph; under 65,536 characters).
    Markdown,
    /// JSON (schema eks2aks/diff/v1).
    Json,
}

/// `diff --fail-on` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFailOn {
    /// Exit 1 when any change widens access.
    Escalation,
    /// Report only.
    Never,
}

/// `init` arguments.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// Files or directories to read (`-` for standard input; default: the current directory).
    #[arg(value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    /// Write the config to FILE (default: `eks2aks.yaml` in the current directory; `-`: standard output).
    #[arg(long, short, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Overwrite the file when it exists.
    #[arg(long)]
    pub force: bool,
}
