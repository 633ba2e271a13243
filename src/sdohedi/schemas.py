"""JSON Schemas generated from the pydantic models, committed under ``schemas/``.

    python -m sdohedi.schemas   # rewrite them after changing a model (a test checks they match)
"""

from __future__ import annotations

import json
from pathlib import Path

from .models import config, service_row

SCHEMAS = {
    "service_row.schema.json": service_row.json_schema,
    "config.schema.json": config.json_schema,
}


def render(name: str) -> str:
    schema = SCHEMAS[name]()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def main() -> None:
    root = Path(__file__).resolve().parents[2] / "schemas"
    for name in SCHEMAS:
        (root / name).write_text(render(name), encoding="utf-8")
        print(f"wrote schemas/{name}")


if __name__ == "__main__":
    main()
