"""Streamlit's side of cnnviz.serving.zygote: each worker the zygote forks runs ``streamlit run``.

Started by cnnviz.serving.launcher (the backend in cnnviz/ never imports Streamlit), which calls
``main(["--socket", PATH, "--port", P, ..., "--script", "app.py"])`` in a fresh interpreter.
There is no ``__main__`` block: the app's smoke tests run every file in pages/ as a page.
"""

from __future__ import annotations

import argparse
import os
import sys

from cnnviz.serving import launcher as serve
from cnnviz.serving import zygote
from ui import legacy_pages

# Streamlit is preloaded too, so that the workers share it as they share torch.
PRELOAD = (*zygote.PRELOAD, "streamlit", "streamlit.web.cli")


def run_streamlit(script: str, port: int) -> int:
    """In a forked child: serve ``script`` with Streamlit on 127.0.0.1:``port``."""
    devnull = os.open(os.devnull, os.O_WRONLY)  # stdout only has the banner with this port
    os.dup2(devnull, 1)
    os.close(devnull)
    zygote.return_large_blocks()  # sessions' transient activations do not stay in the heap
    from streamlit.web import cli  # noqa: PLC0415 - preloaded by the zygote before the fork

    legacy_pages.navigation_only()  # imported before any script run: see ui.legacy_pages

    # The command line of cnnviz.serving.launcher's single process, minus "python -m".
    sys.argv = serve.streamlit_command(port, "127.0.0.1", script)[2:]
    return cli.main(prog_name="streamlit")


def main(argv: list[str] | None = None) -> int:
    """The zygote with one Streamlit worker per port."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--socket", required=True, help="Unix socket for trainer requests")
    parser.add_argument("--port", type=int, action="append", default=[],
                        help="a Streamlit worker on this loopback port (repeat for more)")
    parser.add_argument("--script", default="app.py")
    args = parser.parse_args(argv)
    return zygote.run(args.socket, args.port,
                      lambda port: run_streamlit(args.script, port), PRELOAD)
