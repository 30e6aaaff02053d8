"""Safe, fast reading of XML activity files (GPX, TCX) into per-point text columns.

Untrusted input: lxml never resolves entities, loads DTDs or touches the network, and a DOCTYPE
that declares entities is refused. Points are read one of two ways that give the same columns:

- the byte-level fast path, for the usual regular layout: one regex for a whole point, learnt
  from sample points, must match every point completely. Its character classes admit only
  ASCII text without markup or references, so a match is well-formed XML by construction;
  everything between the points (the skeleton) goes through a strict lxml parse, and anything
  the regex cannot vouch for (comments or CDATA around points, points in odd places, other
  namespaces, encodings that are not ASCII supersets) sends the file to the tree path;
- the tree path: a strict lxml tree, one XPath for the points, one pass over the elements that
  can hold a field. It also salvages truncated files and undeclared namespace prefixes.
"""

from __future__ import annotations

from bikenode.rides.formats.xml_columns import (
    build_streams,
    container_pauses,
    first_time,
    float_column,
    iso_times,
)
from bikenode.rides.formats.xml_fast import fast_document
from bikenode.rides.formats.xml_parse import (
    check_root,
    parse_tree,
    reject_entity_declarations,
    skip_space_before_declaration,
)
from bikenode.rides.formats.xml_spec import (
    Document,
    Field,
    Points,
    PointSpec,
    Text,
    local_name,
    namespace_of,
)
from bikenode.rides.formats.xml_tree import point_containers, tree_points

__all__ = [
    "Document",
    "Field",
    "PointSpec",
    "Points",
    "Text",
    "build_streams",
    "container_pauses",
    "first_time",
    "float_column",
    "iso_times",
    "local_name",
    "namespace_of",
    "read_document",
    "tree_points",
]


def read_document(data: bytes, spec: PointSpec, *, fast: bool | None = None) -> Document:
    """Parse untrusted XML bytes and read the points.

    fast=None tries the byte-level reader on files of 16 kB or more (below that, learning
    its regex costs more than it saves), True always tries it, False never does.
    """
    data, warnings = skip_space_before_declaration(data)
    reject_entity_declarations(data, spec.format)
    if fast is None:
        fast = len(data) >= 16_384
    doc = fast_document(data, spec) if fast else None
    if doc is None:
        root, more = parse_tree(data, spec)
        warnings += more
        check_root(root, spec)
        doc = Document(root, point_containers(root, spec), tree_points(root, spec))
    doc.warnings[:0] = warnings
    return doc
