#!/usr/bin/env python3
"""Validates a `translate --out DIR` with third-party tools, as the translate issue asks.

- every `*.bicep` parses with pycep-parser (the Bicep parser checkov uses);
- every Kubernetes document under k8s/ validates with kubernetes-validate (strict) for built-in kinds, and KEDA
  ScaledObject/TriggerAuthentication documents validate against KEDA's CRD schemas (../shared/data/keda-crds, with
  additionalProperties: false added where the schema lists properties, so unknown fields are caught); other CRDs
  are skipped by kind and listed;
- every string that eks2aks wrote reads back as a string with a YAML 1.1 reader (PyYAML), which is how
  Kubernetes reads manifests;
- every JSON file parses.

Exit 0 when everything validates, 1 otherwise (each problem printed), 3 when a validator is not installed.
"""
import copy
import json
import pathlib
import sys

try:
    import jsonschema
    import kubernetes_validate
    import yaml
    from pycep import BicepParser
except ImportError as e:  # noqa: BLE001
    print(f"validator missing: {e}", file=sys.stderr)
    sys.exit(3)

KEDA = {
    "ScaledObject": "scaledobject.keda.sh-v1alpha1.schema.json",
    "TriggerAuthentication": "triggerauthentication.keda.sh-v1alpha1.schema.json",
}


def strict(schema):
    schema = copy.deepcopy(schema)

    def walk(s):
        if isinstance(s, dict):
            if "properties" in s and not s.get("x-kubernetes-preserve-unknown-fields"):
                s.setdefault("additionalProperties", False)
            for v in s.values():
                walk(v)
        elif isinstance(s, list):
            for v in s:
                walk(v)

    walk(schema)
    # apiVersion/kind/metadata are validated by the API server, not the CRD schema.
    for k in ("apiVersion", "kind", "metadata"):
        schema.setdefault("properties", {}).setdefault(k, {})
    return schema


def main(out: pathlib.Path, shared: pathlib.Path) -> int:
    problems, skipped, checked = [], set(), 0
    import re
    two_props = re.compile(r"^\s+[A-Za-z_][A-Za-z0-9_]*: \S.*\s{2,}[A-Za-z_][A-Za-z0-9_]*: ")
    for f in sorted(out.rglob("*.bicep")):
        try:
            BicepParser().parse(file_path=f)
            checked += 1
        except Exception as e:  # noqa: BLE001
            problems.append(f"{f}: pycep-parser: {e}")
        # pycep-parser accepts two properties on one line; Bicep does not (one property per line).
        for n, line in enumerate(f.read_text().splitlines(), 1):
            if two_props.match(line) and not line.lstrip().startswith("//"):
                problems.append(f"{f}:{n}: two properties on one line: {line.strip()}")
    for f in sorted(out.rglob("*.json")):
        try:
            json.loads(f.read_text())
            checked += 1
        except ValueError as e:
            problems.append(f"{f}: {e}")
    schemas = {}
    for kind, name in KEDA.items():
        p = shared / "data" / "keda-crds" / name
        if p.is_file():
            schemas[kind] = strict(json.loads(p.read_text()))
    version = kubernetes_validate.latest_version()
    for f in sorted((out / "k8s").rglob("*")):
        if not f.is_file() or f.suffix not in (".yaml", ".yml", ".json"):
            continue
        try:
            docs = [d for d in yaml.safe_load_all(f.read_text()) if d is not None]
        except yaml.YAMLError as e:
            problems.append(f"{f}: YAML 1.1 reader: {e}")
            continue
        for d in docs:
            items = d.get("items", []) if d.get("kind", "").endswith("List") else [d]
            for obj in items:
                kind, api = obj.get("kind", ""), obj.get("apiVersion", "")
                if api.startswith("keda.sh/") and kind in schemas:
                    errors = sorted(jsonschema.Draft7Validator(schemas[kind]).iter_errors(obj), key=str)
                    problems += [f"{f}: {kind} {obj['metadata'].get('name')}: {e.message} at {list(e.path)}" for e in errors]
                    checked += 1
                    continue
                try:
                    kubernetes_validate.validate(obj, version, strict=True)
                    checked += 1
                except kubernetes_validate.SchemaNotFoundError:
                    skipped.add(f"{api}/{kind}")
                except kubernetes_validate.ValidationError as e:
                    problems.append(f"{f}: {kind} {obj.get('metadata', {}).get('name')}: {e.message} at {list(e.path)}")
    for p in problems:
        print(p)
    print(f"validated {checked} documents; skipped kinds without a schema: {', '.join(sorted(skipped)) or 'none'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])))
