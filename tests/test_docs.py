"""The documentation's configuration covers the examples, the API and the Markdown pages.

These checks read ``docs/conf.py`` and the sources; they need neither Sphinx nor a build (the
build itself runs in ``.ci/run`` with ``-W``). When a gallery has been built, its index is
checked too.
"""

import ast
import importlib
import re
import runpy
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
EXAMPLES = sorted((ROOT / "examples").glob("plot_*.py"))

# Data constants documented in prose, not as autosummary pages.
NOT_IN_AUTOSUMMARY = {"ENCODER_STAGES", "ITEM_ERRORS", "wa_scorer", "ua_scorer"}


@pytest.fixture(scope="module")
def conf():
    return runpy.run_path(str(DOCS / "conf.py"))


def test_there_are_examples():
    names = {path.name for path in EXAMPLES}
    assert {"plot_emodb_baseline.py", "plot_vacnn_bovw_emodb.py", "plot_grid_search.py",
            "plot_cross_corpus.py"} <= names


def test_gallery_config_covers_every_example(conf):
    gallery = conf["sphinx_gallery_conf"]
    assert [Path(d).resolve() for d in gallery["examples_dirs"]] == [ROOT / "examples"]
    assert [Path(d).resolve() for d in gallery["gallery_dirs"]] == [DOCS / "auto_examples"]
    assert (ROOT / "examples" / "GALLERY_HEADER.rst").is_file()
    for path in EXAMPLES:
        # sphinx-gallery matches these patterns against the full path
        assert re.search(gallery["filename_pattern"], str(path)), path.name
        assert not re.search(gallery["ignore_pattern"], str(path)), path.name


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_starts_with_a_titled_docstring(path):
    docstring = ast.get_docstring(ast.parse(path.read_text()), clean=True)
    assert docstring, f"{path.name} needs a module docstring (the gallery text)"
    title, underline = docstring.splitlines()[:2]
    assert title.strip() and set(underline) == {"="} and len(underline) >= len(title), path.name
    assert "SKLEARN_SER_DATA" in docstring or "SKLEARN_SER_DATA" in path.read_text()


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_parses_for_sphinx_gallery(path):
    parser = pytest.importorskip("sphinx_gallery.py_source_parser")
    blocks = parser.split_code_and_text_blocks(str(path))[1]
    assert blocks[0][0] == "text" and blocks[1][0] == "code"


def test_built_gallery_index_lists_every_example():
    index = DOCS / "auto_examples" / "index.rst"
    if not index.is_file():
        pytest.skip("the gallery has not been built (python -m sphinx docs docs/_build/html)")
    if index.stat().st_mtime < max(p.stat().st_mtime for p in EXAMPLES):
        pytest.skip("the built gallery is older than the examples; rebuild the docs")
    text = index.read_text()
    for path in EXAMPLES:
        # sphinx-gallery links each thumbnail with :doc:`/auto_examples/<name>` (or a
        # :ref:`sphx_glr_auto_examples_<name>.py` in older versions)
        assert (f"/auto_examples/{path.stem}`" in text
                or f"sphx_glr_auto_examples_{path.name}" in text), path.name


def _autosummary_sections():
    """``{module: [names]}`` from the autosummary blocks of docs/api.rst."""
    sections = {}
    module = None
    in_block = False
    for line in (DOCS / "api.rst").read_text().splitlines():
        if line.startswith(".. currentmodule:: "):
            module = line.split("::", 1)[1].strip()
        elif line.startswith(".. autosummary::"):
            in_block = True
            sections.setdefault(module, [])
        elif in_block:
            if line.startswith("   :") or not line.strip():
                continue
            if line.startswith("   "):
                sections[module].append(line.strip())
            else:
                in_block = False
    return sections


def test_api_reference_lists_every_public_name():
    sections = _autosummary_sections()
    for module_name in ("sklearn_ser.datasets", "sklearn_ser.audio", "sklearn_ser.features",
                        "sklearn_ser.models", "sklearn_ser.estimators", "sklearn_ser.metrics",
                        "sklearn_ser.model_selection", "sklearn_ser.explain",
                        "sklearn_ser.persistence", "sklearn_ser.cli", "sklearn_ser.utils",
                        "sklearn_ser.pretraining"):
        module = importlib.import_module(module_name)
        listed = set(sections.get(module_name, []))
        public = set(module.__all__) - NOT_IN_AUTOSUMMARY
        if module_name in ("sklearn_ser.persistence", "sklearn_ser.cli", "sklearn_ser.utils",
                        "sklearn_ser.pretraining"):
            public = {name for name in public if callable(getattr(module, name))
                      and not isinstance(getattr(module, name), type)}
        missing = sorted(public - listed)
        assert not missing, f"docs/api.rst does not list {module_name}: {missing}"
        unknown = sorted(name for name in listed if not hasattr(module, name))
        assert not unknown, f"docs/api.rst lists names {module_name} lacks: {unknown}"


def test_markdown_pages_join_the_results_toctree(conf):
    pages = conf["_markdown_pages"]()
    assert pages[0] == "benchmarks"
    assert set(pages) == {p.stem for p in DOCS.glob("*.md")}
    index = (DOCS / "index.rst").read_text()
    assert "   .. results-pages\n" in index


def test_user_guide_pages_are_in_the_toctree():
    index = (DOCS / "index.rst").read_text()
    for page in sorted((DOCS / "user_guide").glob("*.rst")):
        assert f"user_guide/{page.stem}" in index, page.name


def test_command_line_help_renders(conf):
    text = conf["_help_text"]("evaluate", 80)
    assert text.startswith("usage: sklearn-ser evaluate")
    assert max(len(line) for line in text.splitlines()) <= 90
