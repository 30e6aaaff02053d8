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

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from difflib import SequenceMatcher
from functools import lru_cache
from typing import Any, cast

import numpy as np
import numpy.typing as npt
from lxml import etree

from bikenode.rides.formats.activity import FloatArray, ParseError

__all__ = [
    "Document",
    "Field",
    "PointSpec",
    "Points",
    "build_streams",
    "container_pauses",
    "first_time",
    "iso_times",
    "local_name",
    "namespace_of",
    "read_document",
    "tree_points",
]

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


def read_document(data: bytes, spec: PointSpec, *, fast: bool | None = None) -> Document:
    """Parse untrusted XML bytes and read the points.

    fast=None tries the byte-level reader on files of 16 kB or more (below that, learning
    its regex costs more than it saves), True always tries it, False never does.
    """
    data, warnings = _skip_space_before_declaration(data)
    _reject_entity_declarations(data, spec.format)
    if fast is None:
        fast = len(data) >= 16_384
    doc = _fast_document(data, spec) if fast else None
    if doc is None:
        root, more = _parse_tree(data, spec)
        warnings += more
        _check_root(root, spec)
        doc = Document(root, _containers(root, spec), tree_points(root, spec))
    doc.warnings[:0] = warnings
    return doc


def _check_root(root: etree._Element, spec: PointSpec) -> None:
    if local_name(root) != spec.root:
        raise ParseError(f"expected a <{spec.root}> root element, got <{local_name(root)}>")
    namespace = namespace_of(root) or ""
    if "{" in namespace or "}" in namespace:  # lxml cannot name tags in such a namespace
        raise ParseError(f"expected a namespace URI on <{spec.root}>, got {namespace!r}")


# --- hardened lxml parsing -------------------------------------------------------------------


def _parser(*, recover: bool = False) -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        recover=recover,
    )


def _strict(data: bytes, parser: etree.XMLParser | None = None) -> etree._Element:
    return _without_entities(etree.fromstring(data, parser or _parser()))


def _without_entities(root: etree._Element) -> etree._Element:
    """The root, unless its DOCTYPE declares entities (which the byte check misses in UTF-16)."""
    dtd = root.getroottree().docinfo.internalDTD
    entities = dtd.iterentities() if dtd is not None else ()  # type: ignore[attr-defined]
    if any(True for _ in entities):  # lxml-stubs lack DTD.iterentities
        raise ParseError("expected XML without entity declarations, got a DOCTYPE declaring some")
    return root


def _skip_space_before_declaration(data: bytes) -> tuple[bytes, list[str]]:
    bom = b"\xef\xbb\xbf" if data.startswith(b"\xef\xbb\xbf") else b""
    body = data[len(bom) :]
    stripped = body.lstrip(b" \t\r\n")
    if len(stripped) == len(body) or not stripped.startswith(b"<?xml"):
        return data, []
    skipped = len(body) - len(stripped)
    return bom + stripped, [f"skipped {skipped} bytes of whitespace before the XML declaration"]


_FIRST_ELEMENT = re.compile(rb"<[A-Za-z_]")


def _reject_entity_declarations(data: bytes, fmt: str) -> None:
    # Entities are never expanded; refusing them outright also stops billion-laughs and XXE
    # payloads from reaching anything downstream. UTF-16 files are caught after parsing.
    root = _FIRST_ELEMENT.search(data)  # a DOCTYPE can only come before it
    doctype = data.find(b"<!DOCTYPE", 0, root.start() if root else len(data))
    if doctype >= 0 and data.find(b"<!ENTITY", doctype) >= 0:
        raise ParseError(
            f"expected {fmt} XML without entity declarations, got a DOCTYPE declaring entities"
            " (refused: entity expansion and external entities are unsafe)"
        )


def _parse_tree(data: bytes, spec: PointSpec) -> tuple[etree._Element, list[str]]:
    if not data.strip():
        raise ParseError(f"expected a {spec.format} XML file, got {len(data)} blank bytes")
    parser = _parser()
    try:
        return _strict(data, parser), []
    except etree.XMLSyntaxError as err:
        first = err
    where = f"line {first.position[0]}, column {first.position[1]}"
    reason = _reason(first)
    if _only_namespace_errors(parser.error_log):  # the exception's log also holds older errors
        root = _without_entities(etree.fromstring(data, _parser(recover=True)))
        return root, [f"{reason} at {where}; read leniently"]
    salvaged = _salvage_truncated(data, spec.point)
    if salvaged is None:
        raise ParseError(f"expected well-formed {spec.format} XML, got {reason} at {where}")
    return salvaged, [f"the XML breaks off at {where} ({reason}); kept the points before it"]


