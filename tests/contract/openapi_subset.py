"""The part of PagerDuty's OpenAPI document the fake serves, kept in the repository.

PagerDuty's full document (PagerDuty/api-schema `reference/REST/openapiv3.json`, 2.7 MB) describes
hundreds of operations; the fake serves a handful. This module keeps exactly those operations and
every component they refer to, transitively, in `pagerduty-openapi-subset.json` beside it, so the
contract tests run the same on any machine. To refresh it from a newer document:

    .venv/bin/python -m tests.contract.openapi_subset /path/to/openapiv3.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

SUBSET = Path(__file__).with_name("pagerduty-openapi-subset.json")
# The REST operations the fake serves (roundrobin/sim/pagerduty/rest.py); the identity endpoints are not in the document.
PATHS = (
    "/users",
    "/users/me",
    "/users/{id}",
    "/abilities",
    "/schedules",
    "/schedules/{id}",
    "/v3/schedules",
    "/v3/schedules/{id}",
    "/oncalls",
)
# The writes the fake serves: a cover on a bound rotation becomes a schedule override.
WRITES = (("/schedules/{id}/overrides", "post"),)


def subset(document: dict) -> dict:
    """`document` with only the GET operations of PATHS, the WRITES, and the components they reach."""
    paths = {
        path: {"get": document["paths"][path]["get"], **_path_level(document["paths"][path])}
        for path in PATHS
    }
    for path, method in WRITES:
        paths.setdefault(path, _path_level(document["paths"][path]))[method] = document["paths"][path][method]
    kept: dict[str, dict[str, Any]] = {}
    pending = list(_refs(paths)) + list(_refs(document.get("security", [])))
    for scheme in document.get("components", {}).get("securitySchemes", {}):
        pending.append(f"#/components/securitySchemes/{scheme}")
    while pending:
        pointer = pending.pop()
        # A pointer may reach inside a component (…/responses/Conflict/content/…): keep the whole component.
        section, name = pointer.removeprefix("#/components/").split("/")[:2]
        name = name.replace("~1", "/").replace("~0", "~")
        if name in kept.setdefault(section, {}):
            continue
        node = document["components"][section][name]
        kept[section][name] = node
        pending.extend(_refs(node))
    trimmed = {key: value for key, value in document.items() if key not in ("paths", "components")}
    trimmed["paths"] = paths
    # The document's own order, section by section: validators report errors in it.
    trimmed["components"] = {
        section: {
            name: node for name, node in document["components"][section].items() if name in kept[section]
        }
        for section in document["components"]
        if section in kept
    }
    return trimmed


def _path_level(item: dict) -> dict:
    return {key: value for key, value in item.items() if key == "parameters"}


def _refs(node: Any):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith("#/components/"):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    document = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    SUBSET.write_text(json.dumps(subset(document), indent=1) + "\n", encoding="utf-8")
    print(f"wrote {SUBSET} ({SUBSET.stat().st_size // 1024} KiB, {len(PATHS)} paths)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
