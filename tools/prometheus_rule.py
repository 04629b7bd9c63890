"""Write the Prometheus Operator's copy of PetSage's rules: a ``PrometheusRule`` whose ``spec`` is
``deploy/prometheus/petsage-rules.yaml``, line for line (comments kept), in the kustomize component
``deploy/k8s/components/alerts/``.

``python tools/prometheus_rule.py`` rewrites it; ``--check`` only says whether it is up to date
(exit status 1 when not), as the deploy tests do.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "deploy" / "prometheus" / "petsage-rules.yaml"
PROMETHEUS_RULE = ROOT / "deploy" / "k8s" / "components" / "alerts" / "prometheusrule.yaml"

_HEADER = """\
# Generated from deploy/prometheus/petsage-rules.yaml by tools/prometheus_rule.py: edit that
# file and run `python tools/prometheus_rule.py`; the deploy tests fail while the two differ.
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: petsage
  labels:
    app.kubernetes.io/name: petsage
spec:
"""


def render(rules: str) -> str:
    """The PrometheusRule document for the rule file's text ``rules``: its leading comment is left
    out, everything from ``groups:`` on is indented under ``spec``."""
    body = rules[rules.index("\ngroups:") + 1 :]
    return _HEADER + "".join(
        f"  {line}" if line.strip() else line for line in body.splitlines(keepends=True)
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare only; write nothing")
    args = parser.parse_args(argv)
    wanted = render(RULES.read_text())
    if args.check:
        if PROMETHEUS_RULE.read_text() != wanted:
            print(
                f"{PROMETHEUS_RULE.relative_to(ROOT)} is out of date: run {__file__}",
                file=sys.stderr,
            )
            return 1
        return 0
    PROMETHEUS_RULE.write_text(wanted)
    return 0


if __name__ == "__main__":
    sys.exit(main())
