"""``case.jsonld``: a case bundle's records (``case.json``, docs/case-exchange.md)
described in CASE/UCO JSON-LD, for other forensic tools.

The graph holds, for a case:

* a ``case-investigation:Investigation`` (name, status, form ``case``, created time)
  whose ``uco-core:object`` lists every other object of the graph;
* per capture, a ``uco-observable:File`` with a ``FileFacet`` (the original file name,
  else the bundle member path; the member path; size), a ``ContentDataFacet`` (size,
  media type, SHA-256 and MD5 as ``uco-types:Hash``), a ``RasterPictureFacet``
  (width, height) and, when it was read, an ``ExtractedStringsFacet`` holding each OCR
  run's text; the advert's
  ``uco-observable:URL`` and an ``ObservableRelationship`` ``Captured_From`` to it;
  a ``case-investigation:ProvenanceRecord`` (exhibit number) and the acquisition as a
  ``case-investigation:InvestigativeAction`` (performer, instrument, start time);
  each OCR run as an action with the OCR engine as its instrument; each indicator and
  the analyst's notes as a ``uco-core:Annotation``;
* per redacted copy, a ``File`` ``Derived_From`` its original and the redaction action;
* the export itself as an action by the sending analyst.

Analysts are ``uco-identity:Identity`` objects named with ``uco-core:name``; the
workstation and the OCR engines are ``uco-tool:Tool`` objects.

The terms are those of CASE 1.5.0 / UCO 1.5.0 (the ontology case-utils 0.18 validates
against): ``uco-types:hashMethod`` is a plain string from the HashNameVocab values
(typing it ``uco-vocabulary:HashNameVocab`` is a warning since UCO 1.4.0), every node
has an IRI (UCO forbids blank nodes) ending in a UUID (an advisory of UCO).

Plain dicts, no RDF library: the same records always give the same document, byte
for byte once serialised with :func:`case_uco_bytes`, because every ``@id`` is a
UUID 5 of the workspace, the case and what the node describes, never a random one.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable
from typing import Any

from workstation.timeutil import parse_iso

#: The namespace of every UUID in a case's CASE/UCO graph.
CASE_UCO_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:analyst-workstation:case-uco")

#: The base of the graph's node IRIs (``kb:File-<uuid>``).
KB = "urn:analyst-workstation:kb:"

CONTEXT: dict[str, str] = {
    "case-investigation": "https://ontology.caseontology.org/case/investigation/",
    "kb": KB,
    "uco-action": "https://ontology.unifiedcyberontology.org/uco/action/",
    "uco-core": "https://ontology.unifiedcyberontology.org/uco/core/",
    "uco-identity": "https://ontology.unifiedcyberontology.org/uco/identity/",
    "uco-observable": "https://ontology.unifiedcyberontology.org/uco/observable/",
    "uco-tool": "https://ontology.unifiedcyberontology.org/uco/tool/",
    "uco-types": "https://ontology.unifiedcyberontology.org/uco/types/",
    "uco-vocabulary": "https://ontology.unifiedcyberontology.org/uco/vocabulary/",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}

_MEDIA_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "jpg": "image/jpeg",
                "webp": "image/webp", "gif": "image/gif", "bmp": "image/bmp",
                "tiff": "image/tiff", "heic": "image/heic", "heif": "image/heif"}

_HEX = {"SHA256": re.compile(r"^[0-9a-fA-F]{64}$"), "MD5": re.compile(r"^[0-9a-fA-F]{32}$")}

JsonObject = dict[str, Any]


def case_uco_document(records: dict[str, Any]) -> dict[str, Any]:
    """The CASE/UCO JSON-LD graph describing the case in ``records`` (case.json)."""
    return _Graph(records).build()


def case_uco_bytes(records: dict[str, Any]) -> bytes:
    """:func:`case_uco_document` serialised as ``case.jsonld`` (UTF-8, sorted keys)."""
    text = json.dumps(case_uco_document(records), ensure_ascii=False, indent=1,
                      sort_keys=True)
    return (text + "\n").encode("utf-8")


def _ref(node_id: str) -> JsonObject:
    return {"@id": node_id}


def _datetime(value: Any) -> JsonObject | None:
    """An ``xsd:dateTime`` literal of an ISO 8601 time (UTC), or None when there is none."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        moment = parse_iso(value)
    except ValueError:
        return None
    return {"@type": "xsd:dateTime", "@value": moment}


