# Sourced: `on_exit COMMAND` runs COMMAND when the calling script exits, newest first, so that
# several sourced scripts (postgres.sh, redis.sh) can each clean up after themselves.
if ! declare -F on_exit >/dev/null; then
  _on_exit_commands=()
  _on_exit_run() {
    local command
    for command in "${_on_exit_commands[@]}"; do
      eval "$command" || true
    done
  }
  on_exit() {
    _on_exit_commands=("$1" "${_on_exit_commands[@]}")
    trap _on_exit_run EXIT
  }
fi
