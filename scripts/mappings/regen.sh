#!/bin/sh
# Regenerate every table in mappings/ and verify it. Needs Python 3.11, PyYAML and policy_sentry (pip install policy_sentry pyyaml).
# Set EKS2AKS_SHARED if the shared reference data is not at ../shared next to the repository.
set -eu
export PYTHONDONTWRITEBYTECODE=1
cd "$(dirname "$0")"
python3 gen_operations.py
python3 gen_roles.py
python3 gen_services.py
python3 gen_actions.py
python3 gen_aws_managed_policies.py
python3 check.py
