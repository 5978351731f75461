#!/usr/bin/env bash
# The README's test command: exactly what CI runs (.ci/run installs tmux
# when missing, checks gofmt, runs go vet and go test -race ./...).
exec "$(dirname "$0")/.ci/run" "$@"
