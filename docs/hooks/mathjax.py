"""mkdocs hook: serve MathJax from the local pip package ``jupyter-server-mathjax`` (no CDN).

After the build, MathJax's files are copied to ``site/assets/mathjax/``; the pages load
``assets/mathjax/MathJax.js`` (see ``extra_javascript`` in mkdocs.yml), so the equations
render offline. Install with ``pip install 'numrnn[docs]'``.
"""

from __future__ import annotations

import shutil
from pathlib import Path


def _mathjax_dir() -> Path:
    try:
        import jupyter_server_mathjax
    except ImportError as err:  # pragma: no cover - a docs build without the extra
        raise ImportError("the docs need MathJax: pip install 'numrnn[docs]'") from err
    return Path(jupyter_server_mathjax.__file__).parent / "static"


def on_post_build(config, **kwargs) -> None:
    target = Path(config["site_dir"]) / "assets" / "mathjax"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(_mathjax_dir(), target)
