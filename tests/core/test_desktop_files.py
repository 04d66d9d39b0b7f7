"""Desktop integration files: the .desktop entry, the AppStream metainfo and the icon
they name (packaging/, workstation/resources/icons/)."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest

from tests.conftest import ROOT
from workstation.resources import resources_dir

DESKTOP = ROOT / "packaging" / "analyst-workstation.desktop"
METAINFO = ROOT / "packaging" / "uk.gov.analyst-workstation.metainfo.xml"


def test_the_desktop_entry_starts_the_window_with_our_icon() -> None:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read_string(DESKTOP.read_text(encoding="utf-8"))
    entry = parser["Desktop Entry"]
    assert entry["Type"] == "Application"
    assert entry["Name"] == "Analyst Workstation"
    assert entry["Exec"] == "workstation-gui"
    assert entry["Icon"] == "analyst-workstation"
    assert entry["Categories"] == "Office;Security;"
    icon = resources_dir() / "icons" / f"{entry['Icon']}.svg"
    root = ET.parse(icon).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg" and root.get("viewBox")
    # The launcher named by Exec is the one pyproject installs.
    assert 'workstation-gui = "cli.main:run_gui"' in (ROOT / "pyproject.toml").read_text()


def test_the_metainfo_describes_and_launches_the_app() -> None:
    root = ET.parse(METAINFO).getroot()
    assert root.tag == "component" and root.get("type") == "desktop-application"
    assert root.findtext("id") == "uk.gov.analyst-workstation"
    assert root.findtext("name") == "Analyst Workstation"
    assert (root.findtext("summary") or "").strip()
    assert root.findtext("metadata_license") == "CC0-1.0"
    assert root.findall("description/p")
    launchable = root.find("launchable")
    assert launchable is not None and launchable.get("type") == "desktop-id"
    assert launchable.text == DESKTOP.name


def test_appstream_accepts_the_metainfo() -> None:
    tool = shutil.which("appstreamcli")
    if tool is None:
        pytest.skip("appstreamcli is not installed")
    done = subprocess.run([tool, "validate", "--no-net", str(METAINFO)], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
