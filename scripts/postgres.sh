# Sourced by test.sh: a local PostgreSQL server for the suite's second run, on 127.0.0.1:5432.
# Installs Debian's postgresql when it is missing (as root), starts the cluster, creates the
# role `wikicheck` (allowed to create the test database), exports WIKICHECK_TEST_POSTGRES_URL,
# and stops the server again when the calling script exits, if this script started it.
set -euo pipefail
source scripts/on_exit.sh
source scripts/apt_install.sh
if ! command -v pg_lsclusters >/dev/null || [ -z "$(pg_lsclusters -h 2>/dev/null)" ]; then
  apt_install PostgreSQL postgresql
fi
read -r pg_version pg_cluster pg_port pg_status _ < <(pg_lsclusters -h | head -n 1)
if [ "$pg_status" != "online" ]; then
  echo "Starting PostgreSQL $pg_version/$pg_cluster on port $pg_port"
  pg_ctlcluster "$pg_version" "$pg_cluster" start
  on_exit "pg_ctlcluster '$pg_version' '$pg_cluster' stop"
fi
su postgres -c "psql -q -p $pg_port" <<'SQL'
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'wikicheck') THEN
    CREATE ROLE wikicheck LOGIN PASSWORD 'wikicheck' CREATEDB;
  END IF;
END $$;
SQL
export WIKICHECK_TEST_POSTGRES_URL="postgres://wikicheck:wikicheck@127.0.0.1:$pg_port/wikicheck"
