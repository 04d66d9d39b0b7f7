"""``case.jsonld`` (workstation/exchange/caseuco.py): the case bundle's records in
CASE/UCO JSON-LD, checked with the CASE community's own validator (``case_validate``
from case-utils, run offline against the CASE 1.5.0 ontology it ships with)."""

from __future__ import annotations

import copy
import hashlib
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tests.conftest import ROOT
from workstation.exchange.caseuco import case_uco_bytes, case_uco_document

#: case-utils' validator, installed next to the interpreter running the tests (.venv).
CASE_VALIDATE = Path(sys.executable).parent / "case_validate"
#: The ontology the documents are written for (bundled with case-utils 0.18, no network).
CASE_VERSION = "case-1.5.0"


def _digest(label: str, length: int = 64) -> str:
    return hashlib.sha256(label.encode()).hexdigest()[:length]


ORIGINAL = _digest("capture one")
PLAIN = _digest("capture two")
REDACTED = _digest("capture one, redacted")


def full_records() -> dict[str, Any]:
    """case.json of a case with two captures (docs/case-exchange.md): one with
    everything (URL, exhibit, OCR run, indicator and its review, notes, a redaction),
    one with the optional fields null or empty."""
    return {
        "format": "analyst-workstation-case/1",
        "exported_at": "2026-12-06T10:00:00.000Z", "exported_by": "Alice Brown",
        "app_version": "0.1.0",
        "workspace": {"id": _digest("workspace", 32), "signing_key_id": _digest("key", 16),
                      "audit_head": {"seq": 812, "hash": _digest("head")}},
        "case": {"name": "Op Tide", "status": "open", "created_at": "2026-11-20T09:00:00.000Z"},
        "captures": [
            {"sha256": ORIGINAL, "md5": _digest("md5 one", 32), "size": 48213,
             "format": "PNG", "width": 800, "height": 600,
             "captured_at": "2026-11-21T14:03:00.000Z", "captured_at_source": "analyst",
             "imported_at": "2026-11-21T14:05:12.345Z", "analyst": "Alice Brown",
             "capture_method": "import", "original_filename": "advert.png",
             "source_url": "https://www.facebook.com/groups/123/posts/456",
             "platform": "facebook", "handle": "@crossings", "content_id": "456",
             "notes": "Advert offering a crossing; price in the comments.",
             "app_version": "0.1.0", "file": f"evidence/{ORIGINAL}", "tags": ["boat"],
             "exhibit": {"ref": "AB/1", "assigned_at": "2026-11-22T10:00:00.000Z",
                         "assigned_by": "Alice Brown"},
             "ocr_runs": [{"engine": "tesseract", "engine_version": "5.3.0",
                           "languages": "ara+eng", "params": {"psm": 3},
                           "text": "رحلة إلى بريطانيا\nCall +44 7700 900123", "words": [],
                           "confidence": 91.0, "duration": 1.2,
                           "created_at": "2026-11-21T14:06:00.000Z", "analyst": "Alice Brown",
                           "advert_languages": "ara", "coverage": 0.98, "unread": []}],
             "indicators": [{"kind": "phone", "value": "+44 7700 900123",
                             "normalized": "+447700900123", "source": "ocr", "run": 0,
                             "box": [10, 20, 200, 40]}],
             "reviews": [{"kind": "phone", "normalized": "+447700900123",
                          "verdict": "confirmed", "analyst": "Bob Cole",
                          "reviewed_at": "2026-11-23T08:00:00.000Z"}],
             "redactions": [{"original_sha256": ORIGINAL, "sha256": REDACTED,
                             "boxes": [[0, 0, 120, 40]], "log_sha256": _digest("log"),
                             "method": "black-box", "created_at": "2026-11-24T08:00:00.000Z",
                             "created_by": "Bob Cole", "file": f"redacted/{REDACTED}.png"}]},
            {"sha256": PLAIN, "md5": None, "size": 99, "format": "JPEG", "width": None,
             "height": None, "captured_at": "2026-11-25T00:00:00.000Z",
             "captured_at_source": "system", "imported_at": "2026-11-25T00:00:00.000Z",
             "analyst": "Bob Cole", "capture_method": "paste", "original_filename": None,
             "source_url": None, "platform": None, "handle": None, "content_id": None,
             "notes": "", "app_version": "0.1.0", "file": f"evidence/{PLAIN}", "tags": [],
             "exhibit": None, "ocr_runs": [], "indicators": [], "reviews": [],
             "redactions": []},
        ],
        "timestamps": [{"kind": "audit", "subject": "audit:812", "digest": _digest("head"),
                        "gen_time": "2026-12-06T10:00:01Z", "tsa_url": "https://tsa.example",
                        "file": "timestamps/1.tsr"}],
        "audit": {"entries": [], "chain": [[1, _digest("e1")]]},
    }


