"""Sphinx configuration of the sklearn-ser documentation.

Build (the examples are executed unless ``-D plot_gallery=0`` is given)::

    pip install -e ".[docs]"
    python -m sphinx -W -b html -D plot_gallery=0 docs docs/_build/html
"""

import os
import re
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("MPLBACKEND", "Agg")

import sklearn_ser  # noqa: E402

project = "sklearn-ser"
author = "sklearn-ser developers"
copyright = "sklearn-ser developers"
version = release = sklearn_ser.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "auto_examples/*.ipynb",
                    "auto_examples/*.py", "auto_examples/*.zip", "**/*.codeobj.json"]
templates_path = ["_templates"]
exclude_patterns += ["_templates"]

# -- API reference ------------------------------------------------------------------------------
autosummary_generate = True
autodoc_default_options = {"inherited-members": False}
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True

# Links into the Python, NumPy, scikit-learn, PyTorch and skorch docs need their inventories
# from the network; the default build is offline (an unreachable inventory is a warning, and
# warnings are errors in CI). Set SKLEARN_SER_DOCS_INTERSPHINX=1 to link them.
intersphinx_mapping = {}
if os.environ.get("SKLEARN_SER_DOCS_INTERSPHINX"):
    intersphinx_mapping = {
        "python": ("https://docs.python.org/3", None),
        "numpy": ("https://numpy.org/doc/stable/", None),
        "sklearn": ("https://scikit-learn.org/stable/", None),
        "torch": ("https://docs.pytorch.org/docs/stable/", None),
        "skorch": ("https://skorch.readthedocs.io/en/stable/", None),
    }

# -- Markdown (docs/benchmarks.md, docs/reliability.md) ------------------------------------------
myst_enable_extensions = ["dollarmath"]
myst_heading_anchors = 3

# -- gallery ------------------------------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": [str(ROOT / "examples")],
    "gallery_dirs": [str(DOCS / "auto_examples")],
    # every examples/plot_*.py is executed (unless plot_gallery=0) and listed
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"__init__\.py",
    "within_subsection_order": "FileNameSortKey",
    "download_all_examples": False,
    "write_computation_times": False,
    "remove_config_comments": True,
    "abort_on_example_error": True,
}

# -- HTML ---------------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"sklearn-ser {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
}
html_static_path = []


# -- the command line's --help, rendered from the parser itself ---------------------------------
def _help_text(command=None, width=90):
    """The ``--help`` output of ``sklearn-ser [command]``, ``width`` columns wide."""
    import contextlib
    import io

    from sklearn_ser.cli import build_parser

    previous = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = str(width)
    try:
        parser = build_parser()
        if command is not None:
            sub = next(a for a in parser._actions if a.dest == "command")
            parser = sub.choices[command]
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            parser.print_help()
    finally:
        if previous is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = previous
    return buffer.getvalue()


def _help_directive():
    from docutils import nodes
    from docutils.parsers.rst import Directive, directives

    class CommandLineHelp(Directive):
        """``.. sklearn-ser-help:: [COMMAND]``: the ``--help`` of ``sklearn-ser [COMMAND]``."""

        optional_arguments = 1
        option_spec = {"width": directives.positive_int}

        def run(self):
            text = _help_text(self.arguments[0] if self.arguments else None,
                              self.options.get("width", 90))
            block = nodes.literal_block(text, text)
            block["language"] = "text"
            return [block]

    return CommandLineHelp


# -- Markdown pages (results, notes) are listed under "Results" ------------------------------------
# Benchmark runs and other contributors add Markdown pages to docs/ (benchmarks.md,
# reliability.md, ...). Each one joins the "Results" toctree of index.rst when it exists, so a
# page that appears (or does not yet exist) never breaks the -W build.
RESULTS_FIRST = ("benchmarks", "reliability")


def _markdown_pages():
    pages = sorted(p.stem for p in DOCS.glob("*.md"))
    return [p for p in RESULTS_FIRST if p in pages] + [p for p in pages if p not in RESULTS_FIRST]


def _list_markdown_pages(app, docname, source):
    if docname != root_doc:
        return
    marker = "   .. results-pages\n"
    entries = "".join(f"   {page}\n" for page in _markdown_pages())
    source[0] = source[0].replace(marker, entries)


# -- docstring details ----------------------------------------------------------------------------
# numpydoc emits parameter *type* lines as reStructuredText, where a word ending in "_" is a
# hyperlink reference: "ndarray of shape (n_images, n_words_)" would look for a target called
# "n_words". In type lines, such names are fitted attributes, never links: escape the underscore.
_TYPE_LINE = re.compile(r"^(\s*[\w*][\w*, ]* : )(.*)$")
_TRAILING_UNDERSCORE = re.compile(r"(?<![`\\])\b([A-Za-z]\w*[A-Za-z0-9])_(?=[\s,)\]]|$)")


def _escape_attribute_names_in_types(app, what, name, obj, options, lines):
    for i, line in enumerate(lines):
        match = _TYPE_LINE.match(line)
        if match and "``" not in match.group(2):
            lines[i] = match.group(1) + _TRAILING_UNDERSCORE.sub(r"\1\\_", match.group(2))


def _skip_metadata_request_methods(app, what, name, obj, skip, options):
    # scikit-learn generates set_{fit,score,split,...}_request on every estimator and splitter;
    # they are documented by scikit-learn's metadata-routing guide, not here.
    if re.fullmatch(r"set_\w+_request", name):
        return True
    return None


def setup(app):
    app.add_directive("sklearn-ser-help", _help_directive())
    app.connect("source-read", _list_markdown_pages)
    app.connect("autodoc-process-docstring", _escape_attribute_names_in_types)
    app.connect("autodoc-skip-member", _skip_metadata_request_methods)