def _text(value: Any) -> str | None:
    """``value`` as a non-empty string, or None."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _put(node: JsonObject, key: str, value: Any) -> None:
    """Set ``node[key]`` unless ``value`` is None or empty."""
    if value is None or value == [] or value == "":
        return
    node[key] = value


class _Graph:
    """Builds the ``@graph``; ``self.nodes`` keeps the top-level objects in order."""

    def __init__(self, records: dict[str, Any]) -> None:
        self.records = records
        case = records.get("case") or {}
        workspace = records.get("workspace") or {}
        scope = f"{workspace.get('id') or ''}|{case.get('name') or ''}"
        self.scope = uuid.uuid5(CASE_UCO_NAMESPACE, scope)
        self.nodes: list[JsonObject] = []
        self.seen: set[str] = set()
        self.app = self._tool("Analyst Workstation", records.get("app_version"))

    # -- identifiers and shared nodes -------------------------------------------------

    def iri(self, kind: str, *key: Any) -> str:
        """The node IRI of a ``kind`` (``File``, ``Hash``...) described by ``key``."""
        name = "|".join([kind, *(str(k) for k in key)])
        return f"kb:{kind}-{uuid.uuid5(self.scope, name)}"

    def add(self, node: JsonObject) -> str:
        """Add a top-level node once (the first time its ``@id`` is seen)."""
        node_id: str = node["@id"]
        if node_id not in self.seen:
            self.seen.add(node_id)
            self.nodes.append(node)
        return node_id

    def _identity(self, name: Any) -> str | None:
        """The IRI of the analyst called ``name`` (None when nameless)."""
        text = _text(name)
        if text is None:
            return None
        return self.add({"@id": self.iri("Identity", text), "@type": "uco-identity:Identity",
                         "uco-core:name": text})

    def _tool(self, name: str, version: Any) -> str:
        """The IRI of a tool (the workstation, an OCR engine) at ``version``."""
        node: JsonObject = {"@id": self.iri("Tool", name, version or ""),
                            "@type": "uco-tool:Tool", "uco-core:name": name}
        _put(node, "uco-tool:version", _text(version))
        return self.add(node)

    def _hashes(self, owner: str, sha256: Any, md5: Any = None) -> list[JsonObject]:
        """``uco-types:Hash`` nodes of the digests given; a malformed SHA-256 is an error."""
        if not isinstance(sha256, str) or not _HEX["SHA256"].match(sha256):
            raise ValueError(f"{owner}: {sha256!r} is not a SHA-256 digest")
        hashes = []
        for method, value in (("SHA256", sha256), ("MD5", md5)):
            if isinstance(value, str) and _HEX[method].match(value):
                hashes.append({
                    "@id": self.iri("Hash", owner, method), "@type": "uco-types:Hash",
                    "uco-types:hashMethod": method,
                    "uco-types:hashValue": {"@type": "xsd:hexBinary",
                                            "@value": value.lower()}})
        return hashes

    def _relationship(self, source: str, target: str, kind: str) -> str:
        """A directional observable relationship ``source`` --kind--> ``target``."""
        return self.add({
            "@id": self.iri("ObservableRelationship", source, kind, target),
            "@type": "uco-observable:ObservableRelationship",
            "uco-core:source": _ref(source), "uco-core:target": _ref(target),
            "uco-core:kindOfRelationship": kind, "uco-core:isDirectional": True})

    def _action(self, key: str, name: str, *, performer: str | None,
                start: Any = None, instrument: str | None = None,
                objects: Iterable[str] = (), results: Iterable[str] = (),
                description: str | None = None) -> str:
        """A ``case-investigation:InvestigativeAction``."""
        node: JsonObject = {"@id": self.iri("InvestigativeAction", key),
                            "@type": "case-investigation:InvestigativeAction",
                            "uco-core:name": name}
        _put(node, "uco-core:description", description)
        _put(node, "uco-action:startTime", _datetime(start))
        if performer:
            node["uco-action:performer"] = _ref(performer)
        if instrument:
            node["uco-action:instrument"] = _ref(instrument)
        _put(node, "uco-action:object", [_ref(o) for o in objects])
        _put(node, "uco-action:result", [_ref(r) for r in results])
        return self.add(node)

    # -- the graph --------------------------------------------------------------------

    def build(self) -> JsonObject:
        """The whole document: context and graph, the investigation first."""
        captures = [c for c in self.records.get("captures") or [] if isinstance(c, dict)]
        evidence: list[str] = []
        for capture in captures:
            evidence.extend(self._capture(capture))
        self._export(evidence)
        investigation = self._investigation()
        return {"@context": dict(CONTEXT), "@graph": [investigation, *self.nodes]}

    def _investigation(self) -> JsonObject:
        """The case; its objects are every other node of the graph."""
        case = self.records.get("case") or {}
        node: JsonObject = {"@id": self.iri("Investigation", case.get("name") or ""),
                            "@type": "case-investigation:Investigation",
                            "case-investigation:investigationForm": "case"}
        _put(node, "uco-core:name", _text(case.get("name")))
        _put(node, "case-investigation:investigationStatus", _text(case.get("status")))
        _put(node, "uco-core:startTime", _datetime(case.get("created_at")))
        _put(node, "uco-core:description", _text(case.get("description")))
        node["uco-core:object"] = [_ref(n["@id"]) for n in self.nodes]
        return node

    def _export(self, evidence: list[str]) -> None:
        """The export of the case to a bundle, by the sending analyst."""
        workspace = self.records.get("workspace") or {}
        head = workspace.get("audit_head") or {}
        parts = [f"Case bundle {self.records.get('format') or ''}".strip()]
        if workspace.get("id"):
            parts.append(f"from workspace {workspace['id']}")
        if head.get("seq") is not None:
            parts.append(f"audit head {head.get('seq')} {head.get('hash') or ''}".strip())
        self._action("export", "case export",
                     performer=self._identity(self.records.get("exported_by")),
                     start=self.records.get("exported_at"), instrument=self.app,
                     objects=evidence, description=", ".join(parts))

    def _capture(self, capture: JsonObject) -> list[str]:
        """The nodes of one capture; returns the IRIs of its files (original first)."""
        sha256 = capture.get("sha256")
        analyst = self._identity(capture.get("analyst"))
        file_id = self.add(self._file(capture))
        url_id = self._url(capture.get("source_url"))
        if url_id:
            self._relationship(file_id, url_id, "Captured_From")
        record = self._provenance(capture, file_id)
        tool = self._tool("Analyst Workstation", capture.get("app_version")) \
            if capture.get("app_version") else self.app
        method = _text(capture.get("capture_method")) or "capture"
        described = [f"capture method: {method}"]
        if capture.get("captured_at_source"):
            described.append(f"time from: {capture['captured_at_source']}")
        if capture.get("imported_at"):
            described.append(f"imported at {capture['imported_at']}")
        self._action(f"capture|{sha256}", f"capture ({method})", performer=analyst,
                     start=capture.get("captured_at"), instrument=tool,
                     objects=[url_id] if url_id else [], results=[file_id, record],
                     description="; ".join(described))
        for index, run in enumerate(capture.get("ocr_runs") or []):
            self._ocr_action(sha256, file_id, index, run)
        self._annotations(capture, file_id, analyst)
        redacted = [self._redaction(capture, file_id, r)
                    for r in capture.get("redactions") or [] if isinstance(r, dict)]
        return [file_id, *redacted]

    def _file(self, capture: JsonObject) -> JsonObject:
        """The original's ``File`` with its file, content, picture and OCR facets."""
        sha256 = capture.get("sha256")
        fid = self.iri("File", sha256)
        member = _text(capture.get("file")) or f"evidence/{sha256}"
        file_facet: JsonObject = {
            "@id": self.iri("FileFacet", sha256), "@type": "uco-observable:FileFacet",
            "uco-observable:fileName": _text(capture.get("original_filename")) or member,
            "uco-observable:filePath": member}
        _put(file_facet, "uco-observable:sizeInBytes", _int(capture.get("size")))
        content: JsonObject = {"@id": self.iri("ContentDataFacet", sha256),
                               "@type": "uco-observable:ContentDataFacet",
                               "uco-observable:hash": self._hashes(fid, sha256,
                                                                   capture.get("md5"))}
        _put(content, "uco-observable:sizeInBytes", _int(capture.get("size")))
        fmt = (_text(capture.get("format")) or "").lower()
        _put(content, "uco-observable:mimeType", _MEDIA_TYPES.get(fmt))
        picture: JsonObject = {"@id": self.iri("RasterPictureFacet", sha256),
                               "@type": "uco-observable:RasterPictureFacet"}
        _put(picture, "uco-observable:pictureType", _text(capture.get("format")))
        _put(picture, "uco-observable:pictureWidth", _int(capture.get("width")))
        _put(picture, "uco-observable:pictureHeight", _int(capture.get("height")))
        facets = [file_facet, content, picture]
        strings = self._ocr_strings(sha256, capture.get("ocr_runs") or [])
        if strings:
            facets.append({"@id": self.iri("ExtractedStringsFacet", sha256),
                           "@type": "uco-observable:ExtractedStringsFacet",
                           "uco-observable:strings": strings})
        node: JsonObject = {"@id": fid, "@type": "uco-observable:File",
                            "uco-core:hasFacet": facets}
        _put(node, "uco-core:tag", [t for t in (_text(x) for x in capture.get("tags") or [])
                                    if t])
        return node

    def _ocr_strings(self, sha256: Any, runs: list[Any]) -> list[JsonObject]:
        """One ``ExtractedString`` per OCR run that read any text."""
        strings = []
        for index, run in enumerate(runs):
            text = run.get("text") if isinstance(run, dict) else None
            if not isinstance(text, str) or not text:
                continue
            string: JsonObject = {"@id": self.iri("ExtractedString", sha256, index),
                                  "@type": "uco-observable:ExtractedString",
                                  "uco-observable:stringValue": text,
                                  "uco-observable:length": len(text)}
            _put(string, "uco-observable:language", _text(run.get("languages")))
            strings.append(string)
        return strings

    def _ocr_action(self, sha256: Any, file_id: str, index: int, run: Any) -> None:
        """One OCR run: the engine read the original."""
        if not isinstance(run, dict):
            return
        engine = _text(run.get("engine")) or "OCR engine"
        parts = [f"languages: {run['languages']}"] if run.get("languages") else []
        for key in ("confidence", "coverage", "duration"):
            if isinstance(run.get(key), int | float):
                parts.append(f"{key}: {run[key]}")
        self._action(f"ocr|{sha256}|{index}", f"OCR run {index}",
                     performer=self._identity(run.get("analyst")),
                     start=run.get("created_at"),
                     instrument=self._tool(engine, run.get("engine_version")),
                     objects=[file_id], description="; ".join(parts) or None)

    def _url(self, value: Any) -> str | None:
        """The ``URL`` observable of the advert's address, or None."""
        text = _text(value)
        if text is None:
            return None
        return self.add({"@id": self.iri("URL", text), "@type": "uco-observable:URL",
                         "uco-core:hasFacet": [{
                             "@id": self.iri("URLFacet", text),
                             "@type": "uco-observable:URLFacet",
                             "uco-observable:fullValue": text}]})

    def _provenance(self, capture: JsonObject, file_id: str) -> str:
        """The capture's provenance record, with its exhibit number when assigned."""
        given = capture.get("exhibit")
        exhibit: JsonObject = given if isinstance(given, dict) else {}
        node: JsonObject = {"@id": self.iri("ProvenanceRecord", capture.get("sha256")),
                            "@type": "case-investigation:ProvenanceRecord",
                            "uco-core:object": [_ref(file_id)]}
        _put(node, "case-investigation:exhibitNumber", _text(exhibit.get("ref")))
        parts = []
        if exhibit.get("ref"):
            parts.append(f"exhibit {exhibit['ref']} assigned by "
                         f"{exhibit.get('assigned_by') or '?'} at "
                         f"{exhibit.get('assigned_at') or '?'}")
        for key in ("platform", "handle", "content_id"):
            if _text(capture.get(key)):
                parts.append(f"{key.replace('_', ' ')}: {capture[key]}")
        _put(node, "uco-core:description", "; ".join(parts) or None)
        return self.add(node)

    def _annotations(self, capture: JsonObject, file_id: str, analyst: str | None) -> None:
        """The analyst's notes and each indicator (with its review) about the capture."""
        sha256 = capture.get("sha256")
        notes = _text(capture.get("notes"))
        if notes:
            node: JsonObject = {"@id": self.iri("Annotation", sha256, "notes"),
                                "@type": "uco-core:Annotation", "uco-core:name": "notes",
                                "uco-core:statement": notes,
                                "uco-core:object": [_ref(file_id)]}
            if analyst:
                node["uco-core:createdBy"] = _ref(analyst)
            self.add(node)
        verdicts = {(r.get("kind"), r.get("normalized")): r
                    for r in capture.get("reviews") or [] if isinstance(r, dict)}
        for indicator in capture.get("indicators") or []:
            if isinstance(indicator, dict):
                self._indicator(sha256, file_id, indicator, verdicts)

    def _indicator(self, sha256: Any, file_id: str, indicator: JsonObject,
                   verdicts: dict[tuple[Any, Any], JsonObject]) -> None:
        """One indicator the reader found, as an annotation of the original."""
        kind = _text(indicator.get("kind")) or "indicator"
        value = _text(indicator.get("normalized")) or _text(indicator.get("value"))
        if value is None:
            return
        parts = [f"found in {indicator['source']}"] if indicator.get("source") else []
        if _text(indicator.get("value")) and indicator.get("value") != value:
            parts.append(f"as read: {indicator['value']}")
        review = verdicts.get((indicator.get("kind"), indicator.get("normalized")))
        tags = ["indicator", kind]
        if review and _text(review.get("verdict")):
            tags.append(str(review["verdict"]))
            parts.append(f"{review['verdict']} by {review.get('analyst') or '?'} "
                         f"at {review.get('reviewed_at') or '?'}")
        node: JsonObject = {"@id": self.iri("Annotation", sha256, kind, value),
                            "@type": "uco-core:Annotation",
                            "uco-core:name": f"{kind} indicator",
                            "uco-core:statement": value, "uco-core:tag": tags,
                            "uco-core:object": [_ref(file_id)]}
        _put(node, "uco-core:description", "; ".join(parts) or None)
        self.add(node)

    def _redaction(self, capture: JsonObject, original: str, redaction: JsonObject) -> str:
        """A redacted copy, ``Derived_From`` its original, and the redaction action."""
        sha256 = redaction.get("sha256")
        fid = self.iri("File", sha256)
        member = _text(redaction.get("file")) or f"redacted/{sha256}.png"
        self.add({"@id": fid, "@type": "uco-observable:File",
                  "uco-core:tag": ["redacted"],
                  "uco-core:hasFacet": [
                      {"@id": self.iri("FileFacet", sha256),
                       "@type": "uco-observable:FileFacet",
                       "uco-observable:fileName": member,
                       "uco-observable:filePath": member},
                      {"@id": self.iri("ContentDataFacet", sha256),
                       "@type": "uco-observable:ContentDataFacet",
                       "uco-observable:mimeType": "image/png",
                       "uco-observable:hash": self._hashes(fid, sha256)}]})
        self._relationship(fid, original, "Derived_From")
        boxes = redaction.get("boxes")
        parts = [f"method: {redaction['method']}"] if redaction.get("method") else []
        if isinstance(boxes, list):
            parts.append(f"{len(boxes)} area(s) covered")
        if redaction.get("log_sha256"):
            parts.append(f"redaction log SHA-256 {redaction['log_sha256']}")
        self._action(f"redaction|{capture.get('sha256')}|{sha256}", "redaction",
                     performer=self._identity(redaction.get("created_by")),
                     start=redaction.get("created_at"), instrument=self.app,
                     objects=[original], results=[fid],
                     description="; ".join(parts) or None)
        return fid


def _int(value: Any) -> int | None:
    """``value`` when it is an integer (not a bool), else None."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None
