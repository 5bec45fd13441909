"""``jug sign``: sign the stored results of a project with its secret key, once the user
says they trust them (see ``docs/signing.md``)."""

from __future__ import annotations

import sys

from jug.errors import SecretKeyError, UsageError

from . import SubCommand

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["SignCommand", "sign"]


class SignCommand(SubCommand):
    """Sign the stored results with the secret key, after you confirm that you trust them"""

    name = "sign"

    def parse(self, parser: Any) -> None:
        parser.add_argument(
            "--yes",
            action="store_const",
            const=True,
            dest="yes",
            help="do not ask for confirmation (you trust every stored result)",
        )
        parser.add_argument(
            "--resign",
            action="store_const",
            const=True,
            dest="resign",
            help="also sign results whose signature is wrong (after changing the key: "
            "they were signed with the old one); without it, only unsigned results are "
            "signed",
        )

    def parse_defaults(self) -> dict[str, Any]:
        return {"yes": False, "resign": False}

    def loads_jugfile(self, options: Any) -> bool:
        # Every stored result is signed, the jugfile's or not; and a jugfile that loads
        # results (barrier, bvalue) could not load before they are signed.
        return False

    def run(self, options: Any, store: Any, jugspace: Any, *args: Any, **kwargs: Any) -> int:
        if store.signer is None:
            raise SecretKeyError(
                "jug sign needs the secret key: --secret-file FILE, or JUG_SECRET_FILE or "
                "JUG_SECRET_KEY in the environment"
            )
        states = store.signature_states()
        unsigned = sorted(k for k, s in states.items() if s == "unsigned")
        forged = sorted(k for k, s in states.items() if s == "forged")
        todo = unsigned + (forged if options.resign else [])
        where = options.jugdir
        if not todo:
            print(f"Nothing to sign: {len(states) - len(forged)} stored result(s) are signed.")
            if forged:
                print(_forged_note(len(forged)))
            return 1 if forged else 0
        what = f"{len(unsigned)} unsigned"
        if options.resign:
            what += f" and {len(forged)} wrongly signed"
        question = (
            f"Sign {what} result(s) in {where} with the key of {store.signer.source}? Only "
            "if you trust them: anyone who could write there may have changed them, and "
            "signed, they are loaded without question."
        )
        if not options.yes:
            if not sys.stdin.isatty():
                raise UsageError("it asks for confirmation: run it in a terminal, or pass --yes")
            answer = input(f"{question} [y/N] ").strip().lower()
            if answer not in ("y", "yes"):
                print("Nothing was signed.")
                return 1
        done = store.sign(todo)
        print(f"Signed {done} result(s) in {where}.")
        if forged and not options.resign:
            print(_forged_note(len(forged)))
            return 1
        return 0


def _forged_note(n: int) -> str:
    return (
        f"{n} result(s) have a wrong signature and were left alone: `jug status --verify` "
        "lists them; `jug sign --resign` signs them (after changing the key), "
        "`jug invalidate` recomputes them."
    )


# The original's module-level instances (jug.subcommands.X.X(...) from Python).
sign = SignCommand()
