"""Random-kill loops: the real CLI is SIGKILLed at least 20 times at varied moments
during import, OCR, sealing, ``pack open`` and ``backup``; whatever the moment, the
workspace verifies, nothing half-written survives the next normal run, and running the
operation again completes it exactly once.

Each loop waits for a sign that the command is under way (its first output line, the
audit head moving, its output or staging folder) and then kills it after a random delay
(spread over how long the rest of a run takes on this machine); any moment must be
safe, so the delay only spreads the kills.  A kill counts only when the process was
still running.  The seed is random (``KILL_SEED`` fixes it) and in every message."""

from __future__ import annotations

import functools
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_cli
from tests.core.packs.support import (  # noqa: F401 - session fixture used by name
    CLI_ENV,
    PASS_ENV,
    Template,
    copy_ws,
    template,
)
from tests.core.packs.test_pack_open_hardening import forge
from tests.imagegen import make_image, make_screenshot
from workstation.packs.format.opening import open_pack
from workstation.packs.format.staging import STAGING_PREFIX
from workstation.storage import compact
from workstation.storage.sqlitelib import sqlite3

pytestmark = pytest.mark.skipif(os.name == "nt", reason="SIGKILL is POSIX")

KILLS = 20
ATTEMPTS = 60


def _seed() -> int:
    return int(os.environ.get("KILL_SEED") or random.randrange(1 << 30))


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("WORKSTATION_HOME", None)
    env.update(CLI_ENV)
    env.update(extra)
    return env


@dataclass
class Loop:
    """Runs a command again and again, SIGKILLing it at a random moment."""

    seed: int
    logs: Path
    env: dict[str, str] = field(default_factory=_env)
    kills: int = 0
    attempts: int = 0
    finished: int = 0

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.logs.mkdir(parents=True, exist_ok=True)

    def run(self, argv: Callable[[int], list[str]], started: Callable[[int, Path], bool],
            cap: float, *, calibrate: bool = True,
            after_kill: Callable[[], None] | None = None) -> None:
        """Until ``KILLS`` kills (at most ``ATTEMPTS`` runs): start ``argv(n)``, wait for
        ``started(n, stdout_file)``, sleep a random while, kill it if still running.

        The first run is not killed: it measures how long the command runs after its sign
        of progress on this machine, and the kills are spread over that time (at most
        ``cap`` seconds).  Without ``calibrate`` they are spread over ``cap`` seconds."""
        window = cap
        while self.kills < KILLS and self.attempts < ATTEMPTS:
            n = self.attempts
            self.attempts += 1
            out, err = self.logs / f"{n}.out", self.logs / f"{n}.err"
            with open(out, "wb") as fo, open(err, "wb") as fe:
                proc = subprocess.Popen([sys.executable, "-m", "cli", *argv(n)], cwd=ROOT,
                                        env=self.env, stdout=fo, stderr=fe)
            try:
                self._wait(proc, functools.partial(started, n, out))
                if n == 0 and calibrate:
                    sign = time.monotonic()
                    proc.wait(timeout=300)
                    window = min(cap, (time.monotonic() - sign) * 0.9)
                time.sleep(self.rng.uniform(0.0, window))
                if proc.poll() is None:
                    proc.send_signal(signal.SIGKILL)
                    self.kills += 1
                proc.wait(timeout=120)
                if after_kill is not None and proc.returncode == -signal.SIGKILL:
                    after_kill()
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
            if proc.returncode != -signal.SIGKILL:
                self.finished += 1
                assert proc.returncode == 0, (
                    f"run {n} failed (seed {self.seed}): {err.read_text()}")
        assert self.kills >= KILLS, (
            f"only {self.kills} of {self.attempts} runs were still running when killed "
            f"(seed {self.seed})")

    def _wait(self, proc: subprocess.Popen[bytes], condition: Callable[[], bool]) -> None:
        deadline = time.monotonic() + 120
        while not condition() and proc.poll() is None:
            assert time.monotonic() < deadline, f"no sign of progress (seed {self.seed})"
            time.sleep(0.005)

    def report(self, what: str, began: float, found: str) -> str:
        line = (f"{what}: {self.kills} kills in {self.attempts} runs ({self.finished} ran to "
                f"the end), {time.monotonic() - began:.1f} s, seed {self.seed}; {found}")
        print(line)
        return line


def _has_output(_n: int, out: Path) -> bool:
    return out.stat().st_size > 0


