"""Hardened lxml parsing of untrusted XML: no entities, no DTDs, no network; salvage of cut files."""

from __future__ import annotations

import re
from typing import cast

from lxml import etree

from bikenode.rides.formats.activity import ParseError
from bikenode.rides.formats.xml_spec import PointSpec, local_name, namespace_of

__all__ = [
    "check_root",
    "parse_strict",
    "parse_tree",
    "reject_entity_declarations",
    "skip_space_before_declaration",
]


def check_root(root: etree._Element, spec: PointSpec) -> None:
    """Raise ParseError unless the root is the format's root element in a usable namespace."""
    if local_name(root) != spec.root:
        raise ParseError(f"expected a <{spec.root}> root element, got <{local_name(root)}>")
    namespace = namespace_of(root) or ""
    if "{" in namespace or "}" in namespace:  # lxml cannot name tags in such a namespace
        raise ParseError(f"expected a namespace URI on <{spec.root}>, got {namespace!r}")


def _parser(*, recover: bool = False) -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        recover=recover,
    )


def parse_strict(data: bytes, parser: etree.XMLParser | None = None) -> etree._Element:
    """Return the root of well-formed XML without entity declarations (else raise)."""
    return _without_entities(etree.fromstring(data, parser or _parser()))


def _without_entities(root: etree._Element) -> etree._Element:
    """The root, unless its DOCTYPE declares entities (which the byte check misses in UTF-16)."""
    dtd = root.getroottree().docinfo.internalDTD
    entities = dtd.iterentities() if dtd is not None else ()  # type: ignore[attr-defined]
    if any(True for _ in entities):  # lxml-stubs lack DTD.iterentities
        raise ParseError("expected XML without entity declarations, got a DOCTYPE declaring some")
    return root


def skip_space_before_declaration(data: bytes) -> tuple[bytes, list[str]]:
    """Return the bytes without whitespace before an XML declaration, and a warning if any."""
    bom = b"\xef\xbb\xbf" if data.startswith(b"\xef\xbb\xbf") else b""
    body = data[len(bom) :]
    stripped = body.lstrip(b" \t\r\n")
    if len(stripped) == len(body) or not stripped.startswith(b"<?xml"):
        return data, []
    skipped = len(body) - len(stripped)
    return bom + stripped, [f"skipped {skipped} bytes of whitespace before the XML declaration"]


_FIRST_ELEMENT = re.compile(rb"<[A-Za-z_]")


def reject_entity_declarations(data: bytes, fmt: str) -> None:
    """Raise ParseError when a DOCTYPE before the root element declares entities."""
    # Entities are never expanded; refusing them outright also stops billion-laughs and XXE
    # payloads from reaching anything downstream. UTF-16 files are caught after parsing.
    root = _FIRST_ELEMENT.search(data)  # a DOCTYPE can only come before it
    doctype = data.find(b"<!DOCTYPE", 0, root.start() if root else len(data))
    if doctype >= 0 and data.find(b"<!ENTITY", doctype) >= 0:
        raise ParseError(
            f"expected {fmt} XML without entity declarations, got a DOCTYPE declaring entities"
            " (refused: entity expansion and external entities are unsafe)"
        )


def parse_tree(data: bytes, spec: PointSpec) -> tuple[etree._Element, list[str]]:
    """Return the root of a strict parse, else a lenient or salvaged one, with warnings."""
    if not data.strip():
        raise ParseError(f"expected a {spec.format} XML file, got {len(data)} blank bytes")
    parser = _parser()
    try:
        return parse_strict(data, parser), []
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
        return parse_strict(prefix + closers)
    except etree.XMLSyntaxError:
        return None
