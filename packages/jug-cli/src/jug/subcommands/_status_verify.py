"""``jug status --verify``: read every stored result back, to find the damaged ones.

Counting results needs only their names; whether a result can still be read needs its
bytes. A result truncated by a full disk or a crash of the file system, or overwritten
by something else, looks finished to a plain ``jug status``. This module loads each one
(one at a time, dropping it at once) and collects those that cannot be decoded.

With a secret key (signed results, :mod:`jug.signing`), the signatures are checked
first, from the stored bytes (:meth:`jug.store.Store.signature_states`); results that are
unsigned or forged are reported, and never loaded.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from jug.errors import CorruptResultError
from jug.store import Store

__all__ = [
    "SignatureReport",
    "check_signatures",
    "format_signatures",
    "format_unreadable",
    "unreadable_results",
]


class SignatureReport:
    """What :func:`check_signatures` found.

    Attributes
    ----------
    checked : int
        How many stored results (and other signed items) were checked.
    bad : list of (name, hash, state)
        The unsigned and forged results of the jugfile's tasks, sorted.
    others : list of (item, state)
        Unsigned or forged things the store signs as a whole (the file store's pack),
        whose contents cannot be read before they are signed.
    """

    def __init__(
        self,
        checked: int,
        bad: list[tuple[str, str, str]],
        others: list[tuple[str, str]],
    ) -> None:
        self.checked = checked
        self.bad = bad
        self.others = others

    def refused(self) -> set[str]:
        """The hashes not to load."""
        return {h for _, h, _ in self.bad}


def check_signatures(
    store: Store, order: Sequence[str], names: Mapping[str, str]
) -> SignatureReport:
    """The signatures of the stored results among *order* (and of what the store signs
    as a whole), checked with the store's key without decoding anything."""
    states = store.signature_states(order)
    wanted = set(order)
    bad, others = [], []
    for item, state in states.items():
        if state == "signed":
            continue
        if item in wanted:
            bad.append((names.get(item, "(unknown task)"), item, str(state)))
        else:
            others.append((item, str(state)))
    return SignatureReport(len(states), sorted(bad), sorted(others))


def format_signatures(report: SignatureReport, short: bool = False) -> str:
    """The signature part of ``--verify``: per task name, how many results are unsigned
    and how many forged, then their hashes (unless *short*)."""
    if not report.bad and not report.others:
        return f"All {report.checked} stored result(s) are signed with this key."
    lines = []
    for item, state in report.others:
        lines.append(
            f"{item} is {state}: nothing in it can be loaded until it is signed "
            "(`jug sign`) or removed."
        )
    if report.bad:
        from jug.table import format_table

        n = len(report.bad)
        lines.append(f"{n} of {report.checked} stored result(s) are not signed with this key:")
        counts: dict[str, list[int]] = {}
        for name, _, state in report.bad:
            row = counts.setdefault(name, [0, 0])
            row[0 if state == "unsigned" else 1] += 1
        if not short:
            lines.append(format_table(["Unsigned", "Forged"], sorted(counts.items())))
            lines.extend(f"  {state:<8}  {name} ({h})" for name, h, state in report.bad)
        lines.append(
            "They are never loaded with this key. `jug sign` signs unsigned results you "
            "trust (`--resign` forged ones too); `jug invalidate` recomputes them."
        )
    return "\n".join(lines)


def unreadable_results(
    store: Store,
    order: Sequence[str],
    names: Mapping[str, str],
    skip: set[str] | frozenset[str] = frozenset(),
) -> list[tuple[str, str, str]]:
    """``(name, hash, what is wrong)`` of each stored result among *order* that cannot be read.

    Results removed while this runs are skipped, and so are those in *skip* (refused by
    their signature); store errors (unreachable server, no permission) propagate, since
    they say nothing about the result itself.
    """
    bad = []
    for h in sorted(store.can_load_many(order)):
        if h in skip:
            continue
        try:
            store.load(h)
        except KeyError:
            continue  # invalidated meanwhile: nothing to read, nothing wrong
        except CorruptResultError as exc:
            bad.append((names.get(h, "(unknown task)"), h, exc.detail))
    return sorted(bad)


def format_unreadable(bad: list[tuple[str, str, str]], checked: int, short: bool = False) -> str:
    """The report of ``--verify`` for *bad* among *checked* stored results."""
    if not bad:
        return f"All {checked} stored result(s) can be read."
    if short:
        return f"{len(bad)} of {checked} stored result(s) cannot be read (see jug status --verify)."
    lines = [f"{len(bad)} of {checked} stored result(s) cannot be read:"]
    lines.extend(f"  {name} ({h}): {detail}" for name, h, detail in bad)
    targets = " ".join(f"--target {name}" for name in sorted({name for name, _, _ in bad}))
    lines.append(f"Recompute them with `jug invalidate {targets}`, then `jug execute`.")
    return "\n".join(lines)