def _reason(err: etree.XMLSyntaxError) -> str:
    """The libxml2 message without the position lxml appends to it."""
    return re.sub(r"(, line \d+, column \d+)+$", "", err.msg or "a syntax error")


def _only_namespace_errors(log: etree._ListErrorLog) -> bool:
    errors = [e for e in log if e.level >= etree.ErrorLevels.ERROR]
    return bool(errors) and all(e.domain == etree.ErrorDomains.NAMESPACE for e in errors)


def _salvage_truncated(data: bytes, point: str) -> etree._Element | None:
    """Cut after the last complete point, close its open ancestors, and parse that strictly."""
    ends = list(re.finditer(rb"</(?:[\w.-]+:)?" + point.encode() + rb"\s*>", data))
    if not ends:
        return None
    prefix = data[: ends[-1].end()]
    try:
        lenient = etree.fromstring(prefix, _parser(recover=True))
    except etree.XMLSyntaxError:
        return None
    last = lenient.xpath(f"(//*[local-name()='{point}'])[last()]") if lenient is not None else []
    if not last:
        return None
    closers = b"".join(
        f"</{a.prefix + ':' if a.prefix else ''}{local_name(a)}>".encode()
        for a in cast(list[etree._Element], last)[0].iterancestors()
    )
    try:
        return _strict(prefix + closers)
    except etree.XMLSyntaxError:
        return None


# --- tree path ---------------------------------------------------------------------------------


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


def _containers(root: etree._Element, spec: PointSpec) -> list[etree._Element]:
    return cast(list[etree._Element], _queries(root, spec).containers(root))


def tree_points(root: etree._Element, spec: PointSpec) -> Points:
    """Read the points of a parsed tree in one pass over the elements that can hold a field."""
    queries = _queries(root, spec)
    sizes = [int(cast(float, queries.count(c))) for c in _containers(root, spec)]
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


_DEPTH = 8  # fields sit at most this many levels below their point; templates go no deeper


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
    for _ in range(_DEPTH):  # bounded, so hostile nesting cannot make this quadratic
        if parent is None or parent in index:
            return index.get(parent) if parent is not None else None
        parent = parent.getparent()
    return None


# --- fast path -----------------------------------------------------------------------------------

# XML whitespace, and ASCII text without markup, references or "]]>". Inside a point the regex
# itself proves the bytes well-formed; everything else (the skeleton) goes through lxml.
_S = r"[ \t\r\n]*+"  # possessive: the regex never needs to give whitespace back
_TEXT = r"[\t\n\r\x20-\x25\x27-\x3b\x3d-\x5c\x5e-\x7e]*+"
_QUOTED = rb"[\t\n\r\x20\x21\x23-\x25\x28-\x3b\x3d-\x7e]"  # no quotes, '&' or '<'
_NAME = rb"[A-Za-z_][\w.-]*(?::[A-Za-z_][\w.-]*)?"
_TOKEN = re.compile(rb"<(/?)(" + _NAME + rb")((?:[ \t\r\n]+[^<>]*?)?)[ \t\r\n]*(/?)>|([^<]+)")
_ATTRIBUTE = re.compile(
    rb"[ \t\r\n]+(%s)[ \t\r\n]*=[ \t\r\n]*(?:\"(%s*)\"|'(%s*)')" % (_NAME, _QUOTED, _QUOTED)
)
_ENCODING = re.compile(rb"""^[^>]*encoding\s*=\s*["']([\w.:-]+)["']""")
_ASCII_SUPERSETS = re.compile(rb"(?i)utf-?8|(us-)?ascii|iso-?8859-\d+|latin-?1|(windows|cp)-?125\d")


@dataclass
class _Node:
    """One element of a sample point: its literal start tag, kind and children."""

    tag: str  # "<name attrs" as written
    name: str
    kind: str  # "leaf" (text or nothing) or "container"
    children: list[_Node] = field(default_factory=list)
    empty: bool = False  # seen as <name/>: only then does the regex allow that form


