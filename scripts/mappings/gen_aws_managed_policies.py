#!/usr/bin/env python3
"""Generate mappings/aws-managed-policies.yaml: the AWS-managed IAM policies eks2aks resolves when a role attaches
one (`arn:aws:iam::aws:policy/...`) that the input does not export, and what eksctl's `wellKnownPolicies` keys
expand to.

Source: shared/data/aws-managed-policies.tar.gz (`aws iam get-policy-version` output, one file per policy), a copy
of repo z0ph/MAMIP folder policies/ at commit de4971a44b36762f50d87c2baf65ebbec0e93b39 (2025-02-22); see
shared/data/SOURCES.md. Each document is copied unchanged (compact JSON, AWS's key order) with its VersionId and
CreateDate. Run from anywhere: python3 scripts/mappings/gen_aws_managed_policies.py (regen.sh runs it).
"""
from __future__ import annotations

import json
import tarfile

from canon import MAPPINGS, SHARED, write

ARCHIVE = SHARED / "data" / "aws-managed-policies.tar.gz"
SOURCE = "z0ph/MAMIP@de4971a44b36762f50d87c2baf65ebbec0e93b39"
TAKEN = "2025-02-22"

# (path, name). Chosen by how often EKS documentation and the common add-ons attach them. Paths: `/` unless AWS
# documents another; the two CSI driver policies are `service-role/` (eksctl pkg/cfn/builder/iam.go
# `iamPolicyAmazonEBSCSIDriverPolicy = "service-role/AmazonEBSCSIDriverPolicy"`; the EFS CSI driver's install guide
# attaches arn:aws:iam::aws:policy/service-role/AmazonEFSCSIDriverPolicy).
POLICIES = [
    # EKS clusters, nodes, Fargate, Auto Mode (eksctl pkg/cfn/builder/iam.go, auto_mode.go)
    ("/", "AmazonEKSClusterPolicy"),
    ("/", "AmazonEKSWorkerNodePolicy"),
    ("/", "AmazonEKSWorkerNodeMinimalPolicy"),
    ("/", "AmazonEKS_CNI_Policy"),
    ("/", "AmazonEKSVPCResourceController"),
    ("/", "AmazonEKSServicePolicy"),
    ("/", "AmazonEKSFargatePodExecutionRolePolicy"),
    ("/", "AmazonEKSLocalOutpostClusterPolicy"),
    ("/", "AmazonEKSComputePolicy"),
    ("/", "AmazonEKSBlockStoragePolicy"),
    ("/", "AmazonEKSLoadBalancingPolicy"),
    ("/", "AmazonEKSNetworkingPolicy"),
    # ECR (eksctl: imageBuilder = PowerUser; nodes: ReadOnly / PullOnly)
    ("/", "AmazonEC2ContainerRegistryReadOnly"),
    ("/", "AmazonEC2ContainerRegistryPullOnly"),
    ("/", "AmazonEC2ContainerRegistryPowerUser"),
    ("/", "AmazonEC2ContainerRegistryFullAccess"),
    # Add-ons
    ("/service-role/", "AmazonEBSCSIDriverPolicy"),
    ("/service-role/", "AmazonEFSCSIDriverPolicy"),
    ("/", "CloudWatchAgentServerPolicy"),
    ("/", "CloudWatchAgentAdminPolicy"),
    ("/", "AmazonSSMManagedInstanceCore"),
    ("/", "AWSXRayDaemonWriteAccess"),
    ("/", "AWSXrayWriteOnlyAccess"),
    ("/", "AWSXrayReadOnlyAccess"),
    ("/", "AmazonPrometheusRemoteWriteAccess"),
    ("/", "AmazonPrometheusQueryAccess"),
    ("/", "AWSAppMeshEnvoyAccess"),
    ("/", "AWSCloudMapDiscoverInstanceAccess"),
    ("/", "AWSCloudMapRegisterInstanceAccess"),
    # Frequently attached service policies
    ("/", "AmazonS3ReadOnlyAccess"),
    ("/", "AmazonS3FullAccess"),
    ("/", "AmazonDynamoDBReadOnlyAccess"),
    ("/", "AmazonDynamoDBFullAccess"),
    ("/", "AmazonSQSReadOnlyAccess"),
    ("/", "AmazonSQSFullAccess"),
    ("/", "AmazonSNSReadOnlyAccess"),
    ("/", "AmazonSNSFullAccess"),
    ("/", "SecretsManagerReadWrite"),
    ("/", "AWSKeyManagementServicePowerUser"),
    ("/", "CloudWatchReadOnlyAccess"),
    ("/", "CloudWatchFullAccess"),
    ("/", "CloudWatchFullAccessV2"),
    ("/", "CloudWatchLogsReadOnlyAccess"),
    ("/", "CloudWatchLogsFullAccess"),
    ("/", "AmazonKinesisReadOnlyAccess"),
    ("/", "AmazonKinesisFullAccess"),
    ("/", "AmazonKinesisFirehoseFullAccess"),
    ("/", "AmazonRoute53ReadOnlyAccess"),
    ("/", "AmazonRoute53FullAccess"),
    ("/", "AmazonEC2ReadOnlyAccess"),
    ("/", "AmazonEC2FullAccess"),
    ("/", "AmazonVPCReadOnlyAccess"),
    ("/", "ElasticLoadBalancingReadOnly"),
    ("/", "ElasticLoadBalancingFullAccess"),
    ("/", "AmazonRDSReadOnlyAccess"),
    ("/", "AmazonRDSDataFullAccess"),
    ("/", "AmazonElastiCacheReadOnlyAccess"),
    ("/", "AmazonSSMReadOnlyAccess"),
    ("/", "AmazonEventBridgeReadOnlyAccess"),
    ("/", "AmazonEventBridgeFullAccess"),
    ("/", "AWSStepFunctionsReadOnlyAccess"),
    ("/", "AWSLambda_ReadOnlyAccess"),
    ("/", "AWSCertificateManagerReadOnly"),
    ("/", "AmazonAthenaFullAccess"),
    ("/", "AmazonMSKReadOnlyAccess"),
    ("/", "AmazonOpenSearchServiceReadOnlyAccess"),
    ("/", "AmazonBedrockReadOnly"),
    ("/", "AWSCloudFormationReadOnlyAccess"),
    ("/", "AmazonKeyspacesReadOnlyAccess"),
    ("/", "AmazonTimestreamReadOnlyAccess"),
    ("/", "AmazonMQReadOnlyAccess"),
    ("/", "AdministratorAccess"),
    ("/", "PowerUserAccess"),
]

