#!/usr/bin/env bash
# Open, update or close the one spec-update pull request after `nox -s update-spec` has run
# (.github/workflows/update-spec.yml). The pull request always holds what the update produced from
# BASE: its fixed branch is rebuilt and force-pushed on every run, and its body is the change
# report. A breaking update (exit 3) carries the `breaking` label; a later non-breaking one drops
# it; a published spec that matches BASE again closes the pull request.
#
# Environment: UPDATE_STATUS (0 or 3, the update's exit code), BASE (the branch to merge into),
# BRANCH (the pull request's branch), REPORT (the body; default .build/change-report.md), and
# GH_TOKEN for gh.
set -euo pipefail

: "${UPDATE_STATUS:?}" "${BASE:?}" "${BRANCH:?}"
case "$UPDATE_STATUS" in
  0 | 3) ;;
  *) echo "UPDATE_STATUS must be 0 or 3 (a refused update opens nothing), not $UPDATE_STATUS" >&2; exit 1 ;;
esac
report="${REPORT:-.build/change-report.md}"
title="Update the client to Clerk's published spec"
paths=(swagger.yml generated generator_config.yaml CHANGELOG.md)

pull_request="$(gh pr list --head "$BRANCH" --base "$BASE" --state open --json url --jq '.[0].url // ""')"

if [[ -z "$(git status --porcelain -- "${paths[@]}")" ]]; then
  echo "The published spec gives what $BASE already has: nothing to propose."
  if [[ -n "$pull_request" ]]; then
    gh pr close "$pull_request" --delete-branch --comment "The published spec matches $BASE again."
  fi
  exit 0
fi

git switch --force-create "$BRANCH"
git add --all -- "${paths[@]}"
git -c user.name="github-actions[bot]" -c user.email="41898282+github-actions[bot]@users.noreply.github.com" \
  commit --quiet --message "$title"
git push --force origin "HEAD:refs/heads/$BRANCH"

if [[ -z "$pull_request" ]]; then
  pull_request="$(gh pr create --base "$BASE" --head "$BRANCH" --title "$title" --body-file "$report")"
else
  gh pr edit "$pull_request" --title "$title" --body-file "$report"
fi

if [[ "$UPDATE_STATUS" == 3 ]]; then
  gh label create breaking --force --color B60205 --description "Changes the client's public API incompatibly"
  gh pr edit "$pull_request" --add-label breaking
elif gh pr view "$pull_request" --json labels --jq '.labels[].name' | grep --quiet --line-regexp breaking; then
  gh pr edit "$pull_request" --remove-label breaking
fi
echo "Pull request: $pull_request"