@dataclass
class _Template:
    pattern: str = ""
    streams: list[str | None] = field(default_factory=list)  # per capture group
    prefixes: set[str] = field(default_factory=set)


def _fast_document(data: bytes, spec: PointSpec) -> Document | None:
    found = _fast_points(data, spec) if _ascii_compatible(data) else None
    if found is None:
        return None
    points, skeleton, prefixes = found
    try:
        root = _strict(skeleton)
    except etree.XMLSyntaxError:
        return None  # the tree path will say what is wrong
    if local_name(root) != spec.root or not prefixes <= {"xml", *root.nsmap}:
        return None
    _check_root(root, spec)
    containers = _containers(root, spec)
    if len(containers) != len(points.sizes):  # a container somewhere unexpected
        return None
    return Document(root, containers, points, fast=True)


def _ascii_compatible(data: bytes) -> bool:
    if b"\x00" in data[:4] or data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    declared = _ENCODING.match(data[:256]) if b"<?xml" in data[:8] else None
    return declared is None or _ASCII_SUPERSETS.fullmatch(declared.group(1)) is not None


def _fast_points(data: bytes, spec: PointSpec) -> tuple[Points, bytes, set[str]] | None:
    """Cut the bytes with the learnt regex; points it missed refine it (a few times)."""
    point = b"<" + spec.point.encode()
    samples = _samples(data, point)
    template = _template(samples, spec)
    cut = _split(data, template) if template else None
    for _ in range(3):
        if cut is None:
            return None
        skeleton = b"".join(cut.gaps)
        marked = _marked(cut.gaps, skeleton)
        if point not in skeleton:
            return _finish(cut, skeleton, marked, spec)
        missed = [i for i in marked if point in cut.gaps[i]]
        more = [s for i in missed[:8] for s in _samples(cut.gaps[i], point, 1)]
        if not more:
            return None  # a point without its end: a truncated file, for the tree path
        samples += more
        template = _template(samples, spec)
        cut = _resplit(cut, missed, template, point) if template else None
    return None


@dataclass
class _Cut:
    """Bytes cut by a template: the text between points, and each stream's values."""

    gaps: list[bytes]
    columns: dict[str, list[Text]]
    prefixes: set[str]


def _split(data: bytes, template: _Template) -> _Cut:
    parts = re.compile(template.pattern.encode()).split(data)
    step = len(template.streams) + 1
    columns: dict[str, list[Text]] = {}
    for j, stream in enumerate(template.streams):
        column = cast(list[Text], parts[1 + j :: step])
        if stream in columns:  # a second element for the same stream: the first one counts
            column = [a or b for a, b in zip(columns[stream], column, strict=True)]
        if stream is not None:
            columns[stream] = column
    return _Cut(cast(list[bytes], parts[0::step]), columns, set(template.prefixes))


def _resplit(cut: _Cut, missed: list[int], template: _Template, point: bytes) -> _Cut:
    """Cut again only the gaps that still hold points, and splice the results in."""
    last = len(cut.gaps) - 1
    # The point after gap i is what the lookahead needs to see; the last gap has none.
    inner = {i: _split(cut.gaps[i] + (point + b">" if i < last else b""), template) for i in missed}
    for piece in inner.values():
        if piece.gaps[-1].endswith(point + b">"):
            piece.gaps[-1] = piece.gaps[-1][: -len(point) - 1]
    gaps: list[bytes] = []
    start = 0
    for i in missed:
        gaps += cut.gaps[start:i] + inner[i].gaps
        start = i + 1
    columns = {
        stream: _spliced(cut, inner, stream)
        for stream in set(cut.columns).union(*(c.columns for c in inner.values()))
    }
    return _Cut(gaps + cut.gaps[start:], columns, cut.prefixes | template.prefixes)


def _spliced(cut: _Cut, inner: dict[int, _Cut], stream: str) -> list[Text]:
    old = cut.columns.get(stream) or [None] * (len(cut.gaps) - 1)
    out: list[Text] = []
    start = 0
    for i, piece in inner.items():  # gap i comes right before point i
        out += old[start:i] + (piece.columns.get(stream) or [None] * (len(piece.gaps) - 1))
        start = i
    return out + old[start:]


