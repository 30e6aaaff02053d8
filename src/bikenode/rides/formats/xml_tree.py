"""The tree path: the points of a parsed lxml tree, read in one pass over the field elements."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import cast

from lxml import etree

from bikenode.rides.formats.xml_spec import Field, Points, PointSpec, Text, namespace_of

__all__ = ["FIELD_DEPTH", "point_containers", "tree_points"]


@dataclass(frozen=True)
class _TreeQueries:
    containers: etree.XPath
    points: etree.XPath
    count: etree.XPath


@lru_cache(maxsize=32)
def _tree_queries(spec: PointSpec, namespace: str | None) -> _TreeQueries:
    # Only child steps: libxml2 merges node sets from descendant steps and unions in
    # quadratic time, which took seconds on 10k points.
    d = "d:" if namespace else ""
    ns = {"d": namespace} if namespace else None
    containers = spec.containers.format(d=d)
    return _TreeQueries(
        containers=etree.XPath(containers, namespaces=ns),
        points=etree.XPath(f"{containers}/{d}{spec.point}", namespaces=ns),
        count=etree.XPath(f"count({d}{spec.point})", namespaces=ns),
    )


def _queries(root: etree._Element, spec: PointSpec) -> _TreeQueries:
    return _tree_queries(spec, namespace_of(root))


def point_containers(root: etree._Element, spec: PointSpec) -> list[etree._Element]:
    """Return the elements that hold the points (track segments, laps), in document order."""
    return cast(list[etree._Element], _queries(root, spec).containers(root))


def tree_points(root: etree._Element, spec: PointSpec) -> Points:
    """Read the points of a parsed tree in one pass over the elements that can hold a field."""
    queries = _queries(root, spec)
    sizes = [int(cast(float, queries.count(c))) for c in point_containers(root, spec)]
    points = cast(list[etree._Element], queries.points(root))
    texts: dict[str, list[Text]] = {
        stream: [_encoded(p.get(attribute)) for p in points]
        for attribute, stream in spec.attributes
    }
    texts.update({f.stream: [None] * len(points) for f in spec.fields})
    by_name = {name: f for f in spec.fields for name in f.names}
    index = {p: i for i, p in enumerate(points)}  # lxml keeps these proxies while listed
    for element in root.iter(*(f"{{*}}{name}" for name in by_name)):
        found = by_name[element.tag.rpartition("}")[2]]
        i = _owner(element, found, index) if element.text else None
        if i is not None and texts[found.stream][i] is None:  # the first one counts
            texts[found.stream][i] = _encoded(element.text)
    return Points(texts, sizes)


def _encoded(text: str | None) -> Text:
    return text.encode() if text else None


FIELD_DEPTH = 8  # fields sit at most this many levels below their point; templates go no deeper


def _owner(element: etree._Element, f: Field, index: dict[etree._Element, int]) -> int | None:
    """Index of the point that holds element where the field's position rule allows it."""
    parent = element.getparent()
    if f.parent == "":
        return index.get(parent) if parent is not None else None
    if f.parent is not None:
        if parent is None or parent.tag.rpartition("}")[2] != f.parent:
            return None
        grandparent = parent.getparent()
        return index.get(grandparent) if grandparent is not None else None
    for _ in range(FIELD_DEPTH):  # bounded, so hostile nesting cannot make this quadratic
        if parent is None or parent in index:
            return index.get(parent) if parent is not None else None
        parent = parent.getparent()
    return None
