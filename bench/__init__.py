"""wikicheck's benchmark: the real pipeline against the local fake wiki, figures beside targets."""

# Every figure comes from one run, and every ratio compares two measurements taken side by side
# in it, so the machine's speed matters less than the shape of the result.
#
#     python -m bench            # every scenario
#     python -m bench api        # only the named scenarios
#
# It uses a throwaway SQLite database (the default engine), or the database that
# WIKICHECK_BENCH_DATABASE_URL names, and only loopback addresses. The celery scenario needs
# PostgreSQL there and a Redis server at WIKICHECK_BENCH_REDIS_URL; scripts/bench.sh provides both.
# Importing any of its modules does nothing: `python -m bench` sets Django up, then runs.