def _marked(gaps: list[bytes], skeleton: bytes) -> list[int]:
    """Indices of the gaps between points that hold any markup (container tags and such)."""
    ends = np.cumsum(np.fromiter(map(len, gaps), dtype=np.int64, count=len(gaps)))
    starts = np.flatnonzero(np.frombuffer(skeleton, dtype=np.uint8) == ord("<"))
    return cast(list[int], np.unique(np.searchsorted(ends, starts, side="right")).tolist())


def _finish(
    cut: _Cut, skeleton: bytes, marked: list[int], spec: PointSpec
) -> tuple[Points, bytes, set[str]] | None:
    if b":" + spec.point.encode() in skeleton or not all(_closed(cut.gaps[i]) for i in marked):
        return None
    sizes = _sizes(cut.gaps, marked, spec.container.encode())
    return None if sizes is None else (Points(cut.columns, sizes), skeleton, cut.prefixes)


_SECTION = re.compile(rb"<!--|<!\[CDATA\[|<\?|<!")
_SECTION_ENDS = {b"<!--": b"-->", b"<![CDATA[": b"]]>", b"<?": b"?>"}


def _closed(gap: bytes) -> bool:
    """True when every comment, CDATA section or PI in the gap also ends in it (hides no point)."""
    pos = 0
    while (m := _SECTION.search(gap, pos)) is not None:
        closer = _SECTION_ENDS.get(m.group())
        end = gap.find(closer, m.end()) if closer else -1  # a bare "<!" is a DOCTYPE: no
        if closer is None or end < 0:
            return False
        pos = end + len(closer)
    return True


def _sizes(gaps: list[bytes], marked: list[int], container: bytes) -> list[int] | None:
    """Points per container, from the text between points (which holds the container tags)."""
    opener = re.compile(b"<" + re.escape(container) + rb"[ \t\r\n>/]")
    opened = np.zeros(len(gaps), dtype=np.int64)
    for i in marked:
        opened[i] = len(opener.findall(gaps[i]))
    index = np.cumsum(opened[:-1]) - 1
    if index.size == 0 or index[0] < 0:
        return None
    return cast(list[int], np.bincount(index, minlength=int(opened.sum())).tolist())


