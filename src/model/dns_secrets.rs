//! DNS and secrets custom resources that point at AWS (issue 20, parts 4 and 5): external-dns's `--provider=aws`
//! container args, cert-manager's Route 53 DNS-01 solvers, External Secrets' `provider.aws` stores and the keys
//! their `ExternalSecret`s read, and Secrets Store CSI `SecretProviderClass`es with `provider: aws`. Ingest records
//! each section with its place and content; `plan::dns_secrets` decides its Azure counterpart.

use crate::diag::Loc;

/// One section of a Kubernetes object that points at AWS.
#[derive(Debug, Clone)]
pub struct AwsSection {
    /// Index into [`super::Model::objects`].
    pub object: usize,
    /// The object's namespace (the default namespace when it has none; empty for cluster-scoped kinds).
    pub namespace: String,
    /// The object's name.
    pub name: String,
    /// What the section is.
    pub kind: SectionKind,
    /// The node the rewrite replaces (see [`SectionKind`]).
    pub loc: Loc,
    /// That node's content.
    pub value: serde_json::Value,
}

/// The kinds of [`AwsSection`], with the node each names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SectionKind {
    /// An external-dns container's `args` list (it has `--provider=aws` or `--provider aws`); the pod's
    /// ServiceAccount.
    ExternalDnsArgs {
        /// The ServiceAccount its pods run as.
        service_account: String,
    },
    /// A cert-manager `Issuer`/`ClusterIssuer` ACME solver's `dns01` mapping, which has `route53`; the
    /// solver's `selector.dnsZones`.
    Route53Solver {
        /// `selector.dnsZones` of the solver.
        dns_zones: Vec<String>,
    },
    /// An External Secrets `SecretStore`/`ClusterSecretStore`'s `spec.provider` mapping, which has `aws`.
    SecretStore,
    /// An `ExternalSecret`'s `remoteRef.key` (`spec.data[]`) or `extract.key` (`spec.dataFrom[]`) scalar; the
    /// store it reads (`secretStoreRef` kind and name).
    ExternalSecretKey {
        /// `secretStoreRef.kind` (default `SecretStore`).
        store_kind: String,
        /// `secretStoreRef.name`.
        store: String,
        /// `remoteRef.version`, when set (an AWS version id or stage).
        version: Option<String>,
    },
    /// An `ExternalSecret` item that selects secrets by a search (`dataFrom[].find`): no key to map.
    ExternalSecretFind {
        /// `secretStoreRef.kind` (default `SecretStore`).
        store_kind: String,
        /// `secretStoreRef.name`.
        store: String,
    },
    /// A `SecretProviderClass`'s `spec` mapping, whose `provider` is `aws`.
    SecretProviderClass,
    /// A pod volume that mounts a `SecretProviderClass` (`csi.volumeAttributes.secretProviderClass` of the
    /// `secrets-store.csi.k8s.io` driver); the pod's ServiceAccount. Nothing is rewritten there.
    SecretProviderMount {
        /// The `SecretProviderClass` name.
        class: String,
        /// The ServiceAccount its pods run as.
        service_account: String,
    },
}