def sparse_records() -> dict[str, Any]:
    """A second case: only the minimal capture, nothing optional at the top either."""
    records = full_records()
    records["case"] = {"name": "Op Sparse", "status": "closed", "created_at": None}
    records["exported_by"] = None
    records["app_version"] = None
    records["captures"] = records["captures"][1:]
    return records


def run_case_validate(*paths: Path) -> subprocess.CompletedProcess[str]:
    """``case_validate`` on ``paths`` (pooled into one graph), offline."""
    assert CASE_VALIDATE.exists(), "case-utils is a dev dependency: pip install -e '.[dev]'"
    return subprocess.run([str(CASE_VALIDATE), "--built-version", CASE_VERSION,
                           *map(str, paths)], capture_output=True, text=True, cwd=ROOT,
                          timeout=300, check=False)


def nodes(value: Any) -> Iterator[dict[str, Any]]:
    """Every node of a JSON-LD value with an ``@type``, nested ones too."""
    if isinstance(value, dict):
        if "@type" in value and "@id" in value:
            yield value
        for item in value.values():
            yield from nodes(item)
    elif isinstance(value, list):
        for item in value:
            yield from nodes(item)


def of_type(document: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [n for n in nodes(document) if n["@type"] == kind]


def sha256_hash_values(document: dict[str, Any]) -> set[str]:
    return {h["uco-types:hashValue"]["@value"] for h in of_type(document, "uco-types:Hash")
            if h["uco-types:hashMethod"] == "SHA256"}


def test_case_validate_accepts_the_documents(tmp_path: Path) -> None:
    full, sparse = tmp_path / "full.jsonld", tmp_path / "sparse.jsonld"
    full.write_bytes(case_uco_bytes(full_records()))
    sparse.write_bytes(case_uco_bytes(sparse_records()))
    result = run_case_validate(full, sparse)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Conforms: True" in result.stdout
    # No term outside the ontology (case_validate warns of them on stderr).
    assert "NonExistentCDOConcept" not in result.stderr


def test_case_validate_rejects_a_hash_that_is_not_hex(tmp_path: Path) -> None:
    """The check can fail: a ``uco-types:hashValue`` typed ``xsd:hexBinary`` that is not
    hexadecimal is a SHACL violation."""
    document = case_uco_document(full_records())
    digests = of_type(document, "uco-types:Hash")
    digests[0]["uco-types:hashValue"]["@value"] = "not-a-digest"
    path = tmp_path / "broken.jsonld"
    path.write_text(json.dumps(document))
    result = run_case_validate(path)
    assert result.returncode != 0
    assert "Conforms: False" in result.stdout
    assert "hexBinary" in result.stdout


def test_case_validate_rejects_a_wrong_type_and_an_unknown_term(tmp_path: Path) -> None:
    document = case_uco_document(full_records())
    facet = of_type(document, "uco-observable:FileFacet")[0]
    facet["uco-observable:sizeInBytes"] = "48213"  # a string, not an xsd:integer
    document["@graph"][0]["uco-core:caseNumber"] = "AB"  # no such UCO property
    path = tmp_path / "broken.jsonld"
    path.write_text(json.dumps(document))
    result = run_case_validate(path)
    assert result.returncode != 0
    assert "Conforms: False" in result.stdout and "sizeInBytes" in result.stdout
    assert "uco/core/caseNumber" in result.stderr


def test_the_document_names_each_file_by_its_digests() -> None:
    document = case_uco_document(full_records())
    assert sha256_hash_values(document) == {ORIGINAL, PLAIN, REDACTED}
    md5 = {h["uco-types:hashValue"]["@value"] for h in of_type(document, "uco-types:Hash")
           if h["uco-types:hashMethod"] == "MD5"}
    assert md5 == {_digest("md5 one", 32)}
    names = {f["uco-observable:fileName"] for f in of_type(document, "uco-observable:FileFacet")}
    assert names == {"advert.png", f"evidence/{PLAIN}", f"redacted/{REDACTED}.png"}
    for value in (h["uco-types:hashValue"] for h in of_type(document, "uco-types:Hash")):
        assert value["@type"] == "xsd:hexBinary"


def test_the_redacted_copy_derives_from_its_original_and_the_ocr_text_is_there() -> None:
    document = case_uco_document(full_records())
    files = {n["@id"]: n for n in of_type(document, "uco-observable:File")}
    by_digest = {h["uco-types:hashValue"]["@value"]: file_id
                 for file_id, file in files.items()
                 for h in of_type(file, "uco-types:Hash")}
    derived = [(r["uco-core:source"]["@id"], r["uco-core:target"]["@id"])
               for r in of_type(document, "uco-observable:ObservableRelationship")
               if r["uco-core:kindOfRelationship"] == "Derived_From"]
    assert derived == [(by_digest[REDACTED], by_digest[ORIGINAL])]
    strings = of_type(files[by_digest[ORIGINAL]], "uco-observable:ExtractedString")
    assert [s["uco-observable:stringValue"] for s in strings] == \
        ["رحلة إلى بريطانيا\nCall +44 7700 900123"]
    assert strings[0]["uco-observable:language"] == "ara+eng"


def test_the_case_its_provenance_and_actions() -> None:
    document = case_uco_document(full_records())
    investigation = document["@graph"][0]
    assert investigation["@type"] == "case-investigation:Investigation"
    assert investigation["uco-core:name"] == "Op Tide"
    assert investigation["case-investigation:investigationStatus"] == "open"
    top = {n["@id"] for n in document["@graph"][1:]}
    assert {o["@id"] for o in investigation["uco-core:object"]} == top
    records = of_type(document, "case-investigation:ProvenanceRecord")
    assert sorted(r.get("case-investigation:exhibitNumber", "") for r in records) == ["", "AB/1"]
    urls = [f["uco-observable:fullValue"] for f in of_type(document, "uco-observable:URLFacet")]
    assert urls == ["https://www.facebook.com/groups/123/posts/456"]
    actions = {a["uco-core:name"]: a
               for a in of_type(document, "case-investigation:InvestigativeAction")}
    assert set(actions) == {"capture (import)", "capture (paste)", "OCR run 0", "redaction",
                            "case export"}
    people = {p["@id"]: p["uco-core:name"] for p in of_type(document, "uco-identity:Identity")}
    export = actions["case export"]
    assert people[export["uco-action:performer"]["@id"]] == "Alice Brown"
    assert export["uco-action:startTime"] == {"@type": "xsd:dateTime",
                                              "@value": "2026-12-06T10:00:00.000Z"}
    assert actions["capture (import)"]["uco-action:startTime"]["@value"] == \
        "2026-11-21T14:03:00.000Z"
    statements = {a["uco-core:statement"] for a in of_type(document, "uco-core:Annotation")}
    assert "+447700900123" in statements


def test_the_same_records_give_the_same_bytes() -> None:
    assert case_uco_document(full_records()) == case_uco_document(full_records())
    assert case_uco_bytes(full_records()) == case_uco_bytes(full_records())
    ids = [n["@id"] for n in nodes(case_uco_document(full_records()))]
    assert len(ids) == len(set(ids))
    other = copy.deepcopy(full_records())
    other["workspace"]["id"] = _digest("another workspace", 32)
    assert sha256_hash_values(case_uco_document(other)) == {ORIGINAL, PLAIN, REDACTED}
    # Another workspace's case gets other node IRIs.
    assert not set(ids) & {n["@id"] for n in nodes(case_uco_document(other))}


def test_writing_the_document_imports_no_rdf_library() -> None:
    code = ("import sys, workstation.exchange.caseuco\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('rdflib', 'case_utils', 'pyshacl', 'owlrl', 'pandas')))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=ROOT, check=True)
    assert result.stdout.strip() == "[]"
