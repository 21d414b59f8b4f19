"""Issue 18, case 4: validation reports every problem at once, each with its absolute JSON
pointer and where it stands: the line in YAML, line and column in JSON (a minified document is
one line, so a line alone would say 1 for everything).

The old messages were one per run, e.g. `swagger.yml:1: invalid OpenAPI document at /info:
'version' is a required property` for a minified document with four problems, and
`swagger.yml: invalid OpenAPI document: Path parameter 'groupId' for 'get' operation in '...'
was not resolved`, with no location at all.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml
from ruamel.yaml import YAML

from pipeline import spec as spec_module
from pipeline.errors import PipelineError
from tests.support.repo_copy import copy_repo

CONTACT = "/public/contacts/{contactId}"
CONTACT_POINTER = "/paths/~1public~1contacts~1{contactId}/get"

# Four problems in four places: a missing field, a value outside an enum, an undefined security
# scheme and a $ref that points nowhere.
BROKEN = textwrap.dedent(
    """\
    openapi: 3.0.0
    info:
      title: Public API Docs
    servers: []
    paths:
      /public/contacts/{contactId}:
        get:
          operationId: ContactsController_findOne
          parameters:
            - name: contactId
              in: path
              required: true
              schema: {type: string}
            - name: fields
              in: body
              schema: {type: string}
          security:
            - apiKey: []
          responses:
            '200':
              description: ''
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/Contact'
    components:
      schemas:
        Contact:
          type: object
          properties:
            tags:
              $ref: '#/components/schemas/Tags'
    """
)
# (pointer as parts, JSON pointer, message)
BROKEN_PROBLEMS = [
    (("info",), "/info", "'version' is a required property"),
    (
        ("paths", CONTACT, "get", "parameters", "1", "in"),
        f"{CONTACT_POINTER}/parameters/1/in",
        "'body' is not one of ['path', 'query', 'header', 'cookie']",
    ),
    (
        ("paths", CONTACT, "get", "security", "0", "apiKey"),
        f"{CONTACT_POINTER}/security/0/apiKey",
        "security scheme 'apiKey' is not defined in components",
    ),
    (
        ("components", "schemas", "Contact", "properties", "tags", "$ref"),
        "/components/schemas/Contact/properties/tags/$ref",
        "$ref '#/components/schemas/Tags' points nowhere (no 'Tags')",
    ),
]

# Well-formed, but wrong in what only the validator's semantic checks see (they used to say
# nothing of where): a path parameter never declared, and defaults that do not fit their schema.
SEMANTIC = textwrap.dedent(
    """\
    openapi: 3.0.0
    info: {title: Public API Docs, version: '1.0'}
    paths:
      /public/user-groups/{groupId}/member-list:
        get:
          operationId: UserGroupsController_members
          parameters:
            - name: limit
              in: query
              schema: {type: integer, default: ten}
          responses:
            '200': {description: ''}
    components:
      schemas:
        Contact:
          type: object
          properties:
            score: {type: number, default: high}
    """
)
GROUP_POINTER = "/paths/~1public~1user-groups~1{groupId}~1member-list/get"


def _line(text: str, pointer: tuple[str, ...]) -> int:
    node: Any = YAML(typ="rt").load(text)
    for part in pointer[:-1]:
        node = node[int(part)] if isinstance(node, list) else node[part]
    last = pointer[-1]
    lines: Any = node.lc  # ruamel's record of where each key or item stands
    position = lines.item(int(last)) if isinstance(node, list) else lines.key(last)
    return int(position[0]) + 1


def _problem_lines(error: PipelineError) -> list[str]:
    return [line.strip() for line in str(error).splitlines()[1:]]


def test_every_problem_is_reported_at_once_with_its_pointer_and_line(tmp_path: Path) -> None:
    path = tmp_path / "swagger.yml"
    path.write_text(BROKEN, encoding="utf-8")

    with pytest.raises(PipelineError) as caught:
        spec_module.load(path)

    assert str(caught.value).splitlines()[0] == "swagger.yml: 4 problems:"
    assert _problem_lines(caught.value) == [
        f"swagger.yml:{_line(BROKEN, parts)}: {pointer}: {message}" for parts, pointer, message in BROKEN_PROBLEMS
    ]


def test_minified_json_reports_line_and_column_of_each_problem(tmp_path: Path) -> None:
    text = json.dumps(yaml.safe_load(BROKEN), separators=(",", ":"))
    path = tmp_path / "openapi.json"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(PipelineError) as caught:
        spec_module.load(path)

    reported = _problem_lines(caught.value)
    assert len(reported) == len(BROKEN_PROBLEMS)
    for line, (parts, pointer, message) in zip(reported, BROKEN_PROBLEMS, strict=True):
        where, rest = line.split(": ", 1)
        name, line_number, column = where.split(":")
        assert (name, line_number, rest) == ("openapi.json", "1", f"{pointer}: {message}")
        assert text[int(column) - 1 :].startswith(json.dumps(parts[-1])), f"column {column} is not at {parts[-1]!r}"


def test_semantic_problems_are_located_too(tmp_path: Path) -> None:
    path = tmp_path / "swagger.yml"
    path.write_text(SEMANTIC, encoding="utf-8")

    with pytest.raises(PipelineError) as caught:
        spec_module.load(path)

    member_list = ("paths", "/public/user-groups/{groupId}/member-list", "get")
    assert _problem_lines(caught.value) == [
        f"swagger.yml:{_line(SEMANTIC, member_list)}: {GROUP_POINTER}: Path parameter 'groupId' for 'get' operation "
        "in '/public/user-groups/{groupId}/member-list' was not resolved",
        f"swagger.yml:{_line(SEMANTIC, (*member_list, 'parameters', '0', 'schema', 'default'))}: "
        f"{GROUP_POINTER}/parameters/0/schema/default: 'ten' is not of type 'integer'",
        f"swagger.yml:{_line(SEMANTIC, ('components', 'schemas', 'Contact', 'properties', 'score', 'default'))}: "
        "/components/schemas/Contact/properties/score/default: 'high' is not of type 'number'",
    ]


@pytest.mark.parametrize(
    ("name", "text", "where"),
    [
        ("openapi.json", '{"openapi": "3.0.0",\n  "info": {"title": "x",, "version": "1"}}', "openapi.json:2:25"),
        ("swagger.yml", "openapi: 3.0.0\ninfo:\n  title: [x\n", "swagger.yml:4"),
    ],
    ids=["json", "yaml"],
)
def test_a_syntax_error_names_its_position(tmp_path: Path, name: str, text: str, where: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")

    with pytest.raises(PipelineError, match=f"^{where}: not valid"):
        spec_module.load(path)


def test_a_broken_document_fails_generation_listing_every_problem_and_leaves_generated_alone(tmp_path: Path) -> None:
    repo = copy_repo(tmp_path / "repo")
    repo.spec.write_text(json.dumps(yaml.safe_load(BROKEN), separators=(",", ":")), encoding="utf-8")
    before = repo.snapshot()

    result = repo.generate()

    assert result.returncode == 1, result.stdout + result.stderr
    assert "swagger.yml: 4 problems:" in result.stderr
    assert all(pointer in result.stderr for _parts, pointer, _message in BROKEN_PROBLEMS), result.stderr
    assert "Traceback" not in result.stderr
    assert repo.snapshot() == before