def _samples(data: bytes, point: bytes, count: int = 16) -> list[bytes]:
    """Return the raw bytes of up to `count` points ("<trkpt ...") spread over the data."""
    found: list[bytes] = []
    for i in range(count):
        start = data.find(point, len(data) * i // count)
        close = data.find(b">", start)
        end = close + 1 if data[close - 1 : close] == b"/" else data.find(b"</" + point[1:], close)
        if min(start, close, end) < 0:
            break
        found.append(data[start : data.find(b">", end) + 1])
    return found


def _tokens(sample: bytes) -> list[tuple[bytes, ...]] | None:
    if len(sample) > 8192:
        return None  # an unusually big point: the tree reads it
    tokens, pos = [], 0
    for m in _TOKEN.finditer(sample):
        if m.start() != pos:  # something the tokenizer does not know
            return None
        tokens.append(m.groups())
        pos = m.end()
    return tokens if pos == len(sample) else None


_SHAPE = re.compile(rb">[^<]*<")
_QUOTES = re.compile(rb'"[^"]*"' + rb"|'[^']*'")


def _template(samples: list[bytes], spec: PointSpec) -> _Template | None:
    """One regex for a whole point: the samples' elements merged in document order."""
    heads: set[tuple[tuple[str, str], ...]] = set()
    merged: list[_Node] = []
    shapes = {_SHAPE.sub(b"><", _QUOTES.sub(b'""', sample)): sample for sample in samples}
    for sample in shapes.values():
        tokens = _tokens(sample)
        if not tokens or tokens[0][1] != spec.point.encode() or tokens[0][0]:
            return None
        head = _attributes(tokens[0][2], _Template())
        if head is None:
            return None
        heads.add(tuple(head))
        if tokens[0][3]:
            continue  # <trkpt .../> adds no elements
        children = _nodes(tokens, 1)
        if children is None or children[1] != len(tokens) - 1:
            return None
        merged = _merge(merged, children[0])
    if len(heads) != 1:
        return None  # the points' attributes differ in order or quoting
    return _regex(heads.pop(), merged, spec)


def _nodes(
    tokens: list[tuple[bytes, ...]], i: int, depth: int = 1
) -> tuple[list[_Node], int] | None:
    """Elements from token i up to the next closing tag, and that tag's index."""
    nodes: list[_Node] = []
    while i < len(tokens) and depth < _DEPTH:
        closing, qname, attrs, empty, text = tokens[i]
        if text is not None:
            if text.strip(b" \t\r\n"):
                return None  # mixed content
            i += 1
            continue
        if closing:
            return nodes, i
        name = qname.decode()
        node = _Node(f"<{name}{attrs.decode('latin-1')}", name, "leaf", empty=bool(empty))
        i, leaf_end = i + 1, None if empty else _leaf(tokens, i)
        if not empty and leaf_end is None:
            inner = _nodes(tokens, i, depth + 1)
            if inner is None or tokens[inner[1]][1] != qname:
                return None
            node.kind, node.children, i = "container", inner[0], inner[1] + 1
        nodes.append(node)
        i = leaf_end or i
    return None


def _leaf(tokens: list[tuple[bytes, ...]], i: int) -> int | None:
    """Index after a leaf element that starts at token i (open, optional text, close)."""
    qname = tokens[i][1]
    j = i + 1 if i + 1 < len(tokens) and tokens[i + 1][4] else i
    if j + 1 < len(tokens) and tokens[j + 1][0] and tokens[j + 1][1] == qname:
        return j + 2
    return None


def _merge(a: list[_Node], b: list[_Node]) -> list[_Node]:
    """Both element lists in one, keeping each one's order (a before b where they differ)."""
    merged: list[_Node] = []
    matcher = SequenceMatcher(None, [n.tag for n in a], [n.tag for n in b], autojunk=False)
    for op, a0, a1, b0, b1 in matcher.get_opcodes():
        if op != "equal":
            merged += a[a0:a1] + b[b0:b1]
            continue
        for x, y in zip(a[a0:a1], b[b0:b1], strict=True):
            kind = "container" if "container" in (x.kind, y.kind) else x.kind
            children = _merge(x.children, y.children)
            merged.append(_Node(x.tag, x.name, kind, children, x.empty or y.empty))
    return merged


def _regex(
    head: tuple[tuple[str, str], ...], nodes: list[_Node], spec: PointSpec
) -> _Template | None:
    t = _Template()
    attributes = _point_attributes(head, spec, t)
    body = _body(nodes, [], spec, t)
    if attributes is None or body is None:
        return None
    p, c = spec.point, spec.container
    # The whitespace after a point is taken too: the gaps between points are then empty
    # bytes, which Python does not allocate. Another point or the container's end must follow.
    follow = rf"{_S}(?=<(?:{p}[ \t\r\n>]|/{c}{_S}>))"
    t.pattern = rf"<{p}{attributes}(?:/>|>{_S}{body}</{p}>){follow}"
    return t


def _body(nodes: list[_Node], chain: list[str], spec: PointSpec, t: _Template) -> str | None:
    parts: list[str] = []
    for node in nodes:
        if _attributes(node.tag.encode("latin-1")[len(node.name) + 1 :], t) is None:
            return None
        t.prefixes.update(node.name.split(":")[:-1])
        local = node.name.split(":")[-1]
        stream = _stream_for(local, chain, spec)
        if node.kind == "container":
            inner = _body(node.children, [*chain, local], spec, t)
            if inner is None or stream is not None:
                return None  # a field name used as a container: leave it to the tree
            content = rf"{_S}{inner}"
        else:
            t.streams += [stream] if stream else []
            content = f"({_TEXT})" if stream else _TEXT
        # Tags exactly as in the samples, "/>" only where a sample had it: fewer steps for sre.
        body = rf">{content}</{re.escape(node.name)}>"
        body = rf"(?:/>|{body})" if node.empty else body
        # Possessive: a matched element is never given back, which spares sre's bookkeeping.
        parts.append(rf"(?:{re.escape(node.tag)}{body}{_S})?+")
    return "".join(parts)


def _attributes(attrs: bytes, template: _Template) -> list[tuple[str, str]] | None:
    """(name, quote) of each attribute, or None unless they are all plain and distinct."""
    found = list(_ATTRIBUTE.finditer(attrs))
    names = [m.group(1).decode() for m in found]
    if sum(len(m.group(0)) for m in found) != len(attrs) or len(set(names)) != len(names):
        return None
    if any(n.startswith("xmlns:") for n in names):
        return None  # a prefix declared inside a point: leave it to the tree
    template.prefixes.update(n.split(":")[0] for n in names if ":" in n)
    return [(n, '"' if m.group(2) is not None else "'") for n, m in zip(names, found, strict=True)]


def _point_attributes(
    found: tuple[tuple[str, str], ...], spec: PointSpec, template: _Template
) -> str | None:
    streams = dict(spec.attributes)
    if sorted(n for n, _ in found) != sorted(streams):
        return None
    template.streams.extend(streams[n] for n, _ in found)
    value = _QUOTED.decode()
    return "".join(rf"[ \t\r\n]++{n}{_S}={_S}{q}({value}*+){q}" for n, q in found)


def _stream_for(local: str, chain: list[str], spec: PointSpec) -> str | None:
    for f in spec.fields:
        depth_ok = chain == ([f.parent] if f.parent else []) or f.parent is None
        if local in f.names and depth_ok:
            return f.stream
    return None


# --- columns to streams --------------------------------------------------------------------------


def float_column(texts: Sequence[Text]) -> tuple[FloatArray, int]:
    """Return the texts as float64 (absent: NaN) and how many were not numbers."""
    try:
        out, bad = np.array(texts, dtype=np.float64), 0  # numpy reads None as NaN
    except ValueError:
        out, bad = _floats_one_by_one([t or b"nan" for t in texts])
    out[~np.isfinite(out)] = np.nan
    return out, bad


def _floats_one_by_one(values: list[bytes]) -> tuple[FloatArray, int]:
    try:
        return np.array(values, dtype=np.float64), 0
    except ValueError:
        pass
    out = np.full(len(values), np.nan)
    bad = 0
    for i, v in enumerate(values):
        try:
            out[i] = float(v)
        except ValueError:
            bad += 1
    return out, bad


def build_streams(
    texts: dict[str, list[Text]], count: int, warnings: list[str]
) -> dict[str, FloatArray]:
    """Return float64 streams: time_s always, other streams where any value is present."""
    times, bad = iso_times(texts.get("time_s", [None] * count))
    streams = {"time_s": times}
    _note(warnings, bad, "time")
    for stream, column in texts.items():
        if stream != "time_s":
            values, bad = float_column(column)
            _note(warnings, bad, stream)
            if np.isfinite(values).any():
                streams[stream] = values
    _blank_bad_coordinates(streams, warnings)
    return streams


def _note(warnings: list[str], bad: int, what: str) -> None:
    if bad:
        warnings.append(f"{bad} {what} values could not be read; they are NaN")


def _blank_bad_coordinates(streams: dict[str, FloatArray], warnings: list[str]) -> None:
    lat, lon = streams.get("lat_deg"), streams.get("lon_deg")
    if lat is None or lon is None:
        if lat is not None or lon is not None:  # half a position is no position
            streams.pop("lat_deg", None)
            streams.pop("lon_deg", None)
            warnings.append("the points have latitudes or longitudes but not both; dropped")
        return
    bad = (np.abs(lat) > 90) | (np.abs(lon) > 180) | (np.isnan(lat) != np.isnan(lon))
    if bad.any():
        lat[bad] = np.nan
        lon[bad] = np.nan
        warnings.append(f"{int(bad.sum())} points had impossible coordinates; they are NaN")


def container_pauses(
    times: FloatArray, sizes: list[int], groups: Sequence[object]
) -> list[tuple[float, float]]:
    """Return (stop, start) times at breaks between non-empty containers of the same group."""
    ends = np.cumsum(sizes)
    pauses: list[tuple[float, float]] = []
    previous: tuple[int, object] | None = None  # end index of the last non-empty container
    for end, size, group in zip(ends, sizes, groups, strict=True):
        if size == 0:
            continue
        if previous is not None and previous[1] == group:
            stop, start = times[previous[0] - 1], times[end - size]
            if stop < start:  # NaN compares false: no pause without both times
                pauses.append((float(stop), float(start)))
        previous = (int(end), group)
    return pauses


# --- ISO 8601 timestamps ---------------------------------------------------------------------

_ISO = re.compile(
    rb"\s*(\d{4})-(\d\d)-(\d\d)[Tt ](\d\d):(\d\d):(\d\d)(\.\d+)?\s*([Zz]|[+-]\d\d(?::?\d\d)?)?\s*"
)
_DIGITS = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18]
_MONTH_DAYS = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
IntArray = npt.NDArray[np.int64]


