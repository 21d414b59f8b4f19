"""`nox -s publish`: upload dist/ to an index, never replacing what is already there.

Where to: `--repository NAME` (a section of ~/.pypirc), else TWINE_REPOSITORY_URL, else
TWINE_REPOSITORY; with none of them, the local pypiserver of `pipeline.local_index` (started if
needed, its generated credentials handed to twine through the environment). Credentials come
only from twine's environment variables or ~/.pypirc: never from arguments, which end up in
shell history, CI logs and `ps`.

Before uploading, the index's PEP 503 page for the project is read. Files of this version that
are already there are never sent again:
- none there: upload the wheel and the sdist;
- some there, byte-identical to ours (sha256 on the page): a half-finished earlier run; upload
  only the missing ones (resume);
- all there: the release is complete; refuse (exit 2) and say how to bump the version;
- any file of this version there that is not ours, or differs: refuse (exit 2), since a published
  file can never be replaced and a mixed release would install differently per platform.
"""

from __future__ import annotations

import argparse
import base64
import configparser
import hashlib
import os
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.client import HTTPMessage
from pathlib import Path
from typing import IO

from packaging.utils import canonicalize_name, canonicalize_version

from . import build, local_index
from .errors import PipelineError
from .paths import GENERATED_PROJECT, PROJECT_NAME

EXIT_REFUSED = 2
BUMP_HINT = (
    "bump the version: change swagger.yml and run `nox -s generate` (it raises package_version_override "
    "in generator_config.yaml), or raise package_version_override by hand and run `nox -s generate`; "
    "then `nox -s build` and `nox -s publish`"
)
KNOWN_SIMPLE = {
    "https://upload.pypi.org/legacy/": "https://pypi.org/simple/",
    "https://test.pypi.org/legacy/": "https://test.pypi.org/simple/",
}


class Refused(PipelineError):
    """The index already has (some of) this version in a form we must not add to."""


@dataclass(frozen=True)
class Target:
    """Where twine uploads, how we read the index, and what must never be printed."""

    upload_url: str
    simple_url: str
    twine_args: tuple[str, ...]
    env: dict[str, str] = field(repr=False)
    auth: tuple[str, str] | None = field(repr=False)
    secrets: tuple[str, ...] = field(repr=False)
    description: str


def redact_url(url: str) -> str:
    """The URL without user:password@, for printing."""
    parts = urllib.parse.urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    return urllib.parse.urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[-1]))


def simple_url_for(upload_url: str) -> str:
    """The PEP 503 root beside an upload URL: pypiserver serves both under one root."""
    url = redact_url(upload_url)
    if url in KNOWN_SIMPLE:
        return KNOWN_SIMPLE[url]
    base = url if url.endswith("/") else url + "/"
    if base.endswith("/legacy/"):
        return base[: -len("legacy/")] + "simple/"
    return base + "simple/"


def _pypirc_section(name: str) -> configparser.SectionProxy | None:
    config = configparser.RawConfigParser()
    config.read(Path.home() / ".pypirc", encoding="utf-8")
    return config[name] if config.has_section(name) else None


def _scrubbed_env(*drop: str) -> dict[str, str]:
    return {key: value for key, value in os.environ.items() if key not in drop}


def configured_target(repository: str | None) -> Target | None:
    """The index the environment or --repository names, or None when nothing is configured."""
    env_user, env_password = os.environ.get("TWINE_USERNAME"), os.environ.get("TWINE_PASSWORD")
    name = repository or (None if os.environ.get("TWINE_REPOSITORY_URL") else os.environ.get("TWINE_REPOSITORY"))
    if name is None:
        url = os.environ.get("TWINE_REPOSITORY_URL")
        if not url:
            return None
        auth = (env_user, env_password) if env_user and env_password else None
        secrets = tuple(s for s in (env_password, urllib.parse.urlsplit(url).password) if s)
        return Target(url, simple_url_for(url), (), _scrubbed_env(), auth, secrets, "TWINE_REPOSITORY_URL")
    section = _pypirc_section(name)
    url = section.get("repository") if section is not None else None
    url = url or {"pypi": "https://upload.pypi.org/legacy/", "testpypi": "https://test.pypi.org/legacy/"}.get(name)
    if not url:
        raise PipelineError(f"repository {name!r} has no `repository = URL` in a [{name}] section of ~/.pypirc")
    user = env_user or (section.get("username") if section is not None else None)
    password = env_password or (section.get("password") if section is not None else None)
    auth = (user, password) if user and password else None
    # twine lets TWINE_REPOSITORY_URL win over --repository; drop it so twine uploads where we checked.
    if os.environ.get("TWINE_REPOSITORY_URL"):
        print(f"note: --repository {name} given; ignoring TWINE_REPOSITORY_URL")
    env = _scrubbed_env("TWINE_REPOSITORY_URL", "TWINE_REPOSITORY")
    return Target(
        url,
        simple_url_for(url),
        ("--repository", name),
        env,
        auth,
        tuple(s for s in (password,) if s),
        f"[{name}] in ~/.pypirc",
    )


