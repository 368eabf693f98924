//! Writes a realistic synthetic EKS monorepo of N applications, for benchmarks and scale tests.
//!
//! `cargo run --release --example gen_corpus -- N OUT_DIR`
//!
//! Layout: `apps/<team>/<app>/` with a ServiceAccount (IRSA), a Deployment of realistic size (two containers,
//! probes, resources, env), a ConfigMap naming AWS resources, a Service, and KEDA objects for about a third of the
//! apps; `iam/account-authorization-details.json` with one role per app (inline and attached customer-managed
//! policies with several versions, wildcards, conditions). Deliberate faults: every 97th app's trust names the
//! wrong ServiceAccount, every 251st app's role is missing from the export, every 499th app has a static key.
//! Output is a pure function of N (no randomness, no time).

use std::fmt::Write as _;
use std::path::Path;

const TEAMS: &[&str] = &["payments", "orders", "search", "media", "identity", "billing", "catalog", "shipping"];
const ACCOUNT: &str = "111122223333";
const OIDC: &str = "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE";

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).and_then(|s| s.parse().ok()).expect("usage: gen_corpus N OUT_DIR");
    let out = Path::new(args.get(2).expect("usage: gen_corpus N OUT_DIR"));
    let bytes = generate(n, out).expect("writing the corpus");
    println!("wrote {n} applications ({:.1} MB) to {}", bytes as f64 / 1e6, out.display());
}

