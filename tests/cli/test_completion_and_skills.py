"""``jug --print-completion bash|zsh|tcsh`` (each script run in its real shell) and
``jug install-skills --output DIR`` (the files, and their example jugfiles run)."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

JUG = [sys.executable, "-m", "jug"]


def _script(shell: str) -> str:
    done = subprocess.run([*JUG, "--print-completion", shell], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_bash_completion():
    script = _script("bash")
    probe = (
        """
        complete() { :; }   # not interactive: only the function matters
        source /dev/stdin <<'JUGSCRIPT'
{script}
JUGSCRIPT
        ask() {{ COMP_WORDS=("$@"); COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 )); _jug; echo "${{COMPREPLY[*]}}"; }}
        ask jug exe
        ask jug execute --keep
        ask jug-execute --wait
        ask jug status --verbose ""
        ask jug --print-completion z
        ask jug in
    """.replace("{script}", script)
        .replace("{{", "{")
        .replace("}}", "}")
    )
    done = subprocess.run(["bash", "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "execute",
        "--keep-failed --keep-going",
        "--wait-cycle-time",
        "debug info warning error quiet",
        "zsh",
        "install-skills invalidate",
    ]


@pytest.mark.skipif(shutil.which("zsh") is None, reason="zsh is not installed")
def test_zsh_completion(tmp_path):
    (tmp_path / "jug.zsh").write_text(_script("zsh"))
    probe = """
        compdef() { : }
        compadd() { print -r -- "${@:2}" }
        _files() { print -r -- "(files $*)" }
        source ./jug.zsh
        service=jug words=(jug exe) CURRENT=2 PREFIX=exe _jug | tr '\\n' ' '; print
        service=jug words=(jug status --v) CURRENT=3 PREFIX=--v _jug | grep -c -- --verbose
        service=jug-execute words=(jug-execute --keep) CURRENT=2 PREFIX=--keep _jug | grep -c keep-going
        service=jug words=(jug execute x) CURRENT=3 PREFIX=x _jug
    """
    done = subprocess.run(["zsh", "-f", "-c", probe], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert "execute" in lines[0].split() and "status" in lines[0].split()
    assert lines[1:] == ["1", "1", "(files -g *.py)"]


@pytest.mark.skipif(shutil.which("tcsh") is None, reason="tcsh is not installed")
def test_tcsh_completion(tmp_path):
    (tmp_path / "jug.tcsh").write_text(_script("tcsh"))
    done = subprocess.run(
        ["tcsh", "-f", "-c", "source jug.tcsh; complete jug; complete jug-execute"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert "p/1/(check " in done.stdout and " execute " in done.stdout
    assert "keep-going" in done.stdout and "f:*.py" in done.stdout


@pytest.mark.parametrize("args", [[], ["fish"], ["--x"]])
def test_print_completion_needs_a_known_shell(args):
    done = subprocess.run([*JUG, "--print-completion", *args], capture_output=True, text=True)
    assert done.returncode == 2 and done.stdout == ""
    assert "jug: --print-completion needs a shell: one of bash, zsh, tcsh" in done.stderr


def test_install_skills(project, tmp_path, parse_summary):
    skills = tmp_path / "skills"
    done = project.jug("install-skills", "--output", str(skills))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"Installed the jug skill into {skills / 'jug'}"
    installed = sorted(str(p.relative_to(skills)) for p in skills.rglob("*") if p.is_file())
    assert installed == [
        "jug/SKILL.md",
        "jug/examples/pipeline.py",
        "jug/examples/primes.py",
        "jug/references/cli.md",
        "jug/references/patterns.md",
        "jug/references/troubleshooting.md",
    ]
    skill = (skills / "jug" / "SKILL.md").read_text()
    header = skill.split("---")[1]
    assert "name: jug" in header and "description:" in header
    for referenced in ("references/cli.md", "references/patterns.md", "examples/"):
        assert referenced in skill
    # Installing again is refused, unless --force; nothing half-copied is left behind.
    again = project.jug("install-skills", "--output", str(skills))
    assert again.returncode == 1
    assert again.stderr.strip() == f"jug: {skills / 'jug'} exists already (--force replaces it)"
    (skills / "jug" / "SKILL.md").write_text("changed")
    forced = project.jug("install-skills", "--output", str(skills), "--force")
    assert forced.returncode == 0 and (skills / "jug" / "SKILL.md").read_text() == skill
    assert sorted(p.name for p in skills.iterdir()) == ["jug"]
    # The examples are real jugfiles.
    for name in ("primes.py", "pipeline.py"):
        shutil.copy(skills / "jug" / "examples" / name, project.path / name)
    assert project.jug("execute", "primes.py").returncode == 0
    run = project.jug("execute", "pipeline.py")
    assert run.returncode == 0, run.stderr
    assert parse_summary(run.stdout)["pipeline.simulate"] == [12, 0]
    values = project.python(
        """
        import json, jug
        _, a = jug.init("primes.py")
        primes = jug.value(a["primes"])
        _, b = jug.init("pipeline.py")
        print(json.dumps([primes, 0 < jug.value(b["result"]) < 1]))
        """
    )
    assert values == [1229, True]


def test_install_skills_errors(project, tmp_path):
    done = project.jug("install-skills")
    assert done.returncode == 2
    assert done.stderr.strip() == "jug install-skills: say where to install the skill: --output DIR"
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    done = project.jug("install-skills", "--output", str(blocker / "sub"))
    assert done.returncode == 1 and done.stderr.count("\n") == 1
    assert done.stderr.startswith(f"jug: cannot install the jug skill into {blocker / 'sub'}")