def iso_times(texts: Sequence[Text]) -> tuple[FloatArray, int]:
    """Return Unix seconds (UTC; no zone means UTC) for ISO 8601 texts, and how many were bad."""
    clean = [t or b"" for t in texts]
    if len(clean) <= 16:  # numpy's fixed cost per call outweighs a few rows
        out = np.array([_one_time(t) if t else np.nan for t in clean])
        return out, sum(1 for t, v in zip(clean, out, strict=True) if t and np.isnan(v))
    lengths = np.fromiter(map(len, clean), dtype=np.int64, count=len(clean))
    out = np.full(len(clean), np.nan)
    same = bool((lengths == lengths[0]).all())  # the usual case: no sort for np.unique
    widths = [lengths[0]] if same else np.unique(lengths)
    for width in (int(w) for w in widths if 19 <= w <= 40):  # bounded, for numpy
        rows = np.flatnonzero(lengths == width) if not same else np.arange(len(clean))
        joined = b"".join(clean if same else [clean[i] for i in rows])
        out[rows] = _vector_times(np.frombuffer(joined, dtype=np.uint8).reshape(rows.size, width))
    left = np.flatnonzero(np.isnan(out) & (lengths > 0))
    for i in left:
        out[i] = _one_time(clean[i])
    return out, int(np.isnan(out[left]).sum())


