"""openapi-python-client, run in the pipeline's own process with warnings as errors.

The pipeline imports the generator anyway (naming.py follows its identifier rules), so calling
it here instead of in a child interpreter saves importing it twice: about a second of every
`nox -s generate`, a third of a warm run on a small spec. It does what `openapi-python-client
generate --meta uv --fail-on-warning --config ... --custom-template-path ... --output-path ...`
does: the same configuration, templates and output; any error or warning it reports, or an
exception it raises, fails the step with its text.
"""

from __future__ import annotations

import contextlib
import io
import traceback
from collections.abc import Sequence
from pathlib import Path

from openapi_python_client import generate as generate_project
from openapi_python_client.config import Config, ConfigFile, MetaType
from openapi_python_client.parser.errors import GeneratorError, ParseError

from .errors import PipelineError

STEP = "openapi-python-client (warnings are errors)"


def _describe(errors: Sequence[GeneratorError]) -> str:
    """Each error or warning with its header, detail and, for a parse problem, the offending part."""
    blocks = []
    for error in errors:
        parts = [f"{error.level.value}: {error.header}"]
        if error.detail:
            parts.append(error.detail)
        if isinstance(error, ParseError) and error.data is not None:
            parts.append(error.data.model_dump_json(indent=2, exclude_unset=True, by_alias=True))
        blocks.append("\n".join(parts))
    return "\n\n".join(blocks)


def generate(spec: Path, config: Path, templates: Path, output: Path) -> None:
    """Generate the project for `spec` into `output` (which must not exist yet)."""
    try:
        config_file = ConfigFile.load_from_path(path=config)
    except Exception as exc:  # YAML or field errors, as the CLI's "Unable to parse config"
        raise PipelineError(f"{config.name}: not a usable openapi-python-client configuration: {exc}") from exc
    settings = Config.from_sources(config_file, MetaType.UV, spec, "utf-8", overwrite=False, output_path=output)
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # "Generating <path>"
            errors = generate_project(config=settings, custom_template_path=templates.resolve())
    except Exception as exc:  # the generator's own failure (a template error, a crash): fail the step
        raise PipelineError(f"{STEP} failed:\n{traceback.format_exc().rstrip()}") from exc
    if errors:
        raise PipelineError(f"{STEP} failed:\n{_describe(errors)}")
