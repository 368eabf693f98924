//! The typed model every later stage reads: Kubernetes objects and AWS IAM, each value with its location.
//! Built by `ingest`, joined by `graph`; nothing here parses text or decides anything.

mod arn;
mod dns_secrets;
mod iam;
mod k8s;
mod pod_kinds;

pub use arn::Arn;
pub use dns_secrets::*;
pub use iam::*;
pub use k8s::*;
pub use pod_kinds::*;

/// Everything read from the inputs.
#[derive(Debug, Default)]
pub struct Model {
    /// Every Kubernetes object, unknown kinds included.
    pub objects: Vec<K8sObject>,
    /// ServiceAccounts (declared, implied by a workload, or created by eksctl).
    pub service_accounts: Vec<ServiceAccount>,
    /// Everything that runs pods.
    pub workloads: Vec<Workload>,
    /// ConfigMaps and Secrets, with the entries that point at AWS.
    pub config_data: Vec<ConfigData>,
    /// KEDA ScaledObjects and ScaledJobs.
    pub scalers: Vec<Scaler>,
    /// KEDA TriggerAuthentications and ClusterTriggerAuthentications.
    pub trigger_auths: Vec<TriggerAuth>,
    /// IAM roles.
    pub roles: Vec<Role>,
    /// Customer-managed (and exported AWS-managed) policies, default version only.
    pub managed_policies: Vec<ManagedPolicy>,
    /// EKS Pod Identity associations and eksctl IRSA bindings: ServiceAccount → role links not made by an annotation.
    pub associations: Vec<Association>,
    /// Policy or trust documents not attached to any role in the input.
    pub loose_documents: Vec<LooseDocument>,
    /// DNS and secrets sections that point at AWS (external-dns, cert-manager, External Secrets, CSI secrets).
    pub aws_sections: Vec<AwsSection>,
    /// StorageClasses, PersistentVolumes, Ingresses and Services (the storage and load-balancer rewrite).
    pub cloud_objects: Vec<CloudObject>,
    /// AWS references in custom resources' `spec`s ([`SpecRef`]).
    pub spec_refs: Vec<SpecRef>,
    /// The URLs a stack's storage config reads with the bucket as their path ([`BucketUrl`]).
    pub bucket_urls: Vec<BucketUrl>,
}

impl Model {
    /// Every AWS reference found in workload env and in ConfigMaps/Secrets.
    pub fn aws_refs(&self) -> impl Iterator<Item = &AwsRef> {
        self.workloads
            .iter()
            .flat_map(|w| w.aws_refs.iter())
            .chain(self.config_data.iter().flat_map(|c| c.aws_refs.iter()))
    }

    /// Appends another model (one file's worth, read on another thread), shifting its object indices. The
    /// destructuring is exhaustive so that a new field cannot be forgotten here.
    pub fn append(&mut self, other: Model) {
        let Model {
            mut objects,
            mut service_accounts,
            mut workloads,
            mut config_data,
            mut scalers,
            mut trigger_auths,
            mut roles,
            mut managed_policies,
            mut associations,
            mut loose_documents,
            mut aws_sections,
            mut cloud_objects,
            mut spec_refs,
            mut bucket_urls,
        } = other;
        let offset = self.objects.len();
        workloads.iter_mut().for_each(|w| w.object += offset);
        config_data.iter_mut().for_each(|c| c.object += offset);
        scalers.iter_mut().for_each(|s| s.object += offset);
        trigger_auths.iter_mut().for_each(|t| t.object += offset);
        aws_sections.iter_mut().for_each(|s| s.object += offset);
        cloud_objects.iter_mut().for_each(|c| c.object += offset);
        spec_refs.iter_mut().for_each(|r| r.object += offset);
        self.objects.append(&mut objects);
        self.service_accounts.append(&mut service_accounts);
        self.workloads.append(&mut workloads);
        self.config_data.append(&mut config_data);
        self.scalers.append(&mut scalers);
        self.trigger_auths.append(&mut trigger_auths);
        self.roles.append(&mut roles);
        self.managed_policies.append(&mut managed_policies);
        self.associations.append(&mut associations);
        self.loose_documents.append(&mut loose_documents);
        self.aws_sections.append(&mut aws_sections);
        self.cloud_objects.append(&mut cloud_objects);
        self.spec_refs.append(&mut spec_refs);
        self.bucket_urls.append(&mut bucket_urls);
    }

    /// Gives back the room the lists grew into while fragments were appended (up to half of each, and the model
    /// is the largest thing alive for the rest of the run). Exhaustive, like [`Self::append`].
    pub fn shrink_to_fit(&mut self) {
        let Model {
            objects,
            service_accounts,
            workloads,
            config_data,
            scalers,
            trigger_auths,
            roles,
            managed_policies,
            associations,
            loose_documents,
            aws_sections,
            cloud_objects,
            spec_refs,
            bucket_urls,
        } = self;
        objects.shrink_to_fit();
        service_accounts.shrink_to_fit();
        workloads.shrink_to_fit();
        config_data.shrink_to_fit();
        scalers.shrink_to_fit();
        trigger_auths.shrink_to_fit();
        roles.shrink_to_fit();
        managed_policies.shrink_to_fit();
        associations.shrink_to_fit();
        loose_documents.shrink_to_fit();
        aws_sections.shrink_to_fit();
        cloud_objects.shrink_to_fit();
        spec_refs.shrink_to_fit();
        bucket_urls.shrink_to_fit();
    }

    /// Gives back the room the per-object lists grew into while one file was read (a workload's containers and
    /// AWS references, a role's policies, a scaler's triggers: up to half of each, 4 MB on a 10,000-application
    /// run). Called by the reading worker on its own file's fragment, so it runs on every core.
    pub fn shrink_nested(&mut self) {
        for w in &mut self.workloads {
            w.containers.shrink_to_fit();
            w.aws_refs.shrink_to_fit();
            w.config_refs.shrink_to_fit();
        }
        for c in &mut self.config_data {
            c.aws_refs.shrink_to_fit();
        }
        for s in &mut self.scalers {
            s.triggers.shrink_to_fit();
        }
        for r in &mut self.roles {
            r.inline.shrink_to_fit();
            r.attached.shrink_to_fit();
            r.well_known.shrink_to_fit();
        }
    }

    /// Object indexes grouped by file, in file order.
    pub fn objects_by_file(&self) -> std::collections::BTreeMap<crate::diag::FileId, Vec<usize>> {
        let mut by_file: std::collections::BTreeMap<crate::diag::FileId, Vec<usize>> = Default::default();
        for (i, o) in self.objects.iter().enumerate() {
            by_file.entry(o.loc.file).or_default().push(i);
        }
        by_file
    }
}
