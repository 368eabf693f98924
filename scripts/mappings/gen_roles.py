#!/usr/bin/env python3
"""Generate mappings/azure-roles.yaml from shared/data/azure-builtin-roles.json.

Selection: every built-in role with at least one dataAction under one of the target providers (canon.PROVIDERS),
plus the control-plane roles in EXTRA_ROLES (named by the action tables through `actions:`), plus the two
Cosmos DB for NoSQL data-plane roles (not ARM roles; added by hand below). GUIDs are copied from the source
JSON and cross-checked against shared/data/azure-role-name-to-guid.json (microsoft/azure-roles).
Deterministic: re-running gives the same bytes."""
import json
import sys

from canon import MAPPINGS, PROVIDERS, SHARED, write

ROLES_JSON = SHARED / "data" / "azure-builtin-roles.json"
NAME_TO_GUID_JSON = SHARED / "data" / "azure-role-name-to-guid.json"

NEVER_CHOOSE = ["Owner", "Contributor", "User Access Administrator"]

# Roles without data actions that the action tables need (their `actions:` entries).
EXTRA_ROLES = [
    "AcrDelete",            # Microsoft.ContainerRegistry/registries/artifacts/delete
    "AcrPull",              # Microsoft.ContainerRegistry/registries/pull/read
    "AcrPush",              # Microsoft.ContainerRegistry/registries/push/write
    "Disk Restore Operator",  # Microsoft.Compute/disks read/write (Velero restores, storage-configs.yaml snapshots)
    "Disk Snapshot Contributor",  # Microsoft.Compute/snapshots/* (Velero snapshots, storage-configs.yaml snapshots)
    "DNS Zone Contributor",  # Microsoft.Network/dnsZones/* (route53 → Azure DNS)
    "Log Analytics Reader",  # Microsoft.Insights/Logs/Read via */read
    "Monitoring Reader",    # Microsoft.Insights/Metrics/Read via */read
    "Private DNS Zone Contributor",  # Microsoft.Network/privateDnsZones/* (route53 private zones)
    "Reader",               # */read: a Route 53 role that only lists/reads zones and record sets, on the zone only
]

# Cosmos DB for NoSQL built-in data-plane roles (Microsoft.DocumentDB/databaseAccounts/sqlRoleDefinitions).
# Source: https://learn.microsoft.com/azure/cosmos-db/nosql/security/reference-data-plane-roles
# (checked 2026-11-23 through the search tool; ids are fixed, the same in every account).
COSMOS_SQL_ROLES = [
    {
        "name": "Cosmos DB Built-in Data Contributor",
        "id": "00000000-0000-0000-0000-000000000002",
        "data_actions": [
            "Microsoft.DocumentDB/databaseAccounts/readMetadata",
            "Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers/*",
            "Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers/items/*",
        ],
    },
    {
        "name": "Cosmos DB Built-in Data Reader",
        "id": "00000000-0000-0000-0000-000000000001",
        "data_actions": [
            "Microsoft.DocumentDB/databaseAccounts/readMetadata",
            "Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers/executeQuery",
            "Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers/items/read",
            "Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers/readChangeFeed",
        ],
    },
]


def under_providers(action: str) -> bool:
    return any(action.lower().startswith(p.lower() + "/") for p in PROVIDERS)


def flatten(role: dict) -> dict:
    perms = role["permissions"]
    if len(perms) != 1:
        # Permission blocks are OR-ed; a union is exact only when no block has notActions/notDataActions.
        assert all(not p.get("notActions") and not p.get("notDataActions") for p in perms), role["roleName"]
    out = {}
    for key, src in (("actions", "actions"), ("not_actions", "notActions"),
                     ("data_actions", "dataActions"), ("not_data_actions", "notDataActions")):
        out[key] = sorted({a for p in perms for a in (p.get(src) or [])})
    conds = sorted({p["condition"] for p in perms if p.get("condition")})
    return out, conds


def main() -> None:
    roles = json.loads(ROLES_JSON.read_text(encoding="utf-8"))
    name_to_guid = json.loads(NAME_TO_GUID_JSON.read_text(encoding="utf-8"))
    by_name = {r["roleName"]: r for r in roles}
    assert len(by_name) == len(roles), "duplicate role names in source"

    def crosscheck(r: dict) -> None:
        key = r["roleName"].replace(" ", "")
        if key in name_to_guid and name_to_guid[key] != r["name"]:
            sys.exit(f"GUID mismatch for {r['roleName']}: {r['name']} vs {name_to_guid[key]}")

    selected = {}
    for r in roles:
        if r.get("roleType") != "BuiltInRole":
            continue
        das = [a for p in r["permissions"] for a in (p.get("dataActions") or [])]
        if any(under_providers(a) for a in das):
            selected[r["roleName"]] = r
    for n in EXTRA_ROLES:
        selected[n] = by_name[n]

    out_roles = []
    for name in sorted(selected):
        r = selected[name]
        crosscheck(r)
        perms, conds = flatten(r)
        entry = {"name": name, "id": r["name"], "kind": "arm"}
        entry.update(perms)
        entry["description"] = r.get("description") or ""
        if conds:
            entry["conditions"] = conds
        out_roles.append(entry)
    for c in COSMOS_SQL_ROLES:
        out_roles.append({
            "name": c["name"], "id": c["id"], "kind": "cosmos-sql",
            "actions": [], "not_actions": [], "data_actions": sorted(c["data_actions"]), "not_data_actions": [],
            "description": "Cosmos DB for NoSQL built-in data-plane role (sqlRoleDefinitions); assign with sqlRoleAssignments",
        })
    out_roles.sort(key=lambda e: e["name"])
    names = [e["name"] for e in out_roles]
    assert len(names) == len(set(names))

    never = []
    for n in NEVER_CHOOSE:
        crosscheck(by_name[n])
        never.append({"name": n, "id": by_name[n]["name"]})

    doc = {
        "source": "iann0036/iam-dataset azure/built-in-roles-raw.json @ 2073fa52ac008a45477aa0b1b4580cd99135bf60 (via shared/data)",
        "never_choose": never,
        "roles": out_roles,
    }
    header = [
        "@generated by scripts/mappings/gen_roles.py from shared/data/azure-builtin-roles.json — do not edit by hand",
        "roles: every built-in role with a dataAction under the target providers, plus AcrPull/AcrPush/AcrDelete,",
        "Monitoring Reader, Log Analytics Reader, DNS Zone Contributor, Private DNS Zone Contributor, Reader, Disk Snapshot",
        "Contributor and Disk Restore Operator (control-plane roles the action and storage-config tables need), plus the two Cosmos DB",
        "for NoSQL data-plane roles (kind: cosmos-sql; https://learn.microsoft.com/azure/cosmos-db/nosql/security/reference-data-plane-roles).",
        "Sorted by name; permission lists sorted (byte order); several permission blocks of one role are merged (union).",
        "`conditions` (only when the source has one) is the role's built-in ABAC condition, verbatim.",
    ]
    write(MAPPINGS / "azure-roles.yaml", doc, header)


if __name__ == "__main__":
    main()
