"""
Sphinx configuration for the ledger documentation.

The docs come in four parts (tutorial, how-to, reference, explanation), are
written in MyST Markdown, and build with ``sphinx-build -W``: a warning is an
error, in CI as on a desk.
"""

from __future__ import annotations

import builtins
from typing import Any

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx

import ledger

project = "ledger"
author = "The ledger developers"
copyright = "the ledger developers"  # noqa: A001 - the name Sphinx reads
version = release = ledger.__version__

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx_click",
]

source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "examples", ".venv"]
templates_path: list[str] = []

# Keep "--at" as two hyphens and quotes as typed: the docs quote command lines
# and help texts, which smart quotes would turn into en dashes and curly quotes.
smartquotes = False

myst_enable_extensions = ["colon_fence", "deflist"]
# Headings get anchors so pages can link to a section, as in `records.md#rules`.
myst_heading_anchors = 3

# The docstrings write `name` for a cross-reference, as the Python docs do.
default_role = "py:obj"
# Unresolved references are not warnings: the docstrings also name private
# helpers and standard types that have no page to link to. Every public name
# does have an entry; tests/test_docs_site.py checks that from objects.inv.
nitpicky = False

autodoc_member_order = "bysource"
# Bases are shown where they say something, on the errors page; here they would
# mostly read "Bases: object".
autodoc_default_options = {"members": True, "undoc-members": True}
# Signatures stay readable: the types are listed in the description instead.
autodoc_typehints = "description"
autodoc_typehints_description_target = "documented_params"
autodoc_preserve_defaults = True
autoclass_content = "class"

napoleon_google_docstring = True
napoleon_numpy_docstring = False
# An `Attributes:` section becomes a field list, not attribute entries of its
# own: autodoc already describes each attrs field, and two descriptions of one
# name would be a duplicate-object warning.
napoleon_use_ivar = True

html_theme = "furo"
html_title = f"ledger {release}"
html_static_path: list[str] = []


def _skip_reexports(
    _app: Sphinx, what: str, name: str, obj: object, _skip: bool, _options: Any
) -> bool | None:
    """
    Document each public name once, at ``ledger.NAME`` when the package re-exports it.

    The module pages list a module's other public names with ``automodule``;
    the names that ``ledger`` re-exports are described on the same pages as
    ``ledger.NAME``, so they are skipped here.
    """
    if what == "module" and name in ledger.__all__ and getattr(ledger, name) is obj:
        return True
    return None


# Builtin types named in annotations (`str`, `type`, `dict`...). The docs link
# to no external inventory (the build runs offline), so such a name would be
# looked up among our own objects, where Sphinx's fuzzy search finds attributes
# of the same name (`StoredEvent.type`) and links to them, or warns that it
# found several. A builtin is never one of ours: it stays plain text.
_BUILTIN_TYPES = frozenset(name for name, obj in vars(builtins).items() if isinstance(obj, type))


def _unlink_builtin_types(_app: Sphinx, doctree: nodes.document) -> None:
    """Turn references to builtin types in annotations into plain text."""
    for node in list(doctree.findall(addnodes.pending_xref)):
        if (
            node.get("refdomain") == "py"
            and node.get("reftype") == "class"
            and node.get("reftarget") in _BUILTIN_TYPES
        ):
            node.replace_self(node.children or [nodes.Text(node["reftarget"])])


def setup(app: Sphinx) -> None:
    """Connect the hooks that document each name once and leave builtins unlinked."""
    app.connect("autodoc-skip-member", _skip_reexports)
    app.connect("doctree-read", _unlink_builtin_types)