def _db(ws: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(f"file:{ws / 'workspace.db'}?mode=ro", uri=True)
    compact.install(conn)  # audit_log and ocr_runs.text are read through aw_inflate
    return conn


def _stray_files(root: Path) -> list[str]:
    """Temporary, staging or preview files anywhere under ``root``."""
    return sorted(str(p) for p in root.rglob("*")
                  if p.name.endswith(".tmp") or p.name.startswith((STAGING_PREFIX, ".previews-"))
                  or (p.parent.name == "tmp" and p.parent.parent.name == "evidence"))


def _evidence_files(ws: Path) -> set[str]:
    return {p.name for p in (ws / "evidence").rglob("*")
            if p.is_file() and p.parent.parent.parent == ws / "evidence"}


def _verify(ws: Path, seed: int) -> None:
    checked = run_cli("verify", workspace=ws, env=CLI_ENV)
    assert checked.returncode == 0, (seed, checked.stdout, checked.stderr)


# ----------------------------------------------------------------------------- import


@pytest.mark.slow
def test_import_killed_again_and_again(tmp_path: Path) -> None:
    began = time.monotonic()
    folder = tmp_path / "screenshots"
    folder.mkdir()
    total = 1000  # about 6 s to import, 1 s to find all duplicates
    for i in range(total):
        (folder / f"shot{i:04}.png").write_bytes(make_image(seed=9000 + i, width=160,
                                                            height=240))
    ws = tmp_path / "ws"
    loop = Loop(_seed(), tmp_path / "logs")
    loop.run(lambda _n: ["--workspace", str(ws), "import", str(folder), "--case", "Kill",
                         "--json"], _has_output, 1.0, calibrate=False)
    seed = loop.seed
    _verify(ws, seed)

    conn = _db(ws)
    rows = conn.execute("SELECT id, sha256 FROM captures").fetchall()
    audited = {int(s.split(":")[1]) for (s,) in conn.execute(
        "SELECT subject FROM audit_log WHERE action = 'capture.import'")}
    conn.close()
    assert rows and audited == {r[0] for r in rows}, seed
    orphans = len(_evidence_files(ws) - {sha for _id, sha in rows})

    final = run_cli("import", str(folder), "--case", "Kill", "--json", workspace=ws,
                    env=CLI_ENV)
    assert final.returncode == 0, (seed, final.stderr)
    statuses = [json.loads(line)["status"] for line in final.stdout.splitlines()]
    assert len(statuses) == total, seed
    assert statuses.count("duplicate") == len(rows), seed
    assert statuses.count("imported") == total - len(rows), seed
    listed = json.loads(run_cli("list", "--json", workspace=ws, check=True).stdout)
    assert len(listed) == total, seed
    assert len({c["sha256"] for c in listed}) == total, seed
    # No orphan evidence, no temporary copies.
    assert _evidence_files(ws) == {c["sha256"] for c in listed}, seed
    assert _stray_files(ws) == [], seed
    _verify(ws, seed)
    loop.report("import", began, f"{len(rows)} of {total} imported before the final run, "
                f"{orphans} unreferenced evidence file(s) left by kills")


# -------------------------------------------------------------------------------- OCR


@pytest.mark.slow
def test_ocr_killed_again_and_again(tmp_path: Path) -> None:
    began = time.monotonic()
    folder = tmp_path / "adverts"
    folder.mkdir()
    for i in range(10):
        (folder / f"advert{i}.png").write_bytes(make_screenshot(
            width=540, height=700, seed=300 + i, text=f"boat UK call +44 7700 90010{i}"))
    ws = tmp_path / "ws"
    run_cli("import", str(folder), workspace=ws, env=CLI_ENV, check=True)
    loop = Loop(_seed(), tmp_path / "logs")
    # --all: every run has the whole workload, so a kill always finds work under way.
    loop.run(lambda _n: ["--workspace", str(ws), "ocr", "--all", "--jobs", "1", "--lang",
                         "eng", "--json"], lambda _n, _out: True, 2.5)
    seed = loop.seed
    _verify(ws, seed)

    def runs_per_capture() -> dict[int, int]:
        conn = _db(ws)
        try:
            return dict(conn.execute(
                "SELECT c.id, count(r.id) FROM captures c LEFT JOIN ocr_runs r "
                "ON r.capture_id = c.id GROUP BY c.id").fetchall())
        finally:
            conn.close()

    before = runs_per_capture()
    readings = sum(before.values())
    final = run_cli("ocr", "--all", "--jobs", "1", "--lang", "eng", "--json",
                    workspace=ws, env=CLI_ENV)
    assert final.returncode == 0, (seed, final.stderr)
    done = [json.loads(line) for line in final.stdout.splitlines()]
    assert sorted(d["capture_id"] for d in done) == sorted(before), (seed, done)
    assert all(d["status"] == "done" for d in done), (seed, done)
    # Each capture read exactly once more; the latest reading of each is whole.
    assert runs_per_capture() == {c: k + 1 for c, k in before.items()}, seed
    conn = _db(ws)
    texts = [t for (t,) in conn.execute(
        "SELECT aw_inflate(text) FROM ocr_runs WHERE id IN (SELECT max(id) FROM ocr_runs "
        "GROUP BY capture_id)")]
    conn.close()
    assert len(texts) == 10 and all("boat" in t for t in texts), (seed, texts)
    again = run_cli("ocr", "--pending", "--json", workspace=ws, env=CLI_ENV)
    assert again.returncode == 0 and again.stdout.strip() == "", (seed, again.stdout)
    assert _stray_files(ws) == [], seed
    _verify(ws, seed)
    loop.report("OCR", began, f"{readings} readings stored before the final run")


# ------------------------------------------------------------------------------- seal


def _agency_pub(ws: Path, dest: Path) -> Path:
    exported = run_cli("key", "export", "--minisign", workspace=ws, env=CLI_ENV, check=True)
    dest.write_text(exported.stdout)
    return dest


@pytest.mark.slow
def test_seal_killed_again_and_again(template: Template, tmp_path: Path) -> None:  # noqa: F811
    began = time.monotonic()
    ws = copy_ws(template, tmp_path / "ws")
    pub = _agency_pub(ws, tmp_path / "agency.pub")
    out = tmp_path / "usb"
    out.mkdir()
    # Phone-sized screenshots, so that sealing (previews, ZIP, encryption) takes a while.
    shots = tmp_path / "shots"
    shots.mkdir()
    for i in range(4):
        (shots / f"advert{i}.png").write_bytes(make_screenshot(seed=40 + i, text="boat UK"))
    imported = run_cli("import", str(shots), "--url", "https://www.tiktok.com/@boats/video/1",
                       "--json", workspace=ws, env=CLI_ENV, check=True)
    ids = [*template.captures[:2], *(json.loads(line)["id"]
                                     for line in imported.stdout.splitlines())]
    captures = ",".join(str(c) for c in ids)  # all TikTok

    def build(name: str) -> list[str]:
        return ["--workspace", str(ws), "pack", "build", "--contact",
                str(template.tiktok_age), "--captures", captures, "--reason", "kill loop",
                "-o", str(out / f"{name}.alertpack.age"), "--passphrase-env", PASS_ENV]

    run_cli(*build("first")[2:], workspace=ws, env=CLI_ENV, check=True)

    heads: dict[int, bytes] = {}

    def argv(n: int) -> list[str]:
        heads[n] = (ws / "audit.head").read_bytes()
        return build(f"killed{n}")

    def started(n: int, out: Path) -> bool:
        """Even runs: the key is unlocked and the draft recorded (the audit head moved),
        sealing is under way.  Odd runs: the key is being unlocked (the unverified-contact
        warning is out); these kills are cheap and write nothing."""
        if n % 2:
            return out.with_suffix(".err").stat().st_size > 0
        return (ws / "audit.head").read_bytes() != heads[n]

    mid_write = []  # kills that left a half-written pack (removed by the next build)
    seen: set[str] = set()

    def count_temporary() -> None:
        left = {*_stray_files(out), *_stray_files(ws / "outbox")}
        mid_write.append(bool(left - seen))
        seen.update(left)

    loop = Loop(_seed(), tmp_path / "logs")
    loop.run(argv, started, 10.0, after_kill=count_temporary)
    seed = loop.seed
    _verify(ws, seed)

    sealed_by_killed = len(list((ws / "outbox").iterdir())) - 1 - loop.finished
    final = run_cli(*build("final")[2:], workspace=ws, env=CLI_ENV)
    assert final.returncode == 0, (seed, final.stderr)
    assert _stray_files(out) == [] and _stray_files(ws) == [], seed
    _verify(ws, seed)

    # Every sealed pack, beside -o and in the outbox, is complete and opens VALID.
    packs = json.loads(run_cli("pack", "list", "--json", workspace=ws, env=CLI_ENV,
                               check=True).stdout)
    outbox = {Path(p["file"]).name for p in packs if p.get("file")}
    assert {p.name for p in (ws / "outbox").iterdir()} == outbox, seed
    files = sorted([*out.iterdir(), *(ws / "outbox").iterdir()])
    assert {"first.alertpack.age", "final.alertpack.age"} <= {p.name for p in files}, seed
    for i, file in enumerate(files):
        opened = open_pack(file, template.age_key, pub, tmp_path / "opened" / str(i))
        assert opened.valid, (seed, file, opened.failure)
    # A build killed before its seal was recorded leaves a draft (audited), never a
    # sealed pack without its file.
    drafts = [p for p in packs if p["state"] == "draft"]
    assert all(not p.get("file") for p in drafts), (seed, drafts)
    assert len(packs) - len(drafts) == len(outbox), (seed, packs)
    cli_open = run_cli("pack", "open", str(out / "final.alertpack.age"), "--identity",
                       str(template.age_key), "--trust", str(pub), env=CLI_ENV)
    assert cli_open.returncode == 0 and "VALID" in cli_open.stdout, (seed, cli_open.stdout)
    loop.report("seal", began, f"{sum(mid_write)} kill(s) while writing the pack, "
                f"{sealed_by_killed} after, {len(drafts)} draft(s) left")


# -------------------------------------------------------------------------- pack open


@pytest.mark.slow
def test_pack_open_killed_again_and_again(tmp_path: Path) -> None:
    began = time.monotonic()
    pack_dir = tmp_path / "pack"
    pack_dir.mkdir()
    forged = forge(pack_dir, evidence=os.urandom(24 << 20))
    parent, private_tmp = tmp_path / "out", tmp_path / "tmpdir"
    parent.mkdir()
    private_tmp.mkdir()

    def argv(n: int) -> list[str]:
        return ["pack", "open", str(forged.file), "--identity", str(forged.identity),
                "--trust", str(forged.trust), "-o", str(parent / f"opened{n}")]

    reference = open_pack(forged.file, forged.identity, forged.trust, tmp_path / "reference")
    assert reference.valid, reference.failure
    expected = {p.relative_to(tmp_path / "reference").as_posix(): p.read_bytes()
                for p in (tmp_path / "reference").rglob("*") if p.is_file()}

    def staging(_n: int, _out: Path) -> bool:
        return any(p.name.startswith(STAGING_PREFIX) for p in parent.iterdir())

    loop = Loop(_seed(), tmp_path / "logs", env=_env(TMPDIR=str(private_tmp)))
    loop.run(argv, staging, 1.5)
    seed = loop.seed

    def check_tree() -> list[str]:
        opened = []
        for entry in parent.iterdir():
            if entry.name.startswith(STAGING_PREFIX):
                continue  # left by a killed run: removed by the next one (checked below)
            files = {p.relative_to(entry).as_posix(): p.read_bytes()
                     for p in entry.rglob("*") if p.is_file()}
            assert files == expected, (seed, entry, sorted(files))
            opened.append(entry.name)
        return opened

    complete = len(check_tree()) - loop.finished
    staged = len([p for p in parent.iterdir() if p.name.startswith(STAGING_PREFIX)])
    final = subprocess.run([sys.executable, "-m", "cli", *argv(ATTEMPTS)], cwd=ROOT,
                           env=_env(TMPDIR=str(private_tmp)), capture_output=True, text=True,
                           timeout=300)
    assert final.returncode == 0 and "VALID" in final.stdout, (seed, final.stdout)
    assert f"opened{ATTEMPTS}" in check_tree(), seed
    assert [p for p in parent.iterdir() if p.name.startswith(STAGING_PREFIX)] == [], seed
    assert list(private_tmp.iterdir()) == [], seed
    # No decrypted pack anywhere.
    assert [p for p in tmp_path.rglob("*.zip")] == [], seed
    loop.report("pack open", began, f"{complete} killed run(s) had finished the output, "
                f"{staged} staging folder(s) left by kills")


# ----------------------------------------------------------------------------- backup


def _records(ws: Path) -> tuple[object, object]:
    listed = run_cli("list", "--json", workspace=ws, env=CLI_ENV, check=True)
    packs = json.loads(run_cli("pack", "list", "--json", workspace=ws, env=CLI_ENV,
                               check=True).stdout)
    for pack in packs:
        pack["file"] = os.path.relpath(pack["file"], ws)
    return json.loads(listed.stdout), packs


def _tree_bytes(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in folder.rglob("*") if p.is_file()}


def test_restore_refuses_a_backup_stopped_before_its_last_step(
        template: Template, tmp_path: Path) -> None:  # noqa: F811
    """What a backup killed after copying the outbox leaves: no secret store (the agency's
    private keys) and no ``audit.head`` (written last).  Restoring it used to succeed and
    say "verified", giving a workspace that can no longer sign a pack."""
    ws = copy_ws(template, tmp_path / "ws")
    made = tmp_path / "backup"
    run_cli("backup", str(made), workspace=ws, env=CLI_ENV, check=True)
    for stopped_at in ("secrets", "audit.head"):
        shutil.rmtree(made / "secrets", ignore_errors=True)  # not yet copied
        (made / "audit.head").unlink(missing_ok=True)         # not yet written
        if stopped_at == "audit.head":  # killed between the secret store and the anchor
            shutil.copytree(ws / "secrets", made / "secrets")
        target = tmp_path / f"restored-{stopped_at}"
        refused = run_cli("restore", str(made), str(target), env=CLI_ENV)
        assert refused.returncode == 1, (stopped_at, refused.stdout)
        assert refused.stderr.splitlines() == [
            f"workstation: error: the backup at {made} is incomplete or altered (audit.head "
            "is missing: the backup did not finish); nothing was kept"], refused.stderr
        assert not target.exists()


@pytest.mark.slow
def test_backup_killed_again_and_again(template: Template, tmp_path: Path) -> None:  # noqa: F811
    began = time.monotonic()
    ws = copy_ws(template, tmp_path / "ws")
    run_cli("pack", "build", "--contact", str(template.tiktok_age), "--captures",
            str(template.captures[0]), "-o", str(tmp_path / "p.alertpack.age"),
            "--passphrase-env", PASS_ENV, workspace=ws, env=CLI_ENV, check=True)
    folder = tmp_path / "screenshots"
    folder.mkdir()
    for i in range(150):
        (folder / f"shot{i:03}.png").write_bytes(make_image(seed=7000 + i, width=300,
                                                            height=500))
    run_cli("import", str(folder), workspace=ws, env=CLI_ENV, check=True)
    records = _records(ws)
    secrets = _tree_bytes(ws / "secrets")
    assert secrets, "the template has a secret store"
    backups = tmp_path / "backups"

    def started(n: int, _out: Path) -> bool:
        return (backups / f"b{n}").exists()

    loop = Loop(_seed(), tmp_path / "logs")
    loop.run(lambda n: ["--workspace", str(ws), "backup", str(backups / f"b{n}")], started,
             1.5)
    seed = loop.seed
    _verify(ws, seed)

    restored_ok = refused = 0
    for n in range(loop.attempts):
        made = backups / f"b{n}"
        if not made.exists():
            continue
        target = tmp_path / "restored" / str(n)
        done = run_cli("restore", str(made), str(target), env=CLI_ENV)
        if done.returncode != 0:
            assert done.returncode == 1 and len(done.stderr.splitlines()) == 1, (
                seed, n, done.stderr)
            assert not target.exists(), (seed, n)
            refused += 1
            continue
        # A backup restore accepts is a whole one: every record, the keys, and it verifies.
        restored_ok += 1
        _verify(target, seed)
        assert _records(target) == records, (seed, n)
        assert _tree_bytes(target / "secrets") == secrets, (seed, n)
    final = run_cli("backup", str(backups / "final"), workspace=ws, env=CLI_ENV)
    assert final.returncode == 0, (seed, final.stderr)
    target = tmp_path / "restored" / "final"
    done = run_cli("restore", str(backups / "final"), str(target), env=CLI_ENV)
    assert done.returncode == 0, (seed, done.stderr)
    _verify(target, seed)
    assert _records(target) == records, seed
    assert _stray_files(backups / "final") == [] and _stray_files(target) == [], seed
    loop.report("backup", began, f"{restored_ok - loop.finished} killed backup(s) were whole "
                f"and restored, {refused} refused by restore")
