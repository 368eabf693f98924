//! The rule catalogue: every finding the tool can produce has a stable code (`E2A` + three digits, used in
//! waivers and SARIF), a kebab-case name (for people), a default severity and user documentation (What it does /
//! Why it matters / Fix). Codes are never reused or renumbered.

use serde::Serialize;

/// Severity, ordered from least to most severe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; never fails a gate by default.
    Note,
    /// Needs a decision from a person.
    Warning,
    /// Wrong or unsafe; the migration would not work as the input says.
    Error,
}

impl Severity {
    /// Lower-case name as used in every output format.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// One rule.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// Stable code.
    pub code: &'static str,
    /// Kebab-case name.
    pub name: &'static str,
    /// Default severity.
    pub severity: Severity,
    /// What it does.
    pub what: &'static str,
    /// Why it matters.
    pub why: &'static str,
    /// How to fix it.
    pub fix: &'static str,
}

macro_rules! rules {
    ($( $konst:ident = $code:literal $name:literal $sev:ident { what: $what:literal, why: $why:literal, fix: $fix:literal } )*) => {
        $( #[doc = $what] pub const $konst: &str = $code; )*
        /// Every rule, sorted by code.
        pub const ALL: &[Rule] = &[ $( Rule { code: $code, name: $name, severity: Severity::$sev, what: $what, why: $why, fix: $fix } ),* ];
    };
}

rules! {
    MALFORMED_INPUT = "E2A001" "malformed-input" Error {
        what: "An input file cannot be read: it does not exist, is larger than `--max-file-size`, is a device, socket or `/proc` file named on the command line, is not UTF-8, is not valid YAML/JSON, nests too deeply, expands aliases without bound, or holds a Kubernetes object or IAM document that breaks its grammar (an invalid object name, an `eks.amazonaws.com/role-arn` that is not a role ARN, an IAM statement with `Effect: Maybe`, …).",
        why: "Nothing can be planned from input the tool cannot read faithfully, and guessing would hide a broken manifest. Every malformed file of a run is reported, then eks2aks exits 2 and writes nothing.",
        fix: "Correct the file at the reported line and column (`kubectl apply --dry-run=client -f FILE` and `aws iam` validators help), or leave it out of the INPUT paths."
    }
    TRUST_DOES_NOT_ADMIT_SA = "E2A002" "trust-does-not-admit-sa" Error {
        what: "A ServiceAccount names an IAM role (annotation or Pod Identity association) whose trust policy does not admit it: the `:sub`/`:aud` conditions or the principal do not match, or a Deny wins.",
        why: "On EKS these pods cannot assume the role today, so the permissions the plan would carry to Azure are not the ones the workload really has.",
        fix: "Fix the annotation or the role's trust policy so that `system:serviceaccount:<namespace>:<name>` with audience `sts.amazonaws.com` is admitted, then re-run."
    }
    TRUST_NAMES_MISSING_SA = "E2A003" "trust-names-missing-sa" Warning {
        what: "A role's trust policy admits a ServiceAccount subject that is not in the input manifests.",
        why: "Either a manifest is missing from the input (its workload would not be migrated) or the trust is stale and grants more than needed.",
        fix: "Add the manifests that declare that ServiceAccount to the INPUT paths, or remove the subject from the trust policy."
    }
    ROLE_MISSING = "E2A004" "role-missing-from-iam" Warning {
        what: "A ServiceAccount names an IAM role that is not in the IAM input.",
        why: "Without the role's policies the tool cannot know what the workload may do, so no Azure role assignment can be derived for it.",
        fix: "Export the role and add the file to the INPUT paths: `aws iam get-account-authorization-details > iam.json` (all roles) or `aws iam get-role --role-name NAME`."
    }
    WORKLOAD_WITHOUT_ROLE = "E2A005" "workload-uses-aws-without-role" Warning {
        what: "A workload talks to AWS (its env or ConfigMaps name AWS endpoints, ARNs or regions) but its ServiceAccount has no IAM role of its own.",
        why: "Such pods get AWS credentials from the node's instance role or from static keys. Neither carries over to AKS, and the node role usually grants far more than the workload needs.",
        fix: "Give the workload its own ServiceAccount with an IRSA role (so eks2aks can derive a managed identity), or waive the finding if it really needs no AWS access."
    }
    STATIC_AWS_CREDENTIALS = "E2A006" "static-aws-credentials" Error {
        what: "A manifest holds a static AWS access key (`AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`, or a value shaped like `AKIA…`) in env, a ConfigMap or a Secret.",
        why: "Long-lived keys leak and cannot be scoped to one workload; workload identity exists to remove them. The value is never printed.",
        fix: "Remove the key, rotate it in AWS, and give the workload an IRSA role (on AKS: a managed identity with a federated credential)."
    }
    STRINGLIKE_TRUST = "E2A007" "stringlike-trust" Warning {
        what: "A role's trust matches ServiceAccounts with a `StringLike` pattern; the finding lists the ServiceAccounts of the input it matched.",
        why: "Azure federated credentials take no wildcards: each matched ServiceAccount becomes its own credential, and a ServiceAccount added later will not be admitted on AKS until a credential is added for it.",
        fix: "Review the listed ServiceAccounts; prefer `StringEquals` with explicit subjects."
    }
    TRUST_WITHOUT_SUB = "E2A008" "trust-without-sub" Error {
        what: "A role's trust admits web identities from an EKS OIDC provider with no condition on `:sub`.",
        why: "Every ServiceAccount in the cluster can assume the role, which is rarely intended and cannot be expressed with Azure federated credentials.",
        fix: "Add a `StringEquals` condition on `<provider>:sub` naming `system:serviceaccount:<namespace>:<name>`."
    }
    MANAGED_POLICY_NOT_EXPORTED = "E2A009" "managed-policy-not-exported" Warning {
        what: "A role has a managed policy attached whose document is not in the input (AWS-managed policies are not in most exports).",
        why: "Its permissions cannot be analysed, so the plan may be missing access the workload needs.",
        fix: "Export it: `aws iam get-policy-version --policy-arn ARN --version-id $(aws iam get-policy --policy-arn ARN --query Policy.DefaultVersionId --output text)`, or `aws iam get-account-authorization-details --filter AWSManagedPolicy LocalManagedPolicy Role`."
    }
    UNATTACHED_POLICY = "E2A010" "unattached-policy-document" Note {
        what: "A policy or trust document in the input is not attached to any role of the input.",
        why: "It is analysed (and its problems reported) but no identity is derived from it.",
        fix: "Nothing, if this is intended; otherwise export it together with its role."
    }
    WELL_KNOWN_POLICY = "E2A011" "eksctl-well-known-policy" Warning {
        what: "An eksctl ServiceAccount or Pod Identity association uses `wellKnownPolicies`, whose documents eksctl generates and which are not in the input.",
        why: "Their permissions cannot be analysed or translated.",
        fix: "Export the role eksctl created (`aws iam get-account-authorization-details`) and add it to the INPUT paths."
    }
    UNJOINED_EXPORT = "E2A012" "unjoined-iam-export" Warning {
        what: "An IAM export that does not name its owner (`get-policy-version`, `list-attached-role-policies`, `get-role-policy` for a role not in the input) could not be joined, or names a policy version that is not the default one.",
        why: "Its permissions are either analysed on their own or not in force, so they are not attributed to any identity.",
        fix: "Keep one role's or policy's exports per directory, or use `aws iam get-account-authorization-details`, which names everything."
    }
    SKIPPED_TEMPLATE = "E2A013" "unrendered-template" Note {
        what: "A file is not valid YAML and contains `{{ … }}`: an unrendered Helm or Go template. It was skipped.",
        why: "Templates are not manifests; their rendered output is.",
        fix: "Render first: `helm template RELEASE CHART | eks2aks plan -`, or point eks2aks at the rendered output."
    }
    UNMAPPED_SERVICE = "E2A014" "unmapped-service" Warning {
        what: "A policy grants actions of an AWS service that has no identity mapping in `mappings/services.yaml`.",
        why: "Those permissions are not carried over: the workload may lose access it needs on Azure, or the service has no Azure counterpart reachable with a role assignment.",
        fix: "Add the service to a `--mappings` copy (services.yaml + actions/<prefix>.yaml), or waive the finding if the access is no longer needed."
    }
    UNMAPPED_ACTION = "E2A015" "unknown-action" Warning {
        what: "A policy names an action (or an ARN) that the action catalogue does not know: a typo, a new AWS action, or a resource that fits no ARN grammar.",
        why: "AWS ignores unknown actions; eks2aks cannot map what it cannot recognise, and says so instead of dropping it.",
        fix: "Fix the policy, or add the action to `mappings/actions/<prefix>.yaml` in a `--mappings` copy."
    }
    ACTION_NOT_TRANSLATED = "E2A016" "action-not-translated" Note {
        what: "Actions that the mapping tables mark as having no Azure role counterpart (control-plane, tagging, permissions management, …), grouped by reason.",
        why: "Azure RBAC data roles do not cover them; most are done by the generated Bicep instead of by the workload.",
        fix: "Nothing, if the reason fits; otherwise grant the Azure control-plane role by hand."
    }
    RESOURCE_STAR = "E2A017" "resource-star" Warning {
        what: "A statement's `Resource` is `*` (or a wildcard) and matches no resource the workload names in env, ConfigMaps or KEDA triggers, so the assignment is widened to the parent (storage account, vault, namespace) or the resource group.",
        why: "Broad scopes grant access to every resource in them; the AWS policy was already too broad.",
        fix: "Name the resources in the policy, or in the workload's configuration, so eks2aks can scope the assignment to them."
    }
    NOT_ACTION_OR_RESOURCE = "E2A018" "not-action-or-resource" Warning {
        what: "A statement uses `NotAction` or `NotResource`: it allows everything except what it lists.",
        why: "Azure roles list what they allow. eks2aks maps the statement to the resources the workload names (and, for `NotAction`, the catalogued actions of their services) and cuts out what it excludes exactly as a Deny would: blob paths excluded by the ABAC condition, anything Azure cannot split not granted at all (never wider).",
        fix: "Rewrite the statement with explicit `Action`/`Resource` lists."
    }
    DENY_NOT_EXPRESSIBLE = "E2A019" "deny-not-expressible" Warning {
        what: "A `Deny` cannot be subtracted exactly: it has a condition Azure RBAC cannot evaluate (taken as always true), covers only part of a scope Azure cannot split (a queue, a table, an account-wide grant), or takes away an Azure permission that allowed actions also need (`sqs:DeleteMessage` denied: `process/action` receives and deletes). Denies are subtracted as sets of requests; blob paths are cut out of the ABAC condition exactly.",
        why: "Azure has no identity-level deny for data actions. Rather than grant what AWS denied, eks2aks does not grant the permissions the Deny touches on that scope: the Azure side is narrower than AWS there, and the workload may miss access it had.",
        fix: "Review the scope named in the message; if the lost access is needed, grant it by hand with a narrower scope or condition, or restructure the IAM policy so the Deny names whole resources."
    }
    CONDITION_NOT_CARRIED = "E2A020" "condition-not-carried" Warning {
        what: "A condition on an Allow statement cannot be carried exactly, so the statement is not translated (nothing it allows is granted). Carried exactly: `StringEquals`/`StringLike` on `s3:prefix` (several values OR-ed; `StringEquals` keeps a literal `*`), which limits bucket listings; every other key, negated operators, `…IfExists`, `Null`, `ForAnyValue:`/`ForAllValues:` and policy variables are refused. Also reported: actions under an `s3:prefix` condition that AWS never sends the key with (they were allowed nothing), and a Resource holding a policy variable.",
        why: "Dropping a condition would make the Azure assignment broader than the AWS statement was; refusing keeps it no broader, but the workload may miss access it had under the condition.",
        fix: "Review the statement; grant the access by hand with an ABAC condition or network rule that carries the restriction, or waive with a reason."
    }
    EXCESS_PRIVILEGE = "E2A021" "excess-privilege" Note {
        what: "The narrowest built-in role set grants data actions beyond the need (listed in `excess_data_actions`, and in this note, every time). With custom roles switched on and the excess above `custom_roles.max_excess` (default 1), a custom role is proposed instead; within it, or when the set is made of the target's preferred roles (`preferred_roles` in `mappings/services.yaml`: Key Vault Crypto User on a key), the built-in role is kept and this note names what it grants beyond the need.",
        why: "Least privilege: every extra data action is access the workload did not have on AWS.",
        fix: "Accept it, or switch `custom_roles.enabled` on (default) to get a role with exactly the needed actions."
    }
    RESOURCE_RENAMED = "E2A022" "resource-renamed" Note {
        what: "An AWS resource name is not a valid Azure name for its target, so the Azure resource gets a derived name.",
        why: "Code and configuration that use the old name must change with it.",
        fix: "Update the workload's configuration to the Azure name shown."
    }
    FIFO_QUEUE = "E2A023" "fifo-queue-without-ordering" Warning {
        what: "An SQS FIFO queue maps to Azure Queue Storage, which has no ordering or exactly-once delivery.",
        why: "A consumer that relies on FIFO semantics will misbehave.",
        fix: "Map it to Service Bus with sessions: `resource_targets: {\"arn:aws:sqs:*:*:NAME.fifo\": service-bus}` in eks2aks.yaml."
    }
    UNCOVERED_PERMISSION = "E2A024" "no-role-grants-permission" Error {
        what: "No role in `mappings/azure-roles.yaml` grants an Azure action the mapping needs, and custom roles are switched off. A guard: `mappings check` already refuses tables where a target's candidate roles do not cover its actions, so valid tables never reach it.",
        why: "The assignment cannot be generated; the workload would lack access.",
        fix: "Add a role that grants it to a `--mappings` copy, or switch custom roles on."
    }
    FEDERATED_CREDENTIAL_LIMIT = "E2A025" "federated-credential-limit" Error {
        what: "An identity needs more federated credentials than Azure allows on one user-assigned managed identity (20), counting one per ServiceAccount and the KEDA operator's.",
        why: "Azure rejects the 21st credential: some ServiceAccounts would not be able to sign in.",
        fix: "Split the IAM role: give groups of ServiceAccounts their own roles (and so their own identities)."
    }
    ECR_IMAGE = "E2A026" "ecr-image" Warning {
        what: "A container image is pulled from Amazon ECR.",
        why: "AKS nodes pull with the kubelet identity from ACR; ECR needs AWS credentials the cluster no longer has.",
        fix: "Import the image into ACR (`az acr import`, listed in `acr-import.sh` by `translate`) and set `azure.container_registry` so manifests are rewritten to it."
    }
    AWS_ENDPOINT_LEFT = "E2A027" "aws-endpoint-left" Warning {
        what: "An env var or ConfigMap value names an AWS endpoint or ARN that has no Azure counterpart in the plan, so `translate` leaves it as it is.",
        why: "The workload on AKS will still call AWS, and without AWS credentials the call fails.",
        fix: "Map the resource (add the statement to the role's policy, or a mapping), mark it `stay_on_aws` with a bridge, or change the value by hand."
    }
    AWS_SDK_VARIABLE = "E2A028" "aws-sdk-variable" Note {
        what: "An AWS SDK variable (`AWS_REGION`, `AWS_ROLE_ARN`, `AWS_WEB_IDENTITY_TOKEN_FILE`, …) is set in a manifest's env or ConfigMap; `translate` removes it.",
        why: "On AKS the workload identity webhook injects `AZURE_*` variables instead; the AWS ones point at a token file that no longer exists.",
        fix: "Nothing: the rewritten manifest drops it."
    }
    KEDA_TRIGGER = "E2A029" "keda-trigger-not-translated" Warning {
        what: "A KEDA `aws-sqs-queue` trigger or its authentication cannot be carried to an Azure scaler as it is (its queue or its identity is unknown — its authentication is not in the input, and it is then left as it is —, or it used KEDA's own AWS role and the KEDA operator's Azure identity must be granted access instead), or an `aws-*` trigger type is in neither the SQS path nor `mappings/keda-triggers.yaml` (the Kinesis, DynamoDB (Streams) and CloudWatch triggers are E2A102–E2A105).",
        why: "The workload would not scale, or KEDA would lack access to read the queue length.",
        fix: "Choose an Azure scaler by hand, or grant the KEDA operator's identity Storage Queue Data Reader on the queue."
    }
    ROLE_CHAIN = "E2A030" "role-chain" Warning {
        what: "A policy allows `iam:PassRole` or `sts:AssumeRole*`: the workload hands a role to a service or hops into another role (possibly in another account).",
        why: "Azure has no role chaining for workload identities: each hop must become its own identity and assignment, and PassRole is often a privilege-escalation path. Nothing is translated for it.",
        fix: "Map what the chained role allows onto this identity (or a second identity) explicitly, and drop the hop."
    }
    DRIFT = "E2A031" "drift" Error {
        what: "`check --against DIR`: the committed translate output in DIR differs from what the current input translates to.",
        why: "A change to the EKS side was not carried to the Azure side (or the Azure side was edited by hand), so what is reviewed is not what would be deployed.",
        fix: "Run `eks2aks translate INPUT... --out DIR` and commit the result."
    }
    INVALID_WAIVER = "E2A032" "invalid-waiver" Error {
        what: "An `eks2aks.dev/ignore` annotation does not read `CODE: reason` (a known rule code or name, a colon, and a reason).",
        why: "A waiver without a reason cannot be reviewed; it is not applied.",
        fix: "Write `eks2aks.dev/ignore: \"E2A005: reads only public buckets\"` (several waivers separated by `;`)."
    }
    BRIDGE_PRINCIPAL_UNKNOWN = "E2A033" "bridge-principal-unknown" Note {
        what: "The Entra bridge's AWS role trusts one managed identity by its principal (object) ID, which is not known until the identity is deployed; the trust holds a marked placeholder.",
        why: "A trust with the placeholder admits nobody: the workload cannot reach AWS until it is filled in.",
        fix: "Deploy the Bicep, read `principalIds` from its outputs, put them under `entra.principal_ids` in eks2aks.yaml and translate again."
    }
    SHARED_STAYING_RESOURCE = "E2A034" "shared-staying-resource" Note {
        what: "A resource that stays on AWS is reached by three or more identities, each through its own bridge role.",
        why: "Every bridge role is a trust to maintain; one shared role with a trust that lists each ServiceAccount is easier to review and to remove later.",
        fix: "Consider one shared bridge role for that resource."
    }
    BRIDGE_TRUST_TOO_BROAD = "E2A035" "bridge-trust-too-broad" Error {
        what: "A bridge role would admit any ServiceAccount of the cluster or any identity of the tenant, because the IAM role it replaces trusted every ServiceAccount (no `:sub`) or the Entra bridge has no tenant or audience.",
        why: "A cross-cloud trust that admits everybody turns one compromised pod into access to what stays on AWS. eks2aks generates no bridge for it.",
        fix: "Pin the source trust to its ServiceAccounts (E2A008), and set `entra.tenant_id` and `entra.app_id_uri` for the Entra bridge."
    }
    RESOURCE_NOT_GRANTED = "E2A036" "resource-not-granted" Warning {
        what: "A workload names an AWS resource (in env, a ConfigMap or a KEDA trigger) that has an Azure counterpart, but its identity gets no role assignment on it: either its IAM policies do not grant access to it, or they do and eks2aks did not translate that statement (the message says which; the statement's own finding, E2A016/E2A019/E2A020, says why).",
        why: "`translate` rewrites the value to the Azure resource, and the workload will be denied when it uses it — on AWS it was denied too, or it reached the resource through another path (a resource policy, the node role), or the statement that allowed it could not be carried exactly.",
        fix: "Grant the access in the IAM policy (and translate again), grant by hand what the untranslated statement allowed, or remove the reference."
    }
    PERMISSIONS_BOUNDARY = "E2A037" "permissions-boundary-not-applied" Warning {
        what: "An IAM role has a permissions boundary; eksctl and the IAM exports name it, but eks2aks does not intersect the role's policies with it.",
        why: "Actions the boundary blocks are not in force on AWS, yet they are mapped to Azure role assignments: the Azure identity may get more than the workload had.",
        fix: "Review the role's assignments against the boundary policy, and remove from the role's policies what the boundary blocks (then translate again)."
    }
    NAME_COLLISION = "E2A038" "name-collision" Warning {
        what: "Two or more distinct AWS things (IAM roles, resources in different accounts or regions, names that differ only in characters Azure does not allow such as `orders.fifo` and `orders`, ServiceAccounts whose credential names coincide) map to one Azure name. eks2aks never merges them: each gets its own name, with a short stable tag of its AWS ARN (the one whose name is unchanged keeps it).",
        why: "Merged, one Azure identity would carry both roles' rights, or two queues would become one. The new names must be used by the workloads and any script that refers to the resources.",
        fix: "Nothing to do if the tagged names suit you (update the workloads that use them); otherwise rename one of the AWS sources so their Azure names differ."
    }
    AMBIGUOUS_SERVICE_ACCOUNT = "E2A039" "ambiguous-service-account" Error {
        what: "Two ServiceAccounts with the same namespace and name (from two clusters) are bound to different IAM roles, and so to different Azure identities, in one run. Each rewritten ServiceAccount gets its own identity's client id.",
        why: "A run targets one AKS cluster, whose OIDC issuer signs one subject `system:serviceaccount:NS:NAME` for both: both identities would trust it, and a pod of either workload could sign in as the other's identity.",
        fix: "Translate each cluster on its own (one run per cluster directory, each with its AKS cluster's issuer in `azure.aks_oidc_issuer`), or give the ServiceAccounts distinct names. `translate` writes nothing while it stands (one finding per ServiceAccount name, naming every copy); a waiver with a reason on the ServiceAccount the finding is at (`eks2aks.dev/ignore: \"E2A039: <reason>\"`) lets it write, each ServiceAccount with its own client id; `rules:` cannot downgrade it."
    }
    // Filesystem policy (README "Safety"): E2A040–E2A044.
    SYMLINK_OUTSIDE_INPUT = "E2A040" "symlink-outside-input" Warning {
        what: "A symbolic link found while walking an input directory (or a `check --against` directory) leads to a file outside that directory, or nowhere; it is not read, and neither its target nor its content is shown.",
        why: "A link planted in a repository could make eks2aks read, quote in findings or copy into `--out/k8s` a file that is not part of the input (`~/.aws/credentials`, `/proc/self/environ`, another team's Secret).",
        fix: "Replace the link by the file itself, or name the target explicitly on the command line if it really is input (a file named there is read wherever it is)."
    }
    SPECIAL_FILE = "E2A041" "special-file-not-read" Warning {
        what: "A FIFO, socket or device named like an input (`*.yaml`, `*.yml`, `*.json`) was found while walking a directory (or a `check --against` directory), directly or behind a symlink; it is never opened.",
        why: "Reading a FIFO waits for a writer forever, and a device such as `/dev/zero` never ends: one such file would hang the CI job or exhaust its memory.",
        fix: "Remove it from the tree, or pass the data explicitly: `eks2aks plan <(helm template …)` or `-` for standard input (a FIFO named on the command line is read)."
    }
    DIRECTORY_SKIPPED = "E2A042" "directories-not-read" Note {
        what: "Lists the directories the walk did not enter: hidden ones (`.git`, `.github`), `target/`, `node_modules/`, symbolic links to directories, and eks2aks output directories (with the number of unchanged files eks2aks wrote there, which are left out).",
        why: "Whatever is in a skipped directory is not checked; a reviewer should see what was left out rather than assume everything was read.",
        fix: "Nothing, if the list is as expected. To check files in a hidden directory, name that directory (or the files) on the command line."
    }
    OUTPUT_FILE_CHANGED = "E2A043" "output-file-changed" Note {
        what: "An eks2aks output marker (`.eks2aks-output`) records files whose content no longer has the hash eks2aks wrote (or records no hash: a marker of an older eks2aks, or one that someone else wrote). Those files are read as input.",
        why: "Only files eks2aks wrote and nobody changed since are left out of the input, so a planted or stale marker cannot hide a manifest (a Secret with static keys) from `check`.",
        fix: "Run `eks2aks translate … --out DIR` again to rewrite the output and its marker, or move the edited files out of the output directory."
    }
    GRANT_WIDER_THAN_AWS = "E2A045" "grant-wider-than-aws" Error {
        what: "The soundness check found an Azure data action that a planned role assignment allows on a resource (or blob path, or list prefix) where the IAM role allowed none of the AWS actions that map to it — evaluated with AWS's policy logic: explicit Denies, NotResource, conditions, bucket versus object resources. Documented widenings (`excess_data_actions`, and `Resource: \"*\"` widened to the parent, E2A017) are not counted.",
        why: "Applied, the migration itself would give the workload access it did not have on AWS: a privilege escalation. The translation is built not to reach it (it is a guard: a mapping-table override or a defect); `translate` refuses to write while one stands unwaived.",
        fix: "Check any `--mappings` override the run uses, narrow the IAM policy so it says what the workload needs (and translate again), or replace the assignment by hand; the message names each data action, resource and AWS action. To accept it, waive it with a reason on the ServiceAccount that names the role (`eks2aks.dev/ignore: \"E2A045: <reason>\"`)."
    }
    GRANT_NOT_PROVABLE = "E2A046" "grant-not-provable" Warning {
        what: "Whether the IAM role allowed what an Azure assignment allows depends on a condition eks2aks cannot decide from the input (a source IP, the time, a tag, a policy variable). It is reported, never assumed true.",
        why: "The Azure assignment does not carry the condition: on Azure the access may be broader than on AWS.",
        fix: "Review the condition (E2A020 names it); if it restricted access, restrict the Azure side too (network rules, a narrower scope) or waive with a reason."
    }
    MALFORMED_RESOURCE = "E2A047" "malformed-resource" Error {
        what: "A policy statement's `Resource` is not an ARN (and has no wildcard), or is an ARN of a mapped service that does not fit the service's resource grammar (`arn:aws:sqs:us-east-1:111122223333:` with no queue name; an S3 bucket or object ARN with a region or an account; a Secrets Manager ARN without the `-` and six random characters every secret's ARN ends with). It matches no request, so AWS grants nothing for it; eks2aks grants nothing for it either, and derives no Azure resource from it. In a Deny, it takes nothing away.",
        why: "The statement is dead on AWS, which is usually a typo in the policy: the workload may be missing access it was meant to have. Widening it to the parent resource (as eks2aks once did) would grant what AWS never did.",
        fix: "Correct the ARN in the IAM policy (and translate again), or remove the statement."
    }
    TRUST_CONDITION_UNJUDGED = "E2A048" "trust-condition-unjudged" Warning {
        what: "A role's trust admits a ServiceAccount only under a condition eks2aks cannot judge from the token: a network condition (`IpAddress aws:SourceIp`, `aws:SourceVpc`), a date (`DateLessThan aws:CurrentTime`), a tag, or any key the EKS token does not carry (it carries `<provider>:sub` and `<provider>:aud`). Dates are never judged, even against a fixed date in the past: eks2aks does not read the clock, so its output does not depend on the day it runs. A Deny with such a condition is reported the same way.",
        why: "The federated credential is created anyway, and Azure does not enforce the condition: the AWS trust had an extra restriction (from a network, until a date) that is lost, or it may never have been usable at all (a date long past, a claim the token never carries).",
        fix: "Check whether the condition still matters. If it restricted access, restrict the Azure side too (network rules on the resources, a Conditional Access policy for workload identities), or delete the credential; if it made the trust unusable, remove the role from the ServiceAccount. Then waive the finding with the reason."
    }
    TRUST_NEGATED_SUBJECT = "E2A049" "trust-negated-subject" Error {
        what: "A role's trust restricts `<provider>:sub` only with a negated operator (`StringNotEquals`, `StringNotLike`, and their `ForAnyValue:`/`IfExists` forms): it admits every ServiceAccount of the cluster except the ones it lists.",
        why: "Any other pod of the cluster, in any namespace, may assume the role. An Azure federated credential names one subject, so \"everyone but X\" cannot be carried over: eks2aks plans credentials only for the ServiceAccounts that name the role, as for a trust without `:sub` (E2A008), and generates no bridge role for it.",
        fix: "Replace the negation by a `StringEquals` condition on `<provider>:sub` naming `system:serviceaccount:<namespace>:<name>` of each ServiceAccount that needs the role."
    }
    TRUST_EXTRA_PRINCIPAL = "E2A050" "trust-extra-principal" Warning {
        what: "A role's trust also admits principals other than the cluster OIDC provider its ServiceAccounts use: another account's role or root (`AWS`), a service (`Service`, such as `ec2.amazonaws.com`), the OIDC provider of another cluster, a SAML provider, or anyone (`*`, `NotPrincipal`). Each is named.",
        why: "Only the ServiceAccounts' federated credentials are carried to Azure. Whoever else could assume the role on AWS (a CI role, another account, an EC2 instance, pods of another cluster) loses that access on Azure, silently unless reported; and a reviewer should know the role was shared.",
        fix: "Decide for each principal whether it still needs the access on Azure; if so, grant it to that principal's own Azure identity by hand. Then waive the finding with the reason, or remove the principal from the trust."
    }
    ROLE_SOURCES_CONFLICT = "E2A051" "role-sources-conflict" Warning {
        what: "One IAM role (by ARN) is in several input files (a `get-role` output and an account export, two exports) and they disagree: an inline policy of the same name with a different document, a different trust document, or a different permissions boundary. The finding names both files and what differs.",
        why: "eks2aks merges the sources of one role: the union of the inline policies (by name), attached policies and trust statements, identical items once. Where they conflict it keeps the union of trust statements and, for an inline policy or a boundary, one version chosen by content (the one whose normalised text sorts first), whatever the order of the files. One of the files is stale, and the plan may grant what the role no longer has, or miss what it has.",
        fix: "Export the role again so that every file agrees (or keep only the newest export in the INPUT paths), then translate again."
    }
    EXPLICIT_ROLE_ENV = "E2A052" "explicit-role-env" Warning {
        what: "A container sets `AWS_ROLE_ARN` to a role other than the one its ServiceAccount names (`eks.amazonaws.com/role-arn`, or an association). The AWS SDK assumes the role in `AWS_ROLE_ARN` with the ServiceAccount's token, so the workload ran as that role. eks2aks plans that role too: it gets its own managed identity, with a federated credential for the ServiceAccount (when the role's trust admits it) and its permissions translated; the container gets `AZURE_CLIENT_ID` set to that identity's client id instead of `AWS_ROLE_ARN`.",
        why: "Dropping the variable would give the workload the ServiceAccount role's permissions on Azure, not the ones it had: its resources would be rewritten to Azure names that its identity cannot reach.",
        fix: "Prefer one role per ServiceAccount: annotate a ServiceAccount of its own with the role the workload uses, and remove `AWS_ROLE_ARN` from the manifest. Otherwise review the two identities and waive the finding."
    }
    BRIDGE_ADMIN_EQUIVALENT = "E2A053" "bridge-admin-equivalent" Error {
        what: "A generated AWS bridge role (phased migration, `stay_on_aws`) has an Allow statement that is administrator-equivalent: its Resource matches every ARN (`*`, `arn:*`, any pattern matching ARNs of two services) and its Action is `NotAction`, `*`, service-wide (`s3:*`), or includes an IAM privilege-escalation action (`iam:PassRole`, `iam:PutRolePolicy`, `iam:AttachRolePolicy`, `iam:CreatePolicyVersion`, `iam:UpdateAssumeRolePolicy`, `iam:CreateAccessKey`, login profiles, user policies) or `sts:AssumeRole`. Conditions are not weighed. The bridge is written as the finding describes it.",
        why: "The bridge role is new: an AKS workload gets a path into AWS it did not have, with every permission of an administrator (or the means to grant itself any). `stay_on_aws: [\"*\"]` with `Action: \"*\"` produced `Allow * on *`.",
        fix: "Narrow the IAM policy (or `stay_on_aws`) to the resources and actions that stay on AWS and translate again; if the grant is really intended, waive it with a reason on the ServiceAccount that names the role (`eks2aks.dev/ignore: \"E2A053: <reason>\"`; a ServiceAccount's waivers cover the findings at its role)."
    }
    KEDA_AUTH_SHARED = "E2A054" "keda-auth-shared" Error {
        what: "One KEDA `TriggerAuthentication` or `ClusterTriggerAuthentication` is used by triggers that authenticate as different identities (`identityOwner: workload` or `aws-eks` on workloads with different roles, or roles named by the triggers), and eks2aks cannot split it: it is not a top-level document of a YAML file (a JSON file, an item of a `List`), so no derived authentication can be added beside it. It is rewritten for the first identity only. (When it can, eks2aks splits it: the first identity keeps it, each other gets a derived authentication, listed in `plan.json` under `keda_authentications`, and the triggers point at their own.)",
        why: "`azure-workload` takes one `identityId`: the other scalers would read their queues as another workload's identity — which may lack access (no scaling) or have access it should not use.",
        fix: "Give each workload its own TriggerAuthentication (or move the shared one into a YAML file of its own) and translate again."
    }
    ACTION_RESOURCE_MISMATCH = "E2A055" "action-resource-mismatch" Warning {
        what: "A policy statement names an action together with a resource of a kind the action does not apply to (`s3:GetObject` on a bucket ARN, `s3:ListBucket` on an object ARN), per the resource kinds in the action tables. AWS grants nothing for that pair; neither does eks2aks.",
        why: "Such a statement is dead on AWS, usually a mistake in the policy; translating it by the resource's container (as eks2aks once did) would grant every object of a bucket where AWS granted nothing.",
        fix: "Name the right resource kind in the IAM policy (`arn:aws:s3:::bucket/*` for object actions, `arn:aws:s3:::bucket` for listing) and translate again, or remove the action."
    }
    POD_IDENTITY_WITHOUT_ROLE = "E2A060" "pod-identity-association-without-role" Warning {
        what: "An entry of `aws eks list-pod-identity-associations` output names a ServiceAccount (namespace, name, association id) but no role: the list output never carries the role ARN, and no `describe-pod-identity-association` output for the same association is in the input.",
        why: "Without the role the ServiceAccount's AWS permissions are unknown, so no managed identity, federated credential or role assignment can be derived for it; dropping the entry silently would hide a workload that uses AWS.",
        fix: "Export each association: `aws eks describe-pod-identity-association --cluster-name CLUSTER --association-id ID > ID.json` (the finding names the id), add the role's IAM export, and plan again."
    }
    SESSION_TAG_DECIDED = "E2A061" "session-tag-condition-decided" Note {
        what: "A permission statement of a role that EKS Pod Identity assumes tests a session tag EKS adds (`aws:PrincipalTag/kubernetes-namespace`, `kubernetes-service-account`, `eks-cluster-name`, `eks-cluster-arn`), or uses it as a policy variable, and the tag's value is the same known value for every ServiceAccount associated with the role: the condition is decided. True: the statement is translated without it. False: the statement is not in force for this identity and grants nothing.",
        why: "On AWS the same role can serve several namespaces or clusters through these tags (ABAC). On Azure each managed identity has fixed role assignments, so the tag is resolved for the identity; the note says how, so that a reviewer can check it.",
        fix: "Nothing, if the decision matches the intent. A tag that differs between the role's ServiceAccounts, or per pod (`kubernetes-pod-name`, `kubernetes-pod-uid`), cannot be decided: that statement is reported as E2A020 and not translated."
    }
    POD_IDENTITY_ROLE_CHAIN = "E2A062" "pod-identity-role-chain" Note {
        what: "A Pod Identity association has a `targetRoleARN`: EKS assumes the association's role, then the target role (often in another account), and the pods get the target role's credentials. The managed identity carries the target role's permissions; the first role of the chain, whose own permissions only let it assume the target, is not translated, and the target's trust (its `sts:ExternalId` condition) is not checked.",
        why: "The chain is how the pods reached another account's resources on AWS; on Azure those resources are reached directly by the identity's role assignments, which must be in the subscription (or tenant) the resources move to.",
        fix: "Check that the target account's resources move with the workload (or list them under `stay_on_aws` and use the bridge), and that the identity's roles are assigned where those resources land."
    }
    POD_IDENTITY_SESSION_POLICY = "E2A063" "pod-identity-session-policy" Warning {
        what: "A Pod Identity association carries a session `policy` (eksctl's `policy`, the EKS API's `policy`): an extra policy that restricts the role's permissions for that association's pods. eks2aks does not apply it.",
        why: "On AWS the pods had only what both the role's policies and the session policy allow; the Azure role assignments are derived from the role's policies alone, so they may grant more than the pods had.",
        fix: "Fold the session policy's restriction into the role's own policies (or give the association a role of its own) and translate again, or review the identity's assignments and waive the finding."
    }
    SERVICE_ACCOUNT_CREATED_BY_EKSCTL = "E2A064" "service-account-created-by-eksctl" Warning {
        what: "A ServiceAccount that a managed identity federates is created by eksctl (`iam.serviceAccounts`, or a Pod Identity association with `createServiceAccount: true`) and declared in no manifest of the input, so `translate` has no manifest to rewrite for it.",
        why: "On AKS nothing creates it: the workload's pods would not start (a missing ServiceAccount), or would run without workload identity, unless it is created with the identity's client id.",
        fix: "Create it on AKS with the annotation `azure.workload.identity/client-id` set to the identity's client id (the finding names the identity; `clientIds` is a Bicep output), or add its manifest to the input and translate again."
    }
    ADDON_REPLACED = "E2A070" "addon-replaced-by-aks" Warning {
        what: "A ServiceAccount or IAM role belongs to an AWS add-on that AKS replaces with a feature of its own (the AWS Load Balancer Controller, the Cluster Autoscaler, the EBS and EFS CSI drivers, Karpenter, the VPC CNI, the node termination handler, the CloudWatch agent / aws-for-fluent-bit / ADOT, the Secrets Store CSI AWS provider), recognised by `mappings/addons.yaml` (ServiceAccount, image, Helm label, eksctl well-known policy or IAM policy fingerprint). It gets no Azure identity, credential, role assignment or resource; its manifests pass through `translate` unchanged.",
        why: "The add-on manages AWS infrastructure (load balancers, Auto Scaling groups, EBS volumes, EC2 instances, ENIs). On AKS the platform does that job: giving the add-on a managed identity and translating its policy would create Azure resources and roles for nothing (Karpenter's interruption queue as a Storage queue, the EBS driver's KMS grants as a Key Vault role).",
        fix: "Turn the AKS feature on with the `az` command in the message (see its doc link), and remove the add-on's manifests from the AKS cluster's manifests. If it is not the add-on, override its entry in `addons.yaml` with `--mappings`."
    }
    IDENTITY_WITHOUT_ROLE = "E2A071" "identity-without-azure-role" Warning {
        what: "A managed identity ends with no Azure role assignment: every statement of its IAM role was dropped (no mapping for the service or action, removed by a Deny, a resource that could not be resolved, an uncovered permission, …). The message lists each reason. The identity and its federated credentials are still generated; the coverage ledger counts its role not translated.",
        why: "The workload signs in to Azure but may do nothing there: whatever it did on AWS will fail on AKS, and a run that looks translated hides it.",
        fix: "Read the reasons: map the service (`targets`, `--mappings`), keep what must stay on AWS with `stay_on_aws` (an AWS bridge), or, when the workload needs no cloud access on Azure, remove the role from its ServiceAccount."
    }
    KARPENTER_NODE_CONFIG = "E2A072" "karpenter-node-config" Warning {
        what: "An object of an add-on's own API that AKS replaces, listed under the add-on's `objects` in `addons.yaml`: Karpenter's `NodePool`, `EC2NodeClass`, or the older `Provisioner` / `AWSNodeTemplate`. The message says what its node auto-provisioning equivalent is; the object passes through unchanged.",
        why: "AKS node auto-provisioning runs Karpenter with the Azure provider: it keeps the `NodePool` API but its `nodeClassRef` must name an `AKSNodeClass` (karpenter.azure.com), and AWS node classes (AMIs, subnets, security groups, instance profiles) mean nothing on AKS. Applied as they are, these objects do nothing or fail.",
        fix: "Enable node auto-provisioning (`az aks update --node-provisioning-mode Auto`), write the AKSNodeClass and adjust each NodePool as the message says, and drop the EC2NodeClass / AWSNodeTemplate objects from the AKS manifests."
    }
    ROUTE53_ZONE_UNMAPPED = "E2A080" "hosted-zone-unmapped" Warning {
        what: "A Route 53 hosted zone id (a cert-manager `route53.hostedZoneID`, an external-dns `--zone-id-filter`) has no zone name: no `route53.zones` entry in eks2aks.yaml and no single zone in the issuer's `selector.dnsZones`. The rewrite names the zone `REPLACE-ME-zone-of-<id>`, which matches no Azure DNS zone.",
        why: "Azure DNS names zones by their domain, not by an id. Dropping the id filter without a domain would let external-dns or cert-manager manage every zone the identity can reach; a placeholder fails closed instead.",
        fix: "Add the zone under `route53: zones:` in eks2aks.yaml (`Z0123456789ABCDEFGHIJ: example.com`, from `aws route53 get-hosted-zone --id <id>`) and translate again."
    }
    MANUAL_STEP_AFTER_REWRITE = "E2A081" "manual-step-after-rewrite" Warning {
        what: "A DNS or secrets rewrite (external-dns `--provider=azure`, a cert-manager `azureDNS` solver, an External Secrets `azurekv` store, a `SecretProviderClass` for Azure) needs a step an edit of the manifests cannot make; the message gives it: external-dns's `azure.json` secret and its mount, the DNS Zone Contributor grant (eks2aks has no Route 53 mapping table yet), or an identity eks2aks could not find.",
        why: "Without the step the rewritten component starts but cannot authenticate to Azure or reach its zone or vault.",
        fix: "Do the step the message gives (the commands are in it), or waive the finding on the object once it is done."
    }
    SECRET_REFERENCE_LEFT_ON_AWS = "E2A082" "secret-reference-left-on-aws" Warning {
        what: "An External Secrets store, `ExternalSecret` item or `SecretProviderClass` still points at AWS after the translation, for the reason the message gives: a Parameter Store store, a `dataFrom.find` search, a pinned AWS version, a `jmesPath` extraction, an `ssmparameter` object, or a class mounted by pods of several identities.",
        why: "Key Vault has no counterpart for these: translating them would change what the pod receives. The object is left as it is, and it fails on AKS until it is rewritten by hand.",
        fix: "Move the values to Key Vault secrets (one secret per `jmesPath` key; parameters as secrets), rewrite the object for the `azurekv` / `azure` provider, and waive the finding on it."
    }
    KEY_VAULT_SECRET_RENAMED = "E2A083" "key-vault-secret-renamed" Note {
        what: "An AWS secret name read by an `ExternalSecret` or a `SecretProviderClass` is not a valid Key Vault secret name (1-127 letters, digits and hyphens: `/`, `_`, `.` and `+` are mapped to `-`), or two names map to one, so the rewrite reads another name; colliding names get a tag of their source through the one naming function, never one secret for two.",
        why: "The secret must be created in Key Vault under the new name, or the rewritten reference finds nothing.",
        fix: "Import the secret into Key Vault under the name the message gives (`az keyvault secret set --vault-name <vault> --name <name> …`)."
    }
    STORAGE_PARAMETER_NOT_CARRIED = "E2A090" "storage-parameter-not-carried" Warning {
        what: "A StorageClass of an AWS provisioner (`ebs.csi.aws.com`, `kubernetes.io/aws-ebs`, `efs.csi.aws.com`) is rewritten for the Azure Disk or Azure Files CSI driver, and one of its parameters has no exact Azure equivalent: `iops`/`throughput` on an SKU whose performance follows the disk size, `iopsPerGB`, `encrypted`, `kmsKeyId` (a `diskEncryptionSetID` placeholder comes instead), the EFS file system and access-point parameters, or a volume `type` the table does not know. The parameter is removed (the Azure drivers reject parameters they do not know); the finding says what to do instead. An `allowedTopologies` pin on AWS zones is kept and flagged too (AKS zones have other names).",
        why: "Volumes provisioned from the rewritten class differ from the AWS ones in that respect (performance, keys, where the data is): a person must decide, and for EFS create or copy the data the workloads expect.",
        fix: "Do what the message says (choose a PremiumV2_LRS or UltraSSD_LRS SKU through `--mappings`, create a disk encryption set and fill in its id, copy the EFS data), then waive the finding with `eks2aks.dev/ignore` on the StorageClass."
    }
    STORAGE_PARAMETER_UNKNOWN = "E2A091" "storage-parameter-unknown" Warning {
        what: "A StorageClass of an AWS provisioner has a parameter that `mappings/k8s-resources.yaml` does not know. It is kept as it is in the rewritten class.",
        why: "The Azure Disk and Azure Files drivers reject parameters they do not know, so volumes of that class would fail to provision; eks2aks never drops a parameter it does not understand.",
        fix: "Map or remove the parameter by hand, or add a rule for it to a `--mappings DIR/k8s-resources.yaml`."
    }
    AWS_VOLUME_DATA = "E2A092" "aws-volume-data" Warning {
        what: "A PersistentVolume is bound to an EBS volume or EFS file system (`spec.csi.driver: ebs.csi.aws.com` or `efs.csi.aws.com`, or the in-tree `awsElasticBlockStore`). It is not rewritten.",
        why: "The volume's data lives on AWS: an AKS cluster cannot attach it, and a rewritten volume handle would point at nothing.",
        fix: "Migrate the data (for example a Velero backup with file-system backup, restored on AKS, or a copy into Azure Files), then let the PersistentVolumeClaim provision a new Azure volume."
    }
    LOAD_BALANCER_SETTING_NOT_CARRIED = "E2A093" "load-balancer-setting-not-carried" Warning {
        what: "An Ingress of the AWS load balancer controller (class `alb`) or a Service with `service.beta.kubernetes.io/aws-load-balancer-*` annotations is rewritten for AKS, and one annotation has no one-to-one Azure equivalent (a certificate ARN, a WAF ACL, subnets, Elastic IPs, TLS on a layer-4 load balancer, an unknown annotation, a value the table does not map). The annotation is kept, inert on AKS; the finding names the Azure equivalent.",
        why: "The load balancer AKS creates would differ from the AWS one in that respect (TLS, exposure, addresses, health checks): a person must configure the Azure side.",
        fix: "Configure the equivalent the message names (a Key Vault certificate, an internal controller, a static public IP, a readiness probe, …), remove the AWS annotation, and translate again."
    }
    BRIDGE_REGION_UNKNOWN = "E2A100" "bridge-region-unknown" Warning {
        what: "An identity gets an AWS bridge (phased migration), and no region is known for it: `bridge_region` is not set in eks2aks.yaml, and neither the resources that stay on AWS (S3 ARNs have no region) nor the EKS OIDC provider of the role's trust give exactly one. `AWS_REGION` and `AWS_DEFAULT_REGION` are not added to its pods.",
        why: "The AWS SDKs need a region to call STS (`AssumeRoleWithWebIdentity` on the regional endpoint) and the staying services; without one the pod fails at its first AWS call, unless its own env sets the region.",
        fix: "Set `bridge_region: <region>` in eks2aks.yaml (or keep `AWS_REGION` in the workload's env) and translate again."
    }
    KEDA_OPERATOR_IDENTITY = "E2A101" "keda-operator-identity" Note {
        what: "A KEDA trigger authenticated with KEDA's own AWS role (`podIdentity.provider: aws` with `identityOwner: keda`, or `identityOwner: operator` in the trigger), and the KEDA operator's ServiceAccount is in the input with that IAM role. On AKS the trigger's `azure-workload` authentication carries the `identityId` of that role's identity (the AKS KEDA add-on's operator has no client id of its own), which is granted read access to the queue (`keda:aws-sqs-queue` among its role assignment's AWS actions) and a federated credential for the KEDA operator's ServiceAccount (`azure.keda_operator`).",
        why: "KEDA reads the queue length as that identity: the identity, its credential and its role assignment are generated together.",
        fix: "Nothing, if the KEDA operator on AKS runs as the configured ServiceAccount (`azure.keda_operator`, default `kube-system/keda-operator`)."
    }
    KEDA_TRIGGER_REWRITTEN = "E2A102" "keda-trigger-rewritten" Warning {
        what: "A KEDA `aws-kinesis-stream` or `aws-dynamodb-streams` trigger is rewritten to the Azure scaler of `mappings/keda-triggers.yaml` (`azure-eventhub`), because the stream it reads maps to an Event Hub. It authenticates with `azure-workload` as the identity of the role it used on AWS, like a rewritten `aws-sqs-queue` trigger. The fields of another meaning are not carried (`shardCount` counts shards, `unprocessedEventThreshold` counts events), and the checkpoint container is a placeholder.",
        why: "KEDA's Event Hubs scaler reads the consumer's checkpoints from Blob Storage: it scales correctly only when `consumerGroup`, `blobContainer` and `checkpointStrategy` are those of the application's Event Hubs processor, and its identity needs Azure Event Hubs Data Receiver on the hub and Storage Blob Data Reader on the checkpoint container.",
        fix: "Set `blobContainer` (and `consumerGroup`, `checkpointStrategy`) to the application's, choose `unprocessedEventThreshold`, and grant the roles the finding names when the plan does not."
    }
    KEDA_TRIGGER_SOURCE_UNMAPPED = "E2A103" "keda-trigger-source-unmapped" Error {
        what: "A KEDA `aws-kinesis-stream` or `aws-dynamodb-streams` trigger reads a stream the plan maps to no Event Hub (or names no stream the input has): it is left pointing at AWS.",
        why: "On AKS the trigger cannot reach AWS as the workload (its identity is Azure's): the workload would never scale.",
        fix: "Follow the finding's manual step: map the stream to an Event Hub (with its ARN in the IAM input), or replace the trigger by hand with `azure-eventhub`."
    }
    KEDA_TRIGGER_METRIC_UNMAPPED = "E2A104" "keda-trigger-metric-unmapped" Error {
        what: "A KEDA `aws-cloudwatch` trigger scales on a CloudWatch metric (the finding names its namespace, metric and dimensions); eks2aks does not know the Azure Monitor metric that replaces it, so the trigger is left pointing at AWS.",
        why: "On AKS the trigger cannot read CloudWatch as the workload: the workload would never scale.",
        fix: "Choose the Azure Monitor metric of the Azure resource that replaces the measured one and write an `azure-monitor` trigger (`resourceURI`, `tenantId`, `subscriptionId`, `resourceGroupName`, `metricName`, `metricAggregationType`, …) with `azure-workload` authentication as an identity holding Monitoring Reader."
    }
    KEDA_TRIGGER_NO_AZURE_SCALER = "E2A105" "keda-trigger-no-azure-scaler" Error {
        what: "A KEDA `aws-dynamodb` trigger scales on the number of items a DynamoDB query returns; KEDA has no Azure Table Storage or Cosmos DB item-count scaler, so the trigger is left pointing at AWS.",
        why: "On AKS the trigger cannot query DynamoDB as the workload: the workload would never scale.",
        fix: "Scale on something Azure can measure: an `azure-monitor` metric the application publishes, an external scaler, or a queue the producer also writes to."
    }
    KMS_SERVER_SIDE_ENCRYPTION = "E2A106" "kms-server-side-encryption" Note {
        what: "A KMS statement (`kms:Decrypt`, `kms:GenerateDataKey*`, `kms:DescribeKey`, …) may be used only through a service that encrypts at rest with it: its only condition is `kms:ViaService` (`StringEquals`/`StringLike`) naming `secretsmanager.<region>.amazonaws.com` or `s3.<region>.amazonaws.com` (the services whose `server_side_encryption` is set in `mappings/services.yaml`). That is server-side encryption of a secret or of S3 objects (SSE-KMS): no Azure role is granted for it, and the coverage ledger counts its actions as translated (not needed on Azure). The note names the key and the service.",
        why: "Key Vault encrypts the secrets it stores, and Azure Storage every blob, at rest by themselves; a customer-managed key is configured on the vault or the storage account (with the account's own identity), not granted to the workload. Granting the workload Key Vault Crypto User on a key it never calls would be wider than AWS, where the key could not be used directly at all.",
        fix: "Nothing for the workload. If the data must stay under a key you manage, configure customer-managed keys on the storage account (Key Vault Crypto Service Encryption User for the account's identity). A statement with another condition, a negated operator (`StringNotEquals`) or `…IfExists` is not read this way (E2A020)."
    }
    MERGED_ANCHOR_NOT_REWRITTEN = "E2A107" "merged-anchor-not-rewritten" Error {
        what: "An object that `translate` would edit shares text with other objects through a YAML merge key: its mapping merges (`<<: *anchor`) an anchor written in another object, or another object merges an anchor written in it. Kubernetes reads the merged keys (sigs.k8s.io/yaml applies merge keys), and so does eks2aks: the ServiceAccount gets its identity. But an edit of the anchored text would change every object that merges it, and an edit of a merged key cannot be made in one object only, so none of the objects sharing the anchor is rewritten: they are kept as they are, and the finding names them, at the anchor's line.",
        why: "The edits the plan lists for them (the client id annotation, the pod label, the env) are not in the output, so those workloads would not get their Azure identity on AKS; the gate must fail until they are.",
        fix: "Write the merged keys out in each object (replace `<<: *anchor` by the keys it brings, as `kubectl get -o yaml` shows them) and translate again, or make the edits the plan lists (`plan --format json`, `manifest_edits`) by hand."
    }
    SERVICE_ACCOUNT_USED_BY_NO_WORKLOAD = "E2A110" "service-account-used-by-no-workload" Warning {
        what: "An identity is planned for a ServiceAccount (its IAM role is translated and federated), but no workload eks2aks recognises runs as that ServiceAccount: no built-in pod-making kind and no kind of `mappings/workloads.yaml` names it. No pod label is added for it.",
        why: "Pods get a workload identity token on AKS only with the label `azure.workload.identity/use: \"true\"`. If the pods that use this ServiceAccount are made by a kind eks2aks does not know (an operator's custom resource) or by manifests outside the input, their template is not labelled and they get no token.",
        fix: "Add the pod-making kind to a `--mappings DIR/workloads.yaml` entry (its group, kind, pod template, labels and ServiceAccount paths; see mappings/README.md) and translate again, or label the pod template by hand; waive the finding on the ServiceAccount when nothing runs as it."
    }
    AWS_NAME_IN_CONFIG = "E2A111" "aws-name-in-config" Warning {
        what: "A configuration value a workload reads (an env value, an `args`/`command` item, a ConfigMap's `data` or a Secret's `stringData`, or a value of a YAML/JSON document held in one) names an AWS resource that its identity's role uses and that moves to Azure — by an ARN, an `s3://`/`s3a://`/`s3n://` URI, an SQS queue URL, or as a bare name the role's policies name — and no manifest edit rewrites that value. The name also narrows the identity's `Resource: \"*\"` grants to that resource.",
        why: "On AKS the workload still points at the AWS resource (an `s3a://` path, a queue URL, an ARN) or at a name the Azure resource does not have: it fails at run time, or keeps reading AWS through credentials it no longer has. A bare name the Azure resource keeps is not reported.",
        fix: "Point the value at the Azure resource the plan names (`plan --format json`: `resources`), e.g. `abfss://<container>@<account>.dfs.core.windows.net/…` for a Hadoop `s3a://` path; waive the finding on the object when the value must keep naming AWS (a resource that stays there)."
    }
    AWS_REFERENCE_IN_SPEC = "E2A112" "aws-reference-in-spec" Warning {
        what: "A custom resource's `spec` holds an ARN, an `*.amazonaws.com` host or an S3 URI, or a container's `args`/`command` selects AWS (`--aws-region`, `--aws-zone-type`, any `--aws-*` flag, `--provider=aws`) or names it by an ARN, host or URI, and no manifest edit rewrites it. Reported once per value; the DNS and secrets sections eks2aks rewrites (external-dns args, cert-manager Route 53 solvers, External Secrets stores), KEDA objects and the objects of AWS add-ons (E2A070) are left to their own findings.",
        why: "Nothing translates these settings: on AKS the operator or program still talks to AWS, with credentials it no longer has.",
        fix: "Replace the setting with its Azure counterpart (the operator's Azure provider, the Azure resource's id or URL), or remove it; waive the finding on the object when it must keep pointing at AWS."
    }
    ZONES_SHARE_A_DOMAIN = "E2A113" "hosted-zones-share-a-domain" Error {
        what: "Two or more Route 53 hosted zones (by their ids, from `route53.zones` in eks2aks.yaml or a cert-manager solver's `selector.dnsZones`) have one domain and would become the same kind of Azure DNS zone (two public zones, or two private ones). Neither is mapped: no Azure DNS zone is planned for them, nothing is granted on them, and the external-dns and cert-manager rewrites name them `REPLACE-ME-zone-of-<id>`. A public and a private zone of one domain are two Azure types and may share it.",
        why: "An Azure DNS zone's name is its domain and one resource group holds one zone of a name, so the two hosted zones cannot both move: a tagged name is no domain, and one zone for both would let each workload write the other's records.",
        fix: "Map one of them to another domain or zone in `route53.zones` (a delegated subdomain, or a private zone), or keep one on AWS (`stay_on_aws: [\"arn:aws:route53:::hostedzone/<id>\"]`, with no `route53.zones` entry), and translate again."
    }
    CFN_UNRESOLVED = "E2A120" "cfn-value-unresolved" Warning {
        what: "A value in a CloudFormation template's IAM (a role's name, trust, inline policy, managed policy ARN or boundary, a managed policy, an `AWS::IAM::Policy`, a Pod Identity association) uses an intrinsic function eks2aks cannot resolve from the input: a parameter without a `Default`, `AWS::StackName`, an `Fn::If` or a resource `Condition` that depends on one, `Fn::ImportValue`, an attribute known only after deployment, or `AWS::AccountId`/`AWS::Region` when no other input settles them. The document, attachment or role that holds it is left out; it is never read as a wildcard.",
        why: "What is left out grants nothing on Azure: the workload may lack permissions it had (for a Deny, it may have more than it had). The finding names the value and where it is.",
        fix: "Give the parameter a `Default` (or a literal value), or add the deployed role (`aws iam get-account-authorization-details`) to the input, and translate again."
    }
    IAC_VALUE_INFERRED = "E2A121" "iac-value-inferred" Note {
        what: "A CloudFormation template's (or Terraform plan's) IAM depends on a value known when the stack is deployed (or the plan applied), and eks2aks took it from the other inputs: `AWS::AccountId` (a plan's account) from the account of the role ARN a ServiceAccount annotation names for a role of the template (or the one account of the exported roles; for a plan, else `data.aws_caller_identity`'s `account_id` or a known OIDC provider ARN), `AWS::Region` from an EKS OIDC issuer, or a role without `RoleName` joined by the generated name a ServiceAccount names (or by its logical id). The note says which.",
        why: "The plan is only right if the stack is deployed where the inference says.",
        fix: "Nothing, if the inference is right; otherwise give the template literal values (or add the deployed roles' export) and translate again."
    }
    TERRAFORM_UNKNOWN = "E2A122" "terraform-value-unknown" Warning {
        what: "A Terraform plan (`terraform show -json`) leaves an IAM value unknown until apply (`after_unknown`, \"(known after apply)\"): a role's name or policy, a policy document, an attachment's role or policy ARN. The document, attachment or role that holds it is left out; it is never read as a wildcard.",
        why: "What is left out grants nothing on Azure: the workload may lack permissions it has on AWS.",
        fix: "Apply and export the state (`terraform show -json > state.json`), or give the value literally in the configuration, and translate again."
    }
    CFN_IAM_RESOURCE_NOT_READ = "E2A123" "cfn-iam-resource-not-read" Note {
        what: "A CloudFormation template holds an `AWS::IAM::` resource that eks2aks does not read: anything but `AWS::IAM::Role`, `AWS::IAM::ManagedPolicy`, `AWS::IAM::Policy`, `AWS::IAM::RolePolicy` and `AWS::IAM::OIDCProvider` (for example `AWS::IAM::User`, `AWS::IAM::Group`, `AWS::IAM::UserPolicy`, `AWS::IAM::InstanceProfile`, `AWS::IAM::AccessKey`). The note names the resource and its type.",
        why: "None of these gives a pod's role a permission, so nothing is translated from them; the note shows that the resource was seen and left out on purpose, not missed.",
        fix: "Nothing, if the resource is not about a workload's role. An IAM user's access keys used by a workload are static keys (E2A006): move that workload to a role."
    }
    POD_IDENTITY_CLUSTER_UNKNOWN = "E2A124" "pod-identity-cluster-unknown" Error {
        what: "An EKS Pod Identity association (or an eksctl `iam.serviceAccounts` entry) names a ServiceAccount that the input declares in several cluster directories, and none of them is nearer the association's file than the others: which cluster's ServiceAccount it is for cannot be known. It is bound to none of them.",
        why: "An association belongs to one cluster. Binding it to every ServiceAccount of that name would give another cluster's workloads the role's permissions on Azure (two AWS things become one Azure thing); guessing one could pick the wrong cluster.",
        fix: "Keep each cluster's associations (eksctl config, `aws eks describe-pod-identity-association` output) in that cluster's directory next to its manifests, or translate each cluster in a run of its own."
    }
    POD_IDENTITY_ASSOCIATIONS_CONFLICT = "E2A125" "pod-identity-associations-conflict" Error {
        what: "One ServiceAccount of one cluster has two or more EKS Pod Identity associations that disagree (another role, chain or session-tag setting), for example an eksctl config and a `describe-pod-identity-association` output. The message names each one with its file and line. None is translated.",
        why: "EKS keeps one association per ServiceAccount and cluster, so the input contradicts itself; choosing one by file order would make the plan depend on file names.",
        fix: "Keep only the association the cluster has (the describe output is what is deployed) and translate again."
    }
    POD_IDENTITY_SHADOWED_BY_IRSA = "E2A126" "pod-identity-shadowed-by-irsa" Warning {
        what: "A ServiceAccount has both IRSA (an `eks.amazonaws.com/role-arn` annotation, or an eksctl `iam.serviceAccounts` entry) and an EKS Pod Identity association. The AWS SDKs' default credential chain tries web identity before the container credential provider that Pod Identity uses, so the pods run as the IRSA role; the association's role is ignored on AWS and is not translated. The message names both roles and where they come from.",
        why: "Two sources link the ServiceAccount to two roles; only one is in force, and the other must not be silently forgotten (or silently granted).",
        fix: "Remove the link the workload should not have (the association, or the annotation) so the input says what runs, and translate again."
    }
    EKSCTL_IRSA_ROLE_NOT_IN_FORCE = "E2A127" "eksctl-irsa-role-not-in-force" Warning {
        what: "An eksctl `iam.serviceAccounts` entry attaches a role to a ServiceAccount whose manifest annotates another role (`eks.amazonaws.com/role-arn`). The annotation's role is translated; the eksctl entry's role is named and not translated.",
        why: "eksctl does not override an existing ServiceAccount's annotation without `--override-existing-serviceaccounts`, and applying the manifest after eksctl writes the manifest's annotation, so the manifest's role is the one in force; the other must not be silently forgotten.",
        fix: "Make the eksctl entry and the manifest name the same role, or drop the link the workload should not have, and translate again."
    }
    EKSCTL_IRSA_ENTRIES_CONFLICT = "E2A128" "eksctl-irsa-entries-conflict" Error {
        what: "One ServiceAccount of one cluster has eksctl `iam.serviceAccounts` entries (in one config or several) that attach different roles, and its manifest (if any) has no role annotation. The message names each role with its file and line. None is translated.",
        why: "eksctl writes the annotation of whichever config ran last, so the role in force cannot be known from the input; choosing one by file order would make the plan depend on file names.",
        fix: "Keep one `iam.serviceAccounts` entry for the ServiceAccount, or annotate its manifest with the role in force, and translate again."
    }
    KEDA_CLUSTER_UNKNOWN = "E2A129" "keda-cluster-unknown" Error {
        what: "A KEDA trigger's scale target (the workload whose env and identity it reads) or its authentication is declared in several cluster directories of the input, and none of them is nearer the ScaledObject's (or ScaledJob's) file than the others. The message names each copy with file and line. The trigger, and the env values it may read, are left as they are.",
        why: "Each cluster has its own queue URL and its own authentication; taking the first one found would make one cluster's trigger scale on another cluster's queue, or authenticate as another cluster's identity.",
        fix: "Put each cluster's ScaledObjects in that cluster's directory, next to its workloads and authentications, or translate each cluster in a run of its own."
    }
    MANAGED_POLICY_FROM_BUNDLE = "E2A130" "aws-managed-policy-from-bundle" Note {
        what: "A role attaches an AWS-managed policy (or an eksctl well-known policy that expands to one) whose document is not in the input; it was resolved from the copy bundled in `mappings/aws-managed-policies.yaml`, whose version and date the message names.",
        why: "AWS can publish a newer version of a managed policy; the bundled copy is the version taken on the date named, so the translation follows that version.",
        fix: "Nothing if that version is the one attached; otherwise export the policy (`aws iam get-policy-version`) and add it to the INPUT paths (an export overrides the bundle), or update the bundle with `--mappings DIR`."
    }
    MANAGED_POLICY_DIFFERS_FROM_BUNDLE = "E2A131" "aws-managed-policy-differs-from-bundle" Note {
        what: "The input exports an AWS-managed policy whose version or document differs from the copy bundled in `mappings/aws-managed-policies.yaml`.",
        why: "The export is what is attached in the account, so it is used; the difference shows that the account (or the bundle) holds another version.",
        fix: "Nothing: the export wins. Update the bundle with `--mappings DIR` if the exported version should be the default."
    }
    BRIDGE_STATEMENT_DROPPED = "E2A132" "bridge-statement-not-carried" Warning {
        what: "An Allow of the IAM role written with `NotResource` (every resource but those) reaches resources in `stay_on_aws`, but the AWS bridge role cannot carry it exactly: it is written as an Allow on the staying patterns plus a Deny of its actions on what it excluded, and that Deny would also take from another Allow of the bridge that grants one of those actions there. The statement is left out of the bridge policy.",
        why: "The workload keeps, through the bridge, only what the bridge policy grants: without this statement it loses these actions on the staying resources (a narrower bridge, never a wider one), and a person must decide how to grant them.",
        fix: "Add the statement to `aws/eks2aks-bridge-<identity>.policy.json` by hand (or rewrite the IAM statement with `Resource` naming the resources it is for, then translate again); waive this finding with a reason once done."
    }
    CONTROL_PLANE_EXCESS = "E2A133" "control-plane-excess" Warning {
        what: "A built-in role on a target reached through control-plane actions only (Azure DNS, whose record sets are ARM resources) allows mapped reads that none of the AWS actions it carries maps to: a Route 53 role that may change record sets (`ChangeResourceRecordSets`) but not read them gets DNS Zone Contributor, which also reads the zone and every record set. The message names those reads and the Route 53 actions that would have needed them.",
        why: "It is a widening: the identity can read on Azure what its IAM role could not read on AWS. DNS Zone Contributor is kept because the Azure clients of such grants read before they write (cert-manager's azureDNS solver gets the TXT record set before each change; external-dns lists record sets), so a role with only the writes and deletes would fail on its first request.",
        fix: "Nothing, when the identity is external-dns or cert-manager (they need the reads on Azure). Otherwise, if nothing it runs reads the zone, replace the assignment with a custom role holding only the record-set writes and deletes the message's AWS actions map to; waive the finding on the ServiceAccount with the reason."
    }
    DENY_WITHDRAWS_GRANT = "E2A134" "deny-withdraws-grant" Note {
        what: "A Deny statement withdraws or narrows what an Allow of the same role grants on a resource: the message, at the Deny, names the Allow (line and policy), the AWS actions and the Azure scope, and whether the grant is withdrawn (nothing is assigned for it) or narrowed (listing removed, object paths excluded from the blob condition, each named). Wildcards are matched as AWS matches them: `arn:aws:s3:::app-*/*` covers every object of `app-data`, `app-*/secret/*` the keys `secret/*` and `*/secret/*` (a `*` spans `/`).",
        why: "Without it an action the policy allows disappears from the output with nothing saying why. AWS itself never allowed what the Deny names, so the outcome is exact unless E2A019 says the subtraction is wider than the Deny.",
        fix: "Nothing, when the Deny is meant. If the workload needs what it names, change the Deny (or the Allow) in IAM and translate again."
    }
    RESOURCE_IN_OTHER_PARTITION = "E2A135" "resource-in-other-partition" Warning {
        what: "A policy statement names a resource of another AWS partition than its role's (`arn:aws-cn:…` or `arn:aws-us-gov:…` in a policy of an `arn:aws:…` role, or the reverse). The message names both partitions; nothing is granted for that resource.",
        why: "Partitions are isolated: a role's credentials are valid only in its own partition, so IAM credentials of one partition cannot be used with resources of another (AWS whitepaper \"AWS Fault Isolation Boundaries\", Partitions). The statement allowed nothing there on AWS, so the plan grants nothing on Azure; granting it would be wider than AWS (the soundness check refused such a grant with E2A045).",
        fix: "Nothing, if the statement is a leftover (delete it from the policy). If the workload really reaches that resource, it does so with other credentials than this role's: translate that access separately."
    }
    VALUE_NOT_REWRITTEN_IN_PLACE = "E2A136" "aws-value-not-rewritable-in-place" Warning {
        what: "An env value, ConfigMap `data` or Secret `stringData` value names an AWS resource the plan maps (a queue URL, an ARN, an S3 URI), but the value is written so that the reference's place in the file cannot be computed exactly from its place in the value: a folded block scalar (`>`, whose line breaks are joined when read), a block scalar with an indentation indicator or tabs, or a multi-line quoted or plain scalar. The value is left as it is; the message names the reference and its Azure replacement.",
        why: "Rewriting a guessed place could corrupt the document the value holds (or the manifest around it); re-writing the whole value would lose its layout. The workload still points at AWS until the value is changed.",
        fix: "Replace the reference in the value by hand with the replacement the message gives, or write the value as a literal block (`key: |`) and translate again."
    }
    VALUE_LEFT_HALF_TRANSLATED = "E2A138" "aws-value-partly-rewritable" Warning {
        what: "A value written on one line (or re-written whole: an env value, a ConfigMap `data` or Secret `stringData` value) holds several AWS references, and some of them the plan rewrites while others it cannot (an endpoint or ARN with no Azure counterpart in the plan, a resource that stays on AWS). The value is left whole as it is; the message lists the references of each kind.",
        why: "Rewriting only some references would leave a value half on Azure and half on AWS (a queue list the application reads as one setting), which neither cloud serves as the input meant; the plan would list edits whose result no one asked for.",
        fix: "Split the value so each setting names one cloud, or change it by hand: each reference the plan maps becomes the Azure URL in plan.json `resources`, and the others need a decision (map them, or keep the workload on AWS)."
    }
    SECRET_DATA_NOT_REWRITTEN = "E2A139" "secret-data-not-rewritten" Warning {
        what: "A Secret's `data` value (base64) names an AWS resource the plan moves to Azure: `translate` gives it no edit, because an edit cannot change a reference inside a base64 value in place. The message points at the Secret, the key and the line, and never shows the value, decoded or not.",
        why: "The workload would read the AWS reference from the Secret on AKS. Decoding, rewriting and re-encoding a secret value in the output would also put the decoded value in the plan, which never prints secret values.",
        fix: "Decode the value, point it at the Azure resource (plan.json `resources`), encode it again; or move the key to `stringData`, which `translate` rewrites like a ConfigMap value."
    }
    STORAGE_CONFIG_LEFT_ON_S3 = "E2A140" "storage-config-not-rewritten" Error {
        what: "The storage configuration of a common stack (`mappings/storage-configs.yaml`: Loki, Thanos, Mimir/Cortex, Tempo, Argo Workflows' artifact repository, Velero, Spark) points at S3 and is not (fully) rewritten for Azure Blob Storage: the bucket is not in the plan, the config is written where an edit cannot reach it (base64 Secret data, a quoted or folded string, a flow mapping), it matches none of the stack's known settings, or the rewrite needs a value no input gives (then it holds `REPLACE-ME-…`).",
        why: "The workload would start on AKS and fail to read or write its data (or write it to the wrong place); the gate must fail while a config still points at S3.",
        fix: "Do what the message says: grant the bucket in the role's policy export, set the named `azure.*` key in eks2aks.yaml, or change the config by hand as the message shows (the table row cited has the product's own key names)."
    }
    STORAGE_CONFIG_REWRITTEN = "E2A141" "storage-config-rewritten" Note {
        what: "The storage configuration of a common stack was rewritten for Azure Blob Storage with workload identity (`mappings/storage-configs.yaml`): the changed settings are listed, everything else in the config is kept byte for byte.",
        why: "A reviewer sees which application settings changed, not only the identity.",
        fix: "Nothing; review the edit in `plan --format json` (`manifest_edits`)."
    }
    SNAPSHOT_RIGHTS_BY_HAND = "E2A142" "snapshot-rights-by-hand" Warning {
        what: "A role allows the EC2 snapshot actions of a disk snapshotter whose objects are in the input (Velero's `VolumeSnapshotLocation`, `mappings/storage-configs.yaml` `snapshots`), but not plainly: the statement that allows an action has conditions, names specific resources, is a `NotAction`, or a Deny may apply to it. A role assignment on the node resource group cannot say that, so the Azure role for those actions is not assigned; the message gives the `az role assignment create` commands to run once reviewed. (Plain grants are assigned by the outputs: E2A143.)",
        why: "Without them, volume snapshots and restores fail on AKS while backups of the Kubernetes objects still work, so the gap shows only at the first restore; but assigning them as they are would grant more than the AWS role did.",
        fix: "Review the statement at the reported line: if the condition or resource list only restated \"the cluster's volumes\", make the grant plain (`Resource: \"*\"`, no condition) and re-run, or run the commands in the message; or use Velero's file-system backup (`--uploader-type=kopia`, no snapshot rights) and remove the snapshot location."
    }
    SNAPSHOT_RIGHTS_ON_NODE_GROUP = "E2A143" "snapshot-rights-on-node-resource-group" Warning {
        what: "A role plainly allows (`Resource: \"*\"`, no condition, no Deny) the EC2 snapshot actions of a disk snapshotter whose objects are in the input (Velero's `VolumeSnapshotLocation`). On AKS its Azure plugin snapshots the disks of the node resource group, so the outputs assign the built-in roles of `mappings/storage-configs.yaml` `snapshots` there — Disk Snapshot Contributor, and Disk Restore Operator for restores: in `plan.json` (scope kind `node_resource_group`), in `bicep/nodeResourceGroupRoles.bicep` (a module `main.bicep` deploys at `resourceGroup(nodeResourceGroup)`), in `role-assignments.json` and `role-assignments.sh` (`$NODE_RESOURCE_GROUP`). The message names what each role allows beyond the EC2 actions.",
        why: "These are control-plane roles on a whole resource group: Disk Snapshot Contributor also allows writing, deleting and listing the keys of storage accounts in it, which `ec2:CreateSnapshot` never did. That is wider than the AWS role, so it is said, not hidden.",
        fix: "Set `azure.node_resource_group` in eks2aks.yaml (or the `nodeResourceGroup` parameter: `az aks show -g RG -n CLUSTER --query nodeResourceGroup -o tsv`). To avoid the excess, use Velero's file-system backup (`--uploader-type=kopia`, no snapshot rights), remove the snapshot location and the EC2 statement, and re-run."
    }
    STAR_NOT_WIDENED = "E2A150" "dns-star-not-widened" Warning {
        what: "A Route 53 statement on `Resource: \"*\"` (or a hosted-zone wildcard) whose actions map to an Azure DNS zone (a scope kind with `never_widen` in `mappings/scopes.yaml`), while the identity's workloads name no hosted zone it matches. Nothing is granted for it: the grant is not widened to the resource group.",
        why: "A DNS Zone Contributor assignment on the resource group would let the identity rewrite every zone in it, where the AWS policy was meant for the zones external-dns or cert-manager manage. Granting nothing fails closed; the zones must be named.",
        fix: "Name the hosted zone in the policy (`arn:aws:route53:::hostedzone/Z…`), or let the workload name it (external-dns `--zone-id-filter`, a cert-manager solver's `hostedZoneID`), and map its id to the zone name under `route53: zones:` in eks2aks.yaml."
    }
}

/// The rule with this code (or kebab-case name). A code as the constants spell it is found by binary search in
/// [`ALL`] (sorted by code; every finding looks its rule up); other spellings by a scan. A name has no digit, so
/// no name is spelt like a code.
pub fn by_code(code: &str) -> Option<&'static Rule> {
    match ALL.binary_search_by(|r| r.code.cmp(code)) {
        Ok(i) => Some(&ALL[i]),
        Err(_) => ALL.iter().find(|r| r.code.eq_ignore_ascii_case(code) || r.name == code),
    }
}