/// Writes the corpus; returns the number of bytes written.
pub fn generate(n: usize, out: &Path) -> std::io::Result<u64> {
    let mut total = 0u64;
    let mut write = |p: &Path, s: &str| -> std::io::Result<()> {
        std::fs::create_dir_all(p.parent().unwrap())?;
        total += s.len() as u64;
        std::fs::write(p, s)
    };
    let mut roles = Vec::new();
    let mut policies = Vec::new();
    for i in 0..n {
        let team = TEAMS[i % TEAMS.len()];
        let app = format!("{team}-svc-{i:05}");
        let dir = out.join("apps").join(team).join(&app);
        let role = format!("{app}-role");
        let queue = format!("{app}-jobs");
        let table = format!("{app}-state");
        let bucket = format!("{app}-artifacts");
        let keda = i % 3 == 0;
        write(
            &dir.join("serviceaccount.yaml"),
            &format!(
                "# IRSA for {app}\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: {app}\n  namespace: {team}\n  labels:\n    app.kubernetes.io/name: {app}\n    app.kubernetes.io/part-of: {team}\n  annotations:\n    eks.amazonaws.com/role-arn: arn:aws:iam::{ACCOUNT}:role/{role}\n    eks.amazonaws.com/sts-regional-endpoints: \"true\"\n"
            ),
        )?;
        let static_key = if i % 499 == 498 {
            "            - name: AWS_ACCESS_KEY_ID\n              value: AKIAIOSFODNN7EXAMPLE\n"
        } else {
            ""
        };
        write(
            &dir.join("deployment.yaml"),
            &format!(
                r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: {app}
  namespace: {team}
  labels:
    app.kubernetes.io/name: {app}
    app.kubernetes.io/version: "1.{i}.0"
spec:
  replicas: 2
  revisionHistoryLimit: 5
  selector:
    matchLabels:
      app.kubernetes.io/name: {app}
  strategy:
    type: RollingUpdate
    rollingUpdate: {{maxSurge: 25%, maxUnavailable: 0}}
  template:
    metadata:
      labels:
        app.kubernetes.io/name: {app}
      annotations:
        prometheus.io/scrape: "true"
        prometheus.io/port: "9090"
    spec:
      serviceAccountName: {app}
      securityContext:
        runAsNonRoot: true
        runAsUser: 10001
      containers:
        - name: app
          image: {ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/{team}/{app}:1.{i}.0
          ports:
            - {{name: http, containerPort: 8080}}
            - {{name: metrics, containerPort: 9090}}
          env:
            - name: AWS_REGION
              value: us-east-1
            - name: QUEUE_URL
              value: https://sqs.us-east-1.amazonaws.com/{ACCOUNT}/{queue}
            - name: LOG_LEVEL
              value: info
{static_key}          envFrom:
            - configMapRef:
                name: {app}-config
          resources:
            requests: {{cpu: 100m, memory: 128Mi}}
            limits: {{cpu: "1", memory: 512Mi}}
          readinessProbe:
            httpGet: {{path: /healthz, port: http}}
            periodSeconds: 10
          livenessProbe:
            httpGet: {{path: /livez, port: http}}
            initialDelaySeconds: 15
        - name: log-forwarder
          image: public.ecr.aws/aws-observability/aws-for-fluent-bit:2.32.0
          resources:
            requests: {{cpu: 10m, memory: 32Mi}}
"#
            ),
        )?;
        write(
            &dir.join("configmap.yaml"),
            &format!(
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {app}-config\n  namespace: {team}\ndata:\n  TABLE_ARN: arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/{table}\n  ARTIFACT_BUCKET: s3://{bucket}/releases/\n  FEATURE_FLAGS: \"no\"\n  SERVICE_NAME: {app}\n"
            ),
        )?;
        write(
            &dir.join("service.yaml"),
            &format!(
                "apiVersion: v1\nkind: Service\nmetadata:\n  name: {app}\n  namespace: {team}\nspec:\n  selector:\n    app.kubernetes.io/name: {app}\n  ports:\n    - name: http\n      port: 80\n      targetPort: http\n"
            ),
        )?;
        if keda {
            write(
                &dir.join("keda.yaml"),
                &format!(
                    "apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata:\n  name: {app}\n  namespace: {team}\nspec:\n  scaleTargetRef:\n    name: {app}\n  minReplicaCount: 1\n  maxReplicaCount: 20\n  triggers:\n    - type: aws-sqs-queue\n      authenticationRef:\n        name: {app}-aws\n      metadata:\n        queueURL: https://sqs.us-east-1.amazonaws.com/{ACCOUNT}/{queue}\n        queueLength: \"5\"\n        awsRegion: us-east-1\n---\napiVersion: keda.sh/v1alpha1\nkind: TriggerAuthentication\nmetadata:\n  name: {app}-aws\n  namespace: {team}\nspec:\n  podIdentity:\n    provider: aws\n    identityOwner: workload\n"
                ),
            )?;
        }
        if i % 251 == 250 {
            continue; // role missing from the export
        }
        let sub_sa = if i % 97 == 96 { format!("{app}-old") } else { app.clone() };
        let trust = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Federated":"arn:aws:iam::{ACCOUNT}:oidc-provider/{OIDC}"}},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{{"StringEquals":{{"{OIDC}:sub":"system:serviceaccount:{team}:{sub_sa}","{OIDC}:aud":"sts.amazonaws.com"}}}}}}]}}"#
        );
        let inline = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"Queue","Effect":"Allow","Action":["sqs:ReceiveMessage","sqs:DeleteMessage","sqs:GetQueueAttributes","sqs:ChangeMessageVisibility"],"Resource":"arn:aws:sqs:us-east-1:{ACCOUNT}:{queue}"}},{{"Sid":"Artifacts","Effect":"Allow","Action":["s3:GetObject","s3:List*"],"Resource":["arn:aws:s3:::{bucket}","arn:aws:s3:::{bucket}/*"],"Condition":{{"StringLike":{{"s3:prefix":["releases/*"]}}}}}}]}}"#
        );
        let policy_arn = format!("arn:aws:iam::{ACCOUNT}:policy/{app}-table");
        roles.push(format!(
            r#"{{"Path":"/","RoleName":"{role}","RoleId":"AROA{i:017}","Arn":"arn:aws:iam::{ACCOUNT}:role/{role}","CreateDate":"2024-01-01T00:00:00Z","AssumeRolePolicyDocument":{trust},"InstanceProfileList":[],"RolePolicyList":[{{"PolicyName":"{app}-inline","PolicyDocument":{inline}}}],"AttachedManagedPolicies":[{{"PolicyName":"{app}-table","PolicyArn":"{policy_arn}"}}],"Tags":[{{"Key":"team","Value":"{team}"}}]}}"#
        ));
        let v1 = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"dynamodb:*","Resource":"*"}]}"#;
        let v2 = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":["dynamodb:GetItem","dynamodb:PutItem","dynamodb:UpdateItem","dynamodb:Query","dynamodb:?atchGetItem"],"Resource":["arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/{table}","arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/{table}/index/*"]}},{{"Effect":"Deny","Action":"dynamodb:DeleteTable","Resource":"*"}}]}}"#
        );
        policies.push(format!(
            r#"{{"PolicyName":"{app}-table","PolicyId":"ANPA{i:017}","Arn":"{policy_arn}","Path":"/","DefaultVersionId":"v2","AttachmentCount":1,"IsAttachable":true,"PolicyVersionList":[{{"Document":{v1},"VersionId":"v1","IsDefaultVersion":false}},{{"Document":{v2},"VersionId":"v2","IsDefaultVersion":true}}]}}"#
        ));
    }
    let mut iam = String::new();
    write!(iam, "{{\n  \"UserDetailList\": [],\n  \"GroupDetailList\": [],\n  \"RoleDetailList\": [\n    {}\n  ],\n  \"Policies\": [\n    {}\n  ]\n}}\n", roles.join(",\n    "), policies.join(",\n    ")).unwrap();
    write(&out.join("iam").join("account-authorization-details.json"), &iam)?;
    Ok(total)
}
