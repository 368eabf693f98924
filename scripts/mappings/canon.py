"""Shared helpers for the mapping generators: paths and a canonical YAML writer.

Canonical form: block style, 2-space indent, keys in the order the caller gives,
list items indented under their key ("key:\n  - item"), empty lists as "[]",
strings quoted (double quotes, JSON escapes) only when a plain scalar would not
read back as the same string under YAML 1.1 (PyYAML) or would be ambiguous in
YAML 1.2; final newline. Python stdlib + PyYAML only.
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("EKS2AKS_SHARED", REPO.parent / "shared")).resolve()
MAPPINGS = REPO / "mappings"
PROVIDER_OPS_DIR = SHARED / "data" / "azure-provider-operations"
# Provider operations shared/data does not hold, kept here with their sources (same shape as a shared file):
# the Azure DNS zone and record-set operations of Microsoft.Network (Route 53 → Azure DNS).
EXTRA_OPS = {"Microsoft.Network": Path(__file__).resolve().parent / "azure-dns-operations.json"}

# Providers the service targets map to (azure-operations.yaml, azure-roles.yaml).
PROVIDERS = [
    "Microsoft.AppConfiguration",
    "Microsoft.Cache",
    "Microsoft.ContainerRegistry",
    "Microsoft.DBforPostgreSQL",
    "Microsoft.DocumentDB",
    "Microsoft.EventGrid",
    "Microsoft.EventHub",
    "Microsoft.Insights",
    "Microsoft.KeyVault",
    "Microsoft.Network",
    "Microsoft.OperationalInsights",
    "Microsoft.ServiceBus",
    "Microsoft.Storage",
]

# Cosmos DB for NoSQL data-plane actions. They are not ARM provider operations, so
# `az provider operation show` (shared/data/azure-provider-operations) does not list them.
# Source: https://learn.microsoft.com/azure/cosmos-db/nosql/security/reference-data-plane-actions
COSMOS_SQL_DATA_ACTIONS = [
    "Microsoft.DocumentDB/databaseAccounts/readMetadata",
    "Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers/executeQuery",
    "Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers/executeStoredProcedure",
    "Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers/items/create",
    "Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers/items/delete",
    "Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers/items/read",
    "Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers/items/replace",
    "Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers/items/upsert",
    "Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers/manageConflicts",
    "Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers/readChangeFeed",
]


class Flow(list):
    """A list written in flow style on one line: [a, b]."""


def scalar(s, flow: bool = False) -> str:
    if isinstance(s, bool):
        return "true" if s else "false"
    if isinstance(s, int):
        return str(s)
    if not isinstance(s, str):
        raise TypeError(f"unsupported scalar {s!r}")
    if _plain_safe(s) and not (flow and any(c in s for c in "[]{},")):
        return s
    return json.dumps(s, ensure_ascii=False)


def _plain_safe(s: str) -> bool:
    if not s or s != s.strip() or "\n" in s:
        return False
    if s[0] in "-?:,[]{}#&*!|>'\"%@`" or s[0] == " ":
        return False
    if ": " in s or " #" in s or s.endswith(":"):
        return False
    try:
        for doc in (f"k: {s}\n", f"- {s}\n"):
            v = yaml.safe_load(doc)
            got = v["k"] if isinstance(v, dict) else v[0]
            if got != s:
                return False
    except yaml.YAMLError:
        return False
    # YAML 1.2 core schema oddities PyYAML (1.1) does not flag
    if re.fullmatch(r"[-+]?(\.inf|\.Inf|\.INF|\.nan|\.NaN|\.NAN|0o[0-7]+|0x[0-9a-fA-F]+|[0-9][0-9_]*(\.[0-9_]*)?([eE][-+]?[0-9]+)?)", s):
        return False
    if s.lower() in ("null", "~", "true", "false", "yes", "no", "on", "off", "y", "n"):
        return False
    return True


def _emit(obj, indent: int, out: list[str]) -> None:
    pad = " " * indent
    if isinstance(obj, dict):
        for k, v in obj.items():
            key = scalar(k)
            if isinstance(v, Flow):
                out.append(f"{pad}{key}: [{', '.join(scalar(x, flow=True) for x in v)}]")
            elif isinstance(v, dict):
                if not v:
                    out.append(f"{pad}{key}: {{}}")
                else:
                    out.append(f"{pad}{key}:")
                    _emit(v, indent + 2, out)
            elif isinstance(v, list):
                if not v:
                    out.append(f"{pad}{key}: []")
                else:
                    out.append(f"{pad}{key}:")
                    _emit(v, indent + 2, out)
            else:
                out.append(f"{pad}{key}: {scalar(v)}")
    elif isinstance(obj, list):
        for item in obj:
            if isinstance(item, dict):
                sub: list[str] = []
                _emit(item, indent + 2, sub)
                sub[0] = f"{pad}- " + sub[0][indent + 2:]
                out.extend(sub)
            elif isinstance(item, list):
                raise TypeError("nested lists are not used")
            else:
                out.append(f"{pad}- {scalar(item)}")
    else:
        raise TypeError(obj)


def dump(doc: dict, header: list[str]) -> str:
    out = [f"# {h}" if h else "#" for h in header]
    _emit(doc, 0, out)
    return "\n".join(out) + "\n"


def write(path: Path, doc: dict, header: list[str]) -> None:
    text = dump(doc, header)
    # Self-check: the text must load back to exactly the document.
    assert yaml.safe_load(text) == _plain(doc), f"round-trip mismatch in {path}"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _plain(obj):
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_plain(x) for x in obj]
    return obj


def provider_operations(provider: str) -> list[dict]:
    """Every operation of a provider file (top level and all resource types), in file order."""
    ops: list[dict] = []
    for p in (PROVIDER_OPS_DIR / f"{provider}.json", EXTRA_OPS.get(provider)):
        if p is None or not p.exists():
            continue
        d = json.loads(p.read_text(encoding="utf-8"))
        ops.extend(d.get("operations") or [])
        for rt in d.get("resourceTypes") or []:
            ops.extend(rt.get("operations") or [])
    return ops


def all_operations() -> dict[str, bool]:
    """name -> isDataAction over every provider file in shared/data (not only PROVIDERS) and EXTRA_OPS."""
    res: dict[str, bool] = {}
    providers = {p.stem for p in PROVIDER_OPS_DIR.glob("*.json")} | set(EXTRA_OPS)
    for prov in sorted(providers):
        for op in provider_operations(prov):
            res[op["name"]] = res.get(op["name"], False) or bool(op["isDataAction"])
    return res