def local_target() -> Target:
    """The local pypiserver, started if needed, with its generated credentials in twine's env only."""
    server, started = local_index.ensure_running()
    if started:
        print(f"no index configured: started the local index at {server.url} (stop it: nox -s local-index -- stop)")
    env = {key: value for key, value in os.environ.items() if not key.startswith("TWINE_")}
    env |= {"TWINE_REPOSITORY_URL": server.url, "TWINE_USERNAME": server.username, "TWINE_PASSWORD": server.password}
    auth = (server.username, server.password)
    return Target(
        server.url, server.simple_url, (), env, auth, (server.password,), "the local index (nox -s local-index)"
    )


class _Links(HTMLParser):
    """Anchors of a PEP 503 project page: file name -> sha256 from the URL fragment (or None)."""

    def __init__(self) -> None:
        super().__init__()
        self.files: dict[str, str | None] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href")
        if tag != "a" or not href:
            return
        parts = urllib.parse.urlsplit(href)
        name = urllib.parse.unquote(parts.path.rsplit("/", 1)[-1])
        digest = urllib.parse.parse_qs(parts.fragment).get("sha256", [None])[0]
        self.files[name] = digest


class _SameOriginRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects within the index only: pypiserver sends unknown projects on to PyPI,
    whose page would describe somebody else's files."""

    def redirect_request(
        self, req: urllib.request.Request, fp: IO[bytes], code: int, msg: str, headers: HTTPMessage, newurl: str
    ) -> urllib.request.Request | None:
        if _origin(newurl) != _origin(req.full_url):
            return None
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _origin(url: str) -> tuple[str, str]:
    parts = urllib.parse.urlsplit(url)
    return parts.scheme, parts.netloc.rsplit("@", 1)[-1]


def index_files(target: Target, version: str) -> dict[str, str | None]:
    """Files of `version` of the project that the index already has (name -> sha256 or None)."""
    page = f"{target.simple_url}{canonicalize_name(PROJECT_NAME)}/"
    opener = urllib.request.build_opener(_SameOriginRedirects())
    request = urllib.request.Request(page, headers={"Accept": "text/html"})
    try:
        try:
            response = opener.open(request, timeout=30)
        except urllib.error.HTTPError as exc:
            if exc.code != 401 or target.auth is None or _origin(page) != _origin(target.upload_url):
                raise
            token = base64.b64encode(":".join(target.auth).encode()).decode()
            request.add_unredirected_header("Authorization", f"Basic {token}")
            response = opener.open(request, timeout=30)
        with response:
            body = response.read().decode("utf-8", errors="replace")
    except urllib.error.HTTPError as exc:
        exc.close()
        if exc.code in (404, 410) or 300 <= exc.code < 400:  # 3xx: sent elsewhere, so not hosted here
            return {}
        raise PipelineError(
            f"cannot tell whether {PROJECT_NAME} {version} is on {page}: HTTP {exc.code}; nothing was uploaded"
        ) from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise PipelineError(f"cannot reach {page} ({reason}); nothing was uploaded") from None
    links = _Links()
    links.feed(body)
    wanted = canonicalize_version(version)
    return {name: digest for name, digest in links.files.items() if build.distribution_version(Path(name)) == wanted}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def plan(files: Sequence[Path], present: dict[str, str | None], version: str, where: str) -> list[Path]:
    """Which of our files to upload (the rule is in the module docstring); raise Refused otherwise."""
    ours = {path.name: path for path in files}
    foreign = sorted(set(present) - set(ours))
    if foreign:
        raise Refused(
            f"{where} already has other files of {PROJECT_NAME} {version} ({', '.join(foreign)}); nothing was uploaded. Published files are never replaced: {BUMP_HINT}"
        )
    differing = sorted(name for name, digest in present.items() if digest is not None and digest != _sha256(ours[name]))
    if differing:
        raise Refused(
            f"{where} already has {', '.join(differing)} of {PROJECT_NAME} {version} with different content; nothing was uploaded. Published files are never replaced: {BUMP_HINT}"
        )
    missing = [path for path in files if path.name not in present]
    if not missing:
        raise Refused(
            f"{PROJECT_NAME} {version} is already published on {where} (all of {', '.join(sorted(ours))}); nothing was uploaded. To publish a change, {BUMP_HINT}"
        )
    return missing


