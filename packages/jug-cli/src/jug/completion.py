"""Shell completion for ``jug``: ``jug --print-completion bash|zsh|tcsh`` prints a script.

Load it from the shell's start-up file::

    eval "$(jug --print-completion bash)"     # ~/.bashrc
    eval "$(jug --print-completion zsh)"      # ~/.zshrc, after compinit
    eval "`jug --print-completion tcsh`"      # ~/.tcshrc

The script lists the subcommands and each one's options as they are when it is printed
(plugins installed later need it printed again); after the subcommand, it completes
options (``--…``), the values of ``--verbose`` and, otherwise, ``.py`` files and
directories. ``jug-execute`` completes as ``jug execute``. The tcsh script offers every
option of every subcommand after ``--`` (tcsh cannot tell them apart by subcommand).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["SHELLS", "completion_script", "subcommand_options"]

#: The shells ``--print-completion`` writes a script for.
SHELLS = ("bash", "zsh", "tcsh")

_TOP_OPTIONS = ["--help", "--version", "--print-completion"]


def subcommand_options() -> dict[str, list[str]]:
    """Subcommand name → its long options (common ones included), for every subcommand
    that can be loaded (imports them all)."""
    from .options import make_parser
    from .subcommands._registry import get_subcommand, subcommand_names

    out: dict[str, list[str]] = {}
    for name in subcommand_names():
        try:
            parser = make_parser(get_subcommand(name))
        except Exception:  # a broken plugin: it says so when run
            continue
        import argparse

        flags = {
            f
            for action in parser._actions
            if action.help != argparse.SUPPRESS
            for f in action.option_strings
        }
        out[name] = sorted(f for f in flags if f.startswith("--"))
    return out


def completion_script(shell: str) -> str:
    """The completion script for *shell* (one of :data:`SHELLS`).

    Raises
    ------
    ValueError
        For another shell.
    """
    writers: dict[str, Callable[[dict[str, list[str]]], str]] = {
        "bash": _bash,
        "zsh": _zsh,
        "tcsh": _tcsh,
    }
    if shell not in writers:
        raise ValueError(f"no completion for the shell {shell!r} (choose from {', '.join(SHELLS)})")
    return writers[shell](subcommand_options())


def _levels() -> str:
    from .options import VERBOSITY_LEVELS

    return " ".join(VERBOSITY_LEVELS)


def _bash(commands: dict[str, list[str]]) -> str:
    cases = "\n".join(
        f'        {name}) opts="{" ".join(opts)}" ;;' for name, opts in commands.items()
    )
    return f"""\
# bash completion for jug (written by `jug --print-completion bash`)
_jug() {{
    local cur="${{COMP_WORDS[COMP_CWORD]}}" prev="${{COMP_WORDS[COMP_CWORD-1]}}"
    local cmd
    if [ "${{COMP_WORDS[0]##*/}}" = jug-execute ]; then
        cmd=execute
    elif [ "$COMP_CWORD" -eq 1 ]; then
        COMPREPLY=($(compgen -W "{" ".join([*commands, *_TOP_OPTIONS])}" -- "$cur"))
        return 0
    else
        cmd="${{COMP_WORDS[1]}}"
    fi
    case "$prev" in
        --print-completion) COMPREPLY=($(compgen -W "{" ".join(SHELLS)}" -- "$cur")); return 0 ;;
        --verbose) COMPREPLY=($(compgen -W "{_levels()}" -- "$cur")); return 0 ;;
        --jugdir) COMPREPLY=($(compgen -d -- "$cur")); return 0 ;;
    esac
    local opts=""
    case "$cmd" in
{cases}
    esac
    if [[ "$cur" == -* ]]; then
        COMPREPLY=($(compgen -W "$opts" -- "$cur"))
    else
        COMPREPLY=($(compgen -f -X '!*.py' -- "$cur") $(compgen -d -- "$cur"))
    fi
    return 0
}}
complete -o filenames -F _jug jug jug-execute
"""


def _zsh(commands: dict[str, list[str]]) -> str:
    cases = "\n".join(f"    ({name}) opts=({' '.join(opts)}) ;;" for name, opts in commands.items())
    return f"""\
#compdef jug jug-execute
# zsh completion for jug (written by `jug --print-completion zsh`; load after compinit)
_jug() {{
  local cmd
  local -a opts
  if [[ $service == jug-execute ]]; then
    cmd=execute
  elif (( CURRENT == 2 )); then
    compadd -- {" ".join(commands)} {" ".join(_TOP_OPTIONS)}
    return
  else
    cmd=${{words[2]}}
  fi
  case ${{words[CURRENT-1]}} in
    (--print-completion) compadd -- {" ".join(SHELLS)}; return ;;
    (--verbose) compadd -- {_levels()}; return ;;
    (--jugdir) _files -/; return ;;
  esac
  case $cmd in
{cases}
  esac
  if [[ $PREFIX == -* ]]; then
    compadd -- $opts
  else
    _files -g '*.py'
  fi
}}
compdef _jug jug jug-execute
"""


def _tcsh(commands: dict[str, list[str]]) -> str:
    every = sorted({o[2:] for opts in commands.values() for o in opts})
    return f"""\
# tcsh completion for jug (written by `jug --print-completion tcsh`)
complete jug 'p/1/({" ".join(commands)})/' 'n/--verbose/({_levels()})/' 'n/--jugdir/d/' \
'c/--/({" ".join(every)})/' 'n/*/f:*.py/'
complete jug-execute 'n/--verbose/({_levels()})/' 'n/--jugdir/d/' \
'c/--/({" ".join(o[2:] for o in commands.get("execute", []))})/' 'n/*/f:*.py/'
"""