def _zone_width(row: npt.NDArray[np.uint8]) -> int:
    if row[-1] == ord("Z"):
        return 1
    for width in (6, 5, 3):
        if len(row) - width >= 19 and row[len(row) - width] in (ord("+"), ord("-")):
            return width
    return 0


def _vector_times(codes: npt.NDArray[np.uint8]) -> FloatArray:
    """Parse rows of one width laid out like the first row; NaN where a row differs."""
    width = codes.shape[1]
    zone = _zone_width(codes[0])
    fraction = width - 19 - zone
    if fraction < 0 or fraction == 1 or fraction > 10:  # not a layout this path knows
        return np.full(len(codes), np.nan)
    digits, marks, expected = _layout(width, zone, fraction)
    d = codes - np.uint8(ord("0"))  # uint8 wraps around: anything but a digit is above 9
    tail = [c for c in digits if c >= 19]  # numpy checks the first 19 columns itself
    ok = (d[:, tail] <= 9).all(axis=1) & (codes[:, marks[5:]] == expected[5:]).all(axis=1)
    if zone > 1:
        ok &= (codes[:, width - zone] == ord("+")) | (codes[:, width - zone] == ord("-"))
    rows = np.flatnonzero(ok)
    if rows.size < len(codes):  # copies only when some rows must go to the slow path
        codes, d = codes[rows], d[rows]
    whole, valid = _whole_seconds(codes, d, marks[:5], expected[:5])
    offset = _offsets(d, codes, zone)
    seconds = (whole - offset).astype(np.float64)
    if fraction:
        seconds += _number(d, 20, 19 + fraction) / 10.0 ** (fraction - 1)
    out = np.full(len(ok), np.nan)
    keep = valid & (np.abs(offset) < 86400)
    out[rows[keep]] = seconds[keep]
    return out


def _whole_seconds(
    codes: npt.NDArray[np.uint8],
    d: npt.NDArray[np.uint8],
    marks: list[int],
    expected: npt.NDArray[np.uint8],
) -> tuple[IntArray, npt.NDArray[np.bool_]]:
    """Unix seconds of each row's "YYYY-MM-DDTHH:MM:SS", and which rows hold a real one."""
    try:  # numpy parses (and checks) them in C, but refuses all for one bad date
        stamps = np.ascontiguousarray(codes[:, :19]).view("S19").ravel().astype("datetime64[s]")
        return stamps.astype(np.int64), np.ones(len(codes), dtype=bool)
    except ValueError:  # a leap second, an impossible date, a stray letter: row by row
        whole, valid = _unix_seconds([_number(d, a, b) for a, b in _FIELDS])
        valid &= (d[:, _DIGITS] <= 9).all(axis=1) & (codes[:, marks] == expected).all(axis=1)
        return whole, valid


_FIELDS = [(0, 4), (5, 7), (8, 10), (11, 13), (14, 16), (17, 19)]


