"""The shapes shared by the XML readers: where fields sit in a point, and what a read returns."""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

__all__ = ["Document", "Field", "PointSpec", "Points", "Text", "local_name", "namespace_of"]

Text = bytes | None


@dataclass(frozen=True)
class Field:
    """Where one stream's text sits inside a point, matched by local name (any namespace)."""

    stream: str
    names: tuple[str, ...]
    # "": a child of the point; "Position": a child of the point's <Position>; None: any depth.
    parent: str | None = ""


@dataclass(frozen=True)
class PointSpec:
    """How a format lays out its points: root, containers, point element, attributes, fields."""

    format: str  # "GPX" or "TCX", for messages
    root: str
    containers: str  # XPath from the document to the point containers; {d} is the root namespace
    container: str  # local name of the container element
    point: str  # local name of the point element
    attributes: tuple[tuple[str, str], ...]  # (attribute, stream)
    fields: tuple[Field, ...]


@dataclass
class Points:
    """Raw text of every point, one list per stream (None where the point lacks it)."""

    texts: dict[str, list[Text]]
    sizes: list[int]  # points per container, in document order

    @property
    def count(self) -> int:
        """Number of points."""
        return sum(self.sizes)


@dataclass
class Document:
    """A parsed file: the tree (without the points on the fast path), the points, warnings."""

    root: etree._Element
    containers: list[etree._Element]
    points: Points
    warnings: list[str] = field(default_factory=list)
    fast: bool = False


def local_name(element: etree._Element) -> str:
    """Return the tag of an element without its namespace."""
    return str(element.tag).rpartition("}")[2]


def namespace_of(element: etree._Element) -> str | None:
    """Return the namespace URI of an element's tag, None when it has none."""
    tag = str(element.tag)
    return tag[1 : tag.rindex("}")] if tag.startswith("{") else None