/// `check --explain CODE`: the rule's documentation.
pub fn explain(r: &Rule) -> String {
    format!(
        "{} {} (default: {})\n\nWhat it does\n  {}\n\nWhy it matters\n  {}\n\nFix\n  {}\n\nWaive it for one Kubernetes object with the annotation\n  eks2aks.dev/ignore: \"{}: <reason>\"\nor change its severity for the whole run in eks2aks.yaml:\n  rules:\n    {}: warning   # error | warning | note | off\n",
        r.code,
        r.name,
        r.severity.as_str(),
        r.what,
        r.why,
        r.fix,
        r.code,
        r.code
    )
}

/// The default severity of a rule.
pub fn default_severity(code: &str) -> Severity {
    by_code(code).map_or(Severity::Error, |r| r.severity)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_sorted_and_well_formed() {
        let codes: Vec<&str> = ALL.iter().map(|r| r.code).collect();
        let mut sorted = codes.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(codes, sorted, "codes must be unique and listed in order");
        for r in ALL {
            assert!(r.code.len() == 6 && r.code.starts_with("E2A") && r.code[3..].bytes().all(|b| b.is_ascii_digit()));
            assert!(r.name.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'), "{}", r.name);
        }
        let mut names: Vec<&str> = ALL.iter().map(|r| r.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), ALL.len(), "names must be unique");
    }

    /// Every rule is found by its code in any case and by its name, and nothing else is found.
    #[test]
    fn by_code_finds_every_rule_by_code_and_name() {
        for r in ALL {
            // `ALL` is a constant: compared by code and name, not by address.
            let found = |q: &str| by_code(q).map(|x| (x.code, x.name));
            assert_eq!(found(r.code), Some((r.code, r.name)));
            assert_eq!(found(&r.code.to_ascii_lowercase()), Some((r.code, r.name)));
            assert_eq!(found(r.name), Some((r.code, r.name)));
            assert_eq!(default_severity(r.code), r.severity);
        }
        for missing in ["E2A000", "E2A999", "", "e2a", "E2A0011", "no-such-rule"] {
            assert!(by_code(missing).is_none(), "{missing}");
        }
        assert_eq!(default_severity("E2A999"), Severity::Error);
    }
}
