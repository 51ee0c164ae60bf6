"""`authprobe init`: a skeleton that loads as a profile, a .env.example, and nothing overwritten."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

from authprobe.profile import load_profile

ROOT = Path(__file__).resolve().parent.parent


def init(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "authprobe.cli", "init", *args], cwd=folder,
                          capture_output=True, text=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)})


def test_the_skeleton_loads_as_a_profile_and_every_commented_line_would_too(tmp_path: Path) -> None:
    done = init(tmp_path, "--name", "shop")
    assert done.returncode == 0, done.stderr
    profile = load_profile(str(tmp_path / "shop.toml"))
    assert profile.name == "shop" and profile.paths.login == "/login"
    # uncommenting the examples must give valid TOML as well
    text = (tmp_path / "shop.toml").read_text()
    assert text.startswith("#:schema file://") and text.splitlines()[0].endswith("profile.schema.json")
    uncommented = "\n".join(line[2:] if line.startswith("# ") and "=" in line and not
                            line.startswith("# authprobe") else line for line in text.splitlines())
    tomllib.loads(re.sub(r"(?m)^# \[", "[", uncommented))  # commented tables, not "# [paths] …" notes
    env = (tmp_path / ".env.example").read_text()
    assert "E2E_TARGET=shop.toml" in env and "E2E_IMAP_PASSWORD=\n" in env


def test_init_never_overwrites_and_says_so_in_one_sentence(tmp_path: Path) -> None:
    mine = tmp_path / "shop.toml"
    mine.write_text("# mine\n")
    done = init(tmp_path, "--name", "shop")
    assert done.returncode == 2
    assert done.stderr.startswith("authprobe: ") and "never overwrites" in done.stderr
    assert "Traceback" not in done.stderr and mine.read_text() == "# mine\n"
    assert not (tmp_path / ".env.example").exists()


def test_a_name_that_is_no_file_name_is_refused(tmp_path: Path) -> None:
    done = init(tmp_path, "--name", "../up")
    assert done.returncode == 2 and "--name" in done.stderr and not list(tmp_path.iterdir())