# eksctl `wellKnownPolicies` keys (eksctl-io/eksctl pkg/cfn/builder/iam_helper.go createWellKnownPolicies at
# 99984adb6164ece593c0728523b7f497ea61d60e): the AWS-managed policies a key attaches, and the inline documents eksctl
# writes for it (pkg/cfn/builder/statement.go at the same commit: changeSetStatements,
# externalDNSHostedZonesStatements, certManagerGetChangeStatements, certManagerHostedZonesStatements; `resourceAll`
# is "*", addARNPartitionPrefix gives "arn:aws:"). autoScaler, awsLoadBalancerController and efsCSIController also
# expand to inline documents, but their roles are AWS add-ons that AKS replaces (mappings/addons.yaml, E2A070): no
# identity is made for them, so their documents are not bundled (E2A011 reports the key if a non-add-on role uses it).
def _allow(actions, resource):
    return {"Effect": "Allow", "Resource": resource, "Action": actions}


_CHANGE_SET = ("ChangeSet", [_allow(["route53:ChangeResourceRecordSets"], "arn:aws:route53:::hostedzone/*")])
WELL_KNOWN = [
    ("certManager", [], [
        ("PolicyCertManagerChangeSet", _CHANGE_SET[1]),
        ("PolicyCertManagerGetChange", [_allow(["route53:GetChange"], "arn:aws:route53:::change/*")]),
        ("PolicyCertManagerHostedZones",
         [_allow(["route53:ListResourceRecordSets", "route53:ListHostedZonesByName"], "*")]),
    ]),
    ("ebsCSIController", ["arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"], []),
    ("externalDNS", [], [
        ("PolicyExternalDNSChangeSet", _CHANGE_SET[1]),
        ("PolicyExternalDNSHostedZones",
         [_allow(["route53:ListHostedZones", "route53:ListResourceRecordSets", "route53:ListTagsForResource"], "*")]),
    ]),
    ("imageBuilder", ["arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPowerUser"], []),
]
WELL_KNOWN_SOURCE = "eksctl-io/eksctl@99984adb6164ece593c0728523b7f497ea61d60e pkg/cfn/builder/iam_helper.go"


HEADER = [
    "Generated by scripts/mappings/gen_aws_managed_policies.py from shared/data/aws-managed-policies.tar.gz",
    f"({SOURCE}, taken {TAKEN}); do not edit. Schema: mappings/README.md \"aws-managed-policies.yaml\".",
]


def build() -> dict:
    """The table, read from the archive."""
    with tarfile.open(ARCHIVE) as tar:
        docs = {}
        for path, name in POLICIES:
            f = tar.extractfile(f"aws-managed-policies/{name}.json")
            v = json.load(f)["PolicyVersion"]
            assert v["IsDefaultVersion"], name
            docs[name] = (path, v)
    policies = []
    for name in sorted(docs, key=str.lower):
        path, v = docs[name]
        policies.append({
            "name": name,
            "arn": f"arn:aws:iam::aws:policy{path}{name}",
            "version": v["VersionId"],
            "created": v["CreateDate"],
            "taken": TAKEN,
            "source": f"{SOURCE} policies/{name}.json",
            "document": json.dumps(v["Document"], separators=(",", ":"), ensure_ascii=False),
        })
    arns = {p["arn"] for p in policies}
    well_known = []
    for key, pols, documents in WELL_KNOWN:
        assert all(a in arns for a in pols), key
        entry = {"key": key}
        if pols:
            entry["policies"] = pols
        if documents:
            entry["documents"] = [
                {"name": name, "document": json.dumps({"Version": "2012-10-17", "Statement": st},
                                                      separators=(",", ":"))}
                for name, st in documents
            ]
        entry["source"] = WELL_KNOWN_SOURCE + (" and statement.go" if documents else "")
        well_known.append(entry)
    return {"policies": policies, "well_known": well_known}


def main() -> None:
    write(MAPPINGS / "aws-managed-policies.yaml", build(), HEADER)


if __name__ == "__main__":
    main()
