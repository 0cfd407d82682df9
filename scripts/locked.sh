#!/usr/bin/env bash
# Runs a command under a repo-wide lock, for work that must not overlap when several people
# (or agents) share one work tree: `scripts/locked.sh npm install foo`, `scripts/locked.sh git commit ...`.
exec flock /tmp/ledgerbridge-worktree.lock "$@"
