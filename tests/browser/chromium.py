"""Run Debian's headless Chromium on a local HTML file: dump the DOM, screenshot, print to PDF.

Used by tests/test_html_report.py.  Nothing here needs the network; the flags below turn off
everything Chromium would otherwise fetch on its own (updates, sync, safe browsing, QUIC) and
map every host name to nothing, so a report that tried to load a remote asset would fail to.

``find_chromium()`` returns None when no browser is installed; the tests then skip with a
reason.  Set ``MCOF_CHROMIUM`` to a binary to use another one.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
PROBE_JS = Path(__file__).with_name("probe.js")
TIMEOUT = 120

BASE_FLAGS = (
    "--headless",
    "--no-sandbox",  # the tests may run as root (CI containers)
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--host-resolver-rules=MAP * ~NOTFOUND",
)


def find_chromium() -> str | None:
    """The Chromium binary, or None if none is installed."""
    env = os.environ.get("MCOF_CHROMIUM")
    if env:
        return env if shutil.which(env) or Path(env).is_file() else None
    for name in CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


def run(args: list[str], binary: str | None = None, timeout: int = TIMEOUT) -> subprocess.CompletedProcess:
    """Run Chromium headless with a throw-away profile; raise on failure."""
    binary = binary or find_chromium()
    if binary is None:
        raise FileNotFoundError("no chromium binary found (apt-get install chromium)")
    with tempfile.TemporaryDirectory(prefix="mcof-chromium-") as profile:
        cmd = [binary, *BASE_FLAGS, f"--user-data-dir={profile}", *args]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"chromium exited {proc.returncode}: {' '.join(cmd)}\n{proc.stderr[-3000:]}")
    return proc


def file_url(path: Path) -> str:
    return Path(path).resolve().as_uri()


def dump_dom(path: Path, binary: str | None = None) -> str:
    """The DOM after load (scripts run), serialised by the browser."""
    return run(["--virtual-time-budget=5000", "--dump-dom", file_url(path)], binary).stdout


def screenshot(path: Path, png: Path, size: str = "1280,2000", binary: str | None = None) -> Path:
    run([f"--screenshot={png}", f"--window-size={size}", file_url(path)], binary)
    return Path(png)


def print_to_pdf(path: Path, pdf: Path, binary: str | None = None) -> Path:
    run([f"--print-to-pdf={pdf}", "--no-pdf-header-footer", file_url(path)], binary)
    return Path(pdf)


def with_probe(report_html: str) -> str:
    """The report with tests/browser/probe.js appended; the probe writes what the browser shows
    (computed colours, visibility, resource timing) as JSON into pre#mcof-probe."""
    probe = PROBE_JS.read_text(encoding="utf-8")
    tag = f"<script>\n{probe}\n</script>\n"
    idx = report_html.rfind("</body>")
    if idx < 0:
        return report_html + tag
    return report_html[:idx] + tag + report_html[idx:]


_PROBE_RE = re.compile(r'<pre id="mcof-probe"[^>]*>(.*?)</pre>', re.S)


def probe(path: Path, binary: str | None = None) -> dict:
    """Load a probed report (see with_probe) and return the probe's findings."""
    dom = dump_dom(path, binary)
    found = _PROBE_RE.findall(dom)
    m = found[-1] if found else None
    if not m:
        raise AssertionError("the probe wrote nothing; did the page's scripts run?\n" + dom[-2000:])
    data = json.loads(html.unescape(m))
    data["_dom"] = dom
    return data
