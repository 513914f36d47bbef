"""graphite-web 1.1.10 beside the harness's carbon (harness.py serve <workdir> --graphite), as in production:
carbon posts every new tagged series to graphite-web's tag database (carbon's ENABLE_TAGS and GRAPHITE_URL,
`/tags/tagMultiSeries`), and graphite-web reads carbon's whisper files for `/render` and finds tagged series by
their tags (`seriesByTag`, `/tags/findSeries`).

graphite-web runs from the venv (PyPI graphite-web 1.1.10, Django 3.0.14) with a settings module of its own
written into <workdir>/graphite (GRAPHITE_SETTINGS_MODULE: the installed package is not touched, so any number
of instances run side by side): storage and whisper are carbon's, its database is SQLite in <workdir>, the tag
database is graphite-web's own (`LocalDatabaseTagDB`), no cache (DummyCache: a query sees what carbon has
just tagged). Django's database is migrated once per venv into a template (`<venv>/graphite-web-1.1.10.db`,
3.5 s) that each instance copies. It is served by Django's threaded development server on a free
127.0.0.1 port (up in about 1.5 s), with the web UI's static files (`--insecure`: served by runserver though
DEBUG is off; loopback only).
"""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

VERSION = "1.1.10"
START_TIMEOUT = 30.0

SETTINGS = """\
# Written by tests/carbon/graphite.py for one test carbon.
SECRET_KEY = 'carbon-pickle-tests'
GRAPHITE_ROOT = {root!r}
STORAGE_DIR = {storage!r}
WHISPER_DIR = {whisper!r}
LOG_DIR = {log!r}
INDEX_FILE = {index!r}
STATIC_ROOT = {static!r}
DATABASES = {{'default': {{'NAME': {db!r}, 'ENGINE': 'django.db.backends.sqlite3'}}}}
TAGDB = 'graphite.tags.localdatabase.LocalDatabaseTagDB'
ALLOWED_HOSTS = ['127.0.0.1', 'localhost']
TIME_ZONE = 'UTC'
LOG_RENDERING_PERFORMANCE = False
LOG_CACHE_PERFORMANCE = False
# The web UI's files (ExtJS, CSS) are installed under <venv>/webapp/content; graphite-web looks for them
# in WEBAPP_DIR/content, and runserver --insecure serves them (for people browsing `run.sh --serve`).
WEBAPP_DIR = {webapp!r}
"""


def paths(workdir, storage, whisper):
    root = os.path.join(workdir, "graphite")
    return {
        "root": root,
        "storage": storage,
        "whisper": whisper,
        "log": os.path.join(root, "log"),
        "index": os.path.join(root, "index"),
        "static": os.path.join(root, "static"),
        "db": os.path.join(root, "graphite.db"),
        "out": os.path.join(workdir, "graphite.out"),
        "webapp": os.path.join(sys.prefix, "webapp"),
    }


def env(g):
    return dict(os.environ, GRAPHITE_SETTINGS_MODULE="graphite_settings", PYTHONPATH=g["root"],
                DJANGO_SETTINGS_MODULE="graphite.settings", PYTHONUTF8="1")


def configure(g):
    os.makedirs(g["log"], exist_ok=True)
    with open(os.path.join(g["root"], "graphite_settings.py"), "w") as f:
        f.write(SETTINGS.format(**g))


def template_db(g):
    """Django's tables, migrated once per venv (graphite-web's `django-admin migrate --run-syncdb`)."""
    template = os.path.join(sys.prefix, "graphite-web-%s.db" % VERSION)
    if os.path.exists(template):
        return template
    work = os.path.join(g["root"], "template")
    os.makedirs(work, exist_ok=True)
    t = dict(g, root=work, db=os.path.join(work, "graphite.db"), log=os.path.join(work, "log"))
    configure(t)
    r = subprocess.run([sys.executable, "-m", "django", "migrate", "--run-syncdb", "--settings=graphite.settings"],
                       env=env(t), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=work)
    if r.returncode != 0:
        raise RuntimeError("graphite-web migrate failed:\n" + r.stdout.decode("utf-8", "replace")[-3000:])
    tmp = "%s.%d.tmp" % (template, os.getpid())
    shutil.copyfile(t["db"], tmp)
    os.replace(tmp, template)  # atomic: a concurrent harness sees the whole file or none
    shutil.rmtree(work, ignore_errors=True)
    return template


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
    finally:
        s.close()


def answers(url):
    try:
        with urllib.request.urlopen(url + "/tags/findSeries?expr=name=x", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


def start(workdir, storage, whisper, preexec_fn):
    """Starts graphite-web; returns (process, port, url) once it answers."""
    g = paths(workdir, storage, whisper)
    configure(g)
    shutil.copyfile(template_db(g), g["db"])
    for attempt in range(5):
        port = free_port()
        out = open(g["out"], "ab")
        proc = subprocess.Popen(
            [sys.executable, "-m", "django", "runserver", "127.0.0.1:%d" % port, "--noreload", "--insecure",
             "--settings=graphite.settings"],
            stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, cwd=g["root"], env=env(g),
            preexec_fn=preexec_fn,
        )
        out.close()
        url = "http://127.0.0.1:%d" % port
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline and proc.poll() is None:
            if answers(url):
                return proc, port, url
            time.sleep(0.05)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
            raise RuntimeError("graphite-web did not answer on %s within %ds (see %s)" % (url, START_TIMEOUT, g["out"]))
        # exited: most likely the port was taken between picking and binding; pick another
    raise RuntimeError("graphite-web would not start (see %s)" % g["out"])
