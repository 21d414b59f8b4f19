"""Where the pipeline reads and writes; everything is relative to the repository it runs in."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "swagger.yml"
CONFIG = ROOT / "generator_config.yaml"
CHANGELOG = ROOT / "CHANGELOG.md"
OVERRIDES = ROOT / "overrides"
TEMPLATES = OVERRIDES / "templates"
PACKAGE_OVERLAY = OVERRIDES / "package"
PROJECT_OVERLAY = OVERRIDES / "project"
MANIFEST = OVERRIDES / "manifest.json"
GENERATED = ROOT / "generated"
PROJECT_NAME = "clerk-chat-client"
PACKAGE_NAME = "clerk_chat_client"
GENERATED_PROJECT = GENERATED / PROJECT_NAME
# Scratch space inside the repository, so the final swap is a rename on one filesystem and
# mypy's cache survives between runs.
BUILD = ROOT / ".build"
