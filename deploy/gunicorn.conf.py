"""gunicorn's settings for wikicheck, shared by the Procfile, `scripts/serve.sh --production` and
the tests: `gunicorn wikicheck_site.wsgi --config deploy/gunicorn.conf.py`.

gunicorn answers only nginx (deploy/nginx.conf), on the loopback interface: a thread of a
`gthread` worker reads a request until it is whole, so a client that sends it slowly holds the
thread, and a few such clients hold them all (docs/deploy.md). nginx reads requests whole first.
"""

import os

# Loopback (or `unix:/path`), never 0.0.0.0: only nginx may reach gunicorn. Without this line
# gunicorn would listen on 0.0.0.0:$PORT whenever PORT is set.
bind = [os.environ.get("GUNICORN_BIND", "127.0.0.1:8010")]
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# SIGTERM lets requests in flight finish; the pool's checks in flight are stored meanwhile.
graceful_timeout = 30
# Every gunicorn of a user would share one control socket ($HOME/.gunicorn/gunicorn.ctl), and the
# tests run several at once; nothing here uses `gunicornc`.
control_socket_disable = True


def post_request(worker, req, environ, resp) -> None:
    """Read whatever the app left unread of the request body before the connection is reused.

    Django answers some requests without reading their body (a submission over the size limit,
    a POST from an expired session). gunicorn itself reads at most 64 KB of such a body and then
    closes the connection, which resets it while nginx is still sending the rest: nginx then
    answers 502 instead of the app's answer. Only nginx reaches gunicorn, and it sends bodies
    whole, at most client_max_body_size, over loopback: reading them takes milliseconds.
    """
    while req.body.read(64 * 1024):
        pass