@lru_cache(maxsize=64)
def _layout(
    width: int, zone: int, fraction: int
) -> tuple[list[int], list[int], npt.NDArray[np.uint8]]:
    """Digit columns, and the other columns with the byte each must hold, for one layout."""
    marks = {4: ord("-"), 7: ord("-"), 10: ord("T"), 13: ord(":"), 16: ord(":")}
    if fraction:
        marks[19] = ord(".")
    if zone == 1:
        marks[width - 1] = ord("Z")
    if zone == 6:
        marks[width - 3] = ord(":")
    digits = _DIGITS + list(range(20, 19 + fraction)) + _zone_digits(width, zone)
    return digits, list(marks), np.array(list(marks.values()), dtype=np.uint8)


def _zone_digits(width: int, zone: int) -> list[int]:
    start = width - zone + 1
    return [] if zone <= 1 else [c for c in range(start, width) if zone != 6 or c != start + 2]


def _number(d: npt.NDArray[np.uint8], start: int, stop: int) -> IntArray:
    """The decimal number in columns start..stop of every row."""
    out = d[:, start].astype(np.int64)
    for column in range(start + 1, stop):
        out = out * 10 + d[:, column]
    return out


def _offsets(d: npt.NDArray[np.uint8], codes: npt.NDArray[np.uint8], zone: int) -> IntArray:
    """Zone offsets in seconds east of UTC (0 for Z or no zone)."""
    if zone <= 1:
        return np.zeros(len(d), dtype=np.int64)
    start = d.shape[1] - zone
    hours = _number(d, start + 1, start + 3)
    minutes = _number(d, d.shape[1] - 2, d.shape[1]) if zone > 3 else hours * 0
    sign = np.where(codes[:, start] == ord("-"), -1, 1)
    return cast(IntArray, sign * (hours * 3600 + np.where(minutes < 60, minutes, 10**6) * 60))


def _unix_seconds(parts: list[IntArray]) -> tuple[IntArray, npt.NDArray[np.bool_]]:
    """Whole Unix seconds from civil date and time fields, and which rows were valid."""
    year, month, day, hour, minute, second = parts
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    month_days = _MONTH_DAYS[np.clip(month, 1, 12) - 1] + ((month == 2) & leap)
    valid = (month >= 1) & (month <= 12) & (day >= 1) & (day <= month_days)
    valid &= (hour <= 23) & (minute <= 59) & (second <= 60)  # 60: a leap second
    days = _days_from_civil(year, month, day)
    return days * 86400 + hour * 3600 + minute * 60 + second, valid


def _days_from_civil(year: Any, month: Any, day: Any) -> Any:
    """Days since 1970-01-01 (proleptic Gregorian), for ints or numpy arrays alike."""
    y = year - (month <= 2)
    era = y // 400
    yoe = y - era * 400
    doy = (153 * ((month + 9) % 12) + 2) // 5 + day - 1
    return era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468


def _one_time(text: bytes) -> float:
    """Parse one timestamp (few rows, odd widths, lower-case z, spaces...) in plain Python."""
    m = _ISO.fullmatch(text)
    if m is None:
        return float("nan")
    year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
    offset = _zone_seconds(m.group(8) or b"Z")
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    if not 1 <= month <= 12 or offset is None or hour > 23 or minute > 59 or second > 60:
        return float("nan")
    if not 1 <= day <= _MONTH_DAYS[month - 1] + (month == 2 and leap):
        return float("nan")
    whole = _days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second
    return float(whole - offset) + (float(m.group(7)) if m.group(7) else 0.0)


def _zone_seconds(zone: bytes) -> int | None:
    """Seconds east of UTC for "Z", "+01:00", "-0530" or "+02"; None when out of range."""
    if zone in (b"Z", b"z"):
        return 0
    digits = zone[1:].replace(b":", b"")
    hours, minutes = int(digits[:2]), int(digits[2:] or b"0")
    if hours > 23 or minutes > 59:
        return None
    return (1 if zone[:1] == b"+" else -1) * (hours * 3600 + minutes * 60)


def first_time(times: FloatArray) -> datetime | None:
    """The first valid time of a stream as an aware UTC datetime."""
    finite = times[np.isfinite(times)]
    return datetime.fromtimestamp(float(finite[0]), tz=UTC) if finite.size else None
