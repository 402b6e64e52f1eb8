"""Property-based fuzzing of every API operation from its OpenAPI schema (schemathesis
makes the requests: valid ones, and ones that break the schema): none is answered 5xx.

Cases go through Django's test client as a signed-in user, half of them with the ids
of that user's own scenario, run, batch and share link so that the views get past their
lookups. 100 cases per operation by default; with --slow, 1,000 for an operation that
takes a body and 300 for one that takes only path and query parameters (a few ids and
numbers, whose shapes 300 cases cover: 1,000 of them took a third of the fuzzing's time).
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
import schemathesis
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis.core import NotSet
from schemathesis.generation import GenerationMode

from mscomm.accounts.models import Workspace
from mscomm.api.api import api
from mscomm.runs.models import Batch, Run, RunState
from mscomm.sharing.services import share_create
from tests.patterns.test_load_fuzz import json_values, mutated_labs

SCHEMA = schemathesis.openapi.from_dict(api.get_openapi_schema())
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]


def _id(operation) -> str:
    return f"{operation.method.upper()} {operation.path}"


@pytest.fixture
def own_ids(user, scenario) -> dict[str, str]:
    workspace = Workspace.objects.get(user=user)
    run = Run.objects.create(
        workspace=workspace,
        scenario=scenario,
        scenario_name=scenario.name,
        doc=scenario.doc,
        seed=1,
        state=RunState.SUCCEEDED,
        result={"format": "mscomm.result/1", "requests": {}},
    )
    batch = Batch.objects.create(workspace=workspace, scenario=scenario, param="seed")
    share, token = share_create(workspace=workspace, run_id=run.id)
    return {
        "scenario_id": str(scenario.id),
        "run_id": str(run.id),
        "run_a": str(run.id),
        "run_b": str(run.id),
        "batch_id": str(batch.id),
        "share_id": str(share.id),
        "token": token,
    }


def cases(operation, mode: GenerationMode, own: dict[str, str]):
    """Cases with generated path parameters, or with the user's own ids where it has any."""
    strategy = operation.as_strategy(generation_mode=mode)
    names = {p.name for p in operation.path_parameters}
    known = {name: own[name] for name in names if name in own}
    if known:
        strategy = st.one_of(
            strategy, operation.as_strategy(generation_mode=mode, path_parameters=known)
        )
    return strategy


def send(client: Client, case) -> int:
    body = None if isinstance(case.body, NotSet) else case.body
    if not isinstance(body, (bytes, str)) and body is not None:
        body = json.dumps(body)
    kwargs = {"QUERY_STRING": urlencode(case.query, doseq=True)} if case.query else {}
    headers = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in (case.headers or {}).items()}
    headers.pop("HTTP_CONTENT_TYPE", None)
    response = client.generic(
        case.method.upper(),
        case.formatted_path,
        data=body if body is not None else b"",
        content_type=case.media_type or "application/json",
        **kwargs,
        **headers,
    )
    return response.status_code


@pytest.mark.django_db
@pytest.mark.parametrize("operation", OPERATIONS, ids=_id)
def test_no_generated_request_is_a_server_error(
    operation, user_client, own_ids, slow, record_figure
):
    per_operation = (1000 if operation.body else 300) if slow else 100
    sent: list[int] = []
    errors: list[str] = []
    # Half the cases break the schema; valid ones make up the rest (all of them where
    # nothing can break it), so that every operation gets its full count.
    for mode in (GenerationMode.NEGATIVE, GenerationMode.POSITIVE):
        budget = (
            per_operation // 2 if mode == GenerationMode.NEGATIVE else per_operation - len(sent)
        )

        @settings(
            max_examples=budget,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(cases(operation, mode, own_ids))
        def fuzz(case) -> None:
            status = send(user_client, case)
            sent.append(status)
            if status >= 500:
                errors.append(f"{status}: {case.method} {case.formatted_path} {case.body!r:.300}")
            assert status < 500

        try:
            fuzz()
        except Unsatisfiable:
            # Nothing in this operation can break the schema (e.g. only a pattern-bound
            # path parameter): the valid cases cover it.
            continue
    record_figure(f"fuzz {_id(operation)}: cases / 5xx", f"{len(sent)} / {len(errors)}")
    assert not errors, errors[:3]
    # An operation without parameters or body has a single possible request.
    assert len(sent) == 1 or len(sent) >= per_operation, len(sent)


def test_the_schema_has_every_operation_to_fuzz():
    names = [_id(operation) for operation in OPERATIONS]
    assert len(names) == len(set(names)) >= 30


@pytest.mark.django_db
def test_no_imported_document_is_a_server_error(user_client, slow, record_figure):
    """The import operation reads any JSON body, whatever its declared schema: random
    JSON values and built-in labs with one field replaced, as many as any operation gets."""
    per_operation = 1000 if slow else 100
    statuses: list[int] = []
    for strategy in (json_values, mutated_labs()):

        @settings(
            max_examples=per_operation // 2,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(strategy)
        def fuzz(doc) -> None:
            response = user_client.post(
                "/api/scenarios/import", json.dumps(doc), content_type="application/json"
            )
            statuses.append(response.status_code)
            assert response.status_code < 500, (response.status_code, doc)

        fuzz()
    refused = sum(400 <= status < 500 for status in statuses)
    record_figure(
        "fuzz POST /api/scenarios/import (JSON, mutated labs): cases / refused / 5xx",
        f"{len(statuses)} / {refused} / 0",
    )
    assert len(statuses) >= per_operation and refused