def scrub(text: str, secrets: Sequence[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, "********")
    return text


def upload(target: Target, files: Sequence[Path]) -> str:
    """Run twine (credentials in its environment only); return its scrubbed output."""
    command = [sys.executable, "-m", "twine", "--no-color", "upload", "--non-interactive", "--disable-progress-bar"]
    command += [*target.twine_args, *map(str, files)]
    result = subprocess.run(
        command, env=target.env, capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL
    )
    output = scrub((result.stdout + result.stderr).strip(), target.secrets)
    if result.returncode == 0:
        return output
    where = redact_url(target.upload_url)
    for code, meaning in (("401", "401 Unauthorized"), ("403", "403 Forbidden")):
        if f"HTTPError: {code}" in output:
            raise PipelineError(
                f"{where} refused the credentials (HTTP {meaning}): check TWINE_USERNAME/TWINE_PASSWORD or ~/.pypirc ({target.description})"
            )
    if "HTTPError: 400" in output or "HTTPError: 409" in output:
        raise PipelineError(
            f"{where} rejected a file (HTTP 400/409, e.g. it appeared meanwhile); run `nox -s publish` again to see what is missing\n{output}"
        )
    raise PipelineError(
        f"twine upload to {where} failed (exit {result.returncode}); run `nox -s publish` again to resume\n{output}"
    )


def publish(project: Path, dist: Path, repository: str | None) -> int:
    version = build.project_version(project)
    built = build.find_distributions(dist, version)
    if built is None:
        print(f"{dist} has no wheel + sdist of {version}: building first")
        built = build.build(project, dist)
        print(build.describe(built, version))
    target = configured_target(repository) or local_target()
    where = redact_url(target.simple_url)
    missing = plan(built.files, index_files(target, version), version, where)
    if len(missing) < len(built.files):
        print(
            f"resuming an unfinished upload: {where} has the other files of {version} already; uploading {', '.join(p.name for p in missing)}"
        )
    print(f"uploading {', '.join(p.name for p in missing)} to {redact_url(target.upload_url)} ({target.description})")
    output = upload(target, missing)
    if output:
        print(output)
    present = index_files(target, version)
    unseen = [path.name for path in built.files if path.name not in present]
    if unseen:
        print(f"warning: {where} does not list {', '.join(unseen)} yet (a caching index may take a while)")
    print(f"published {PROJECT_NAME} {version}. Install it with:")
    print(f"  pip install --index-url {where} {PROJECT_NAME}=={version}")
    return 0


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m pipeline.publish",
        description=__doc__,
        allow_abbrev=False,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--repository", metavar="NAME", help="a [NAME] section of ~/.pypirc (twine reads its credentials there)"
    )
    parser.add_argument(
        "--project", type=Path, default=GENERATED_PROJECT, help="generated project (default: %(default)s)"
    )
    parser.add_argument(
        "--dist", type=Path, default=build.DIST, help="where the built files are (default: %(default)s)"
    )
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        # Name the options only: a value typed here might be a password, and must not be echoed.
        names = sorted({item.split("=", 1)[0] for item in unknown if item.startswith("-")}) or ["(a positional value)"]
        parser.exit(
            EXIT_REFUSED,
            f"error: unknown arguments {', '.join(names)}. Credentials are never taken from arguments: set TWINE_USERNAME and TWINE_PASSWORD, or use ~/.pypirc\n",
        )
    return args


def main(argv: list[str]) -> int:
    args = _parse(argv)
    try:
        return publish(args.project, args.dist, args.repository)
    except Refused as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    except PipelineError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
