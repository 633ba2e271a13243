import json
from pathlib import Path

import pytest

from sdohedi.schemas import SCHEMAS, render

ROOT = Path(__file__).resolve().parents[2] / "schemas"


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_committed_schema_matches_model(name):
    committed = (ROOT / name).read_text(encoding="utf-8")
    assert committed == render(name), f"schemas/{name} is stale: run python -m sdohedi.schemas"


def test_row_schema_names_every_column():
    schema = json.loads((ROOT / "service_row.schema.json").read_text())
    assert set(schema["required"]) >= {"service_id", "member_id", "payer", "cbo", "service_date", "procedure_code",
                                       "diagnosis_codes", "place_of_service"}
    assert {"modifiers", "units", "minutes", "charge", "prior_auth"} <= set(schema["properties"])
