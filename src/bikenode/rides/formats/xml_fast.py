"""The byte-level fast path: one regex learnt from sample points cuts every point from the bytes.

Its character classes admit only ASCII text without markup or references, so a match is
well-formed XML by construction; the skeleton between the points goes through a strict lxml
parse, and anything the regex cannot vouch for returns None, for the tree path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import cast

import numpy as np
from lxml import etree

from bikenode.rides.formats.xml_parse import check_root, parse_strict
from bikenode.rides.formats.xml_spec import Document, Points, PointSpec, Text, local_name
from bikenode.rides.formats.xml_tree import FIELD_DEPTH, point_containers

__all__ = ["fast_document"]


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


def fast_document(data: bytes, spec: PointSpec) -> Document | None:
    """Read the points with the learnt regex; None when the tree path must read the file."""
    found = _fast_points(data, spec) if _ascii_compatible(data) else None
    if found is None:
        return None
    points, skeleton, prefixes = found
    try:
        root = parse_strict(skeleton)
    except etree.XMLSyntaxError:
        return None  # the tree path will say what is wrong
    if local_name(root) != spec.root or not prefixes <= {"xml", *root.nsmap}:
        return None
    check_root(root, spec)
    containers = point_containers(root, spec)
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
    while i < len(tokens) and depth < FIELD_DEPTH:
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
