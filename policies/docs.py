"""Generate the README's control table from the catalog: `python -m strongroom.policies.docs [README.md]`
rewrites the text between `<!-- section:controls -->` and `<!-- /section:controls -->`; `--check` exits 1 on
drift."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

from strongroom.policies.catalog import CATALOG, LIVE_ONLY, Control

START = "<!-- section:controls -->"
END = "<!-- /section:controls -->"
README = Path(__file__).resolve().parent.parent / "README.md"
_FRAMEWORK_COLUMNS = (("NIST-800-53-r5", "NIST 800-53 r5"), ("CIS-AWS-3.0", "CIS 3.0"), ("AWS-FSBP", "FSBP"))


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def table(controls: Iterable[Control] = (*CATALOG, *LIVE_ONLY)) -> str:
    """The controls section body: a Markdown table, one row per control."""
    controls = tuple(controls)
    head = [
        "ID",
        "Control",
        "Severity",
        "Enforcement",
        "Scope",
        *(c[1] for c in _FRAMEWORK_COLUMNS),
        "checkov",
        "Live audit",
    ]
    rows = [
        "## Controls",
        "",
        f"Generated from `policies/catalog.py` by `python -m strongroom.policies.docs` "
        f"({len(controls)} controls; `strongroom controls` prints the same list). Live audit: judged by "
        "`strongroom audit` on the "
        "deployed environment too (only: not at preview, since it compares the deployment with the plan "
        "or reads deployed state). Do not edit by hand: a test fails when this table drifts.",
        "",
        "| " + " | ".join(head) + " |",
        "|" + "---|" * len(head),
    ]
    for c in controls:
        frameworks = [", ".join(c.frameworks.get(key, ())) or "-" for key, _ in _FRAMEWORK_COLUMNS]
        cells = [
            c.id,
            c.title,
            c.severity,
            c.enforcement,
            c.scope,
            *frameworks,
            ", ".join(c.checkov_ids) or "-",
            ("only" if "preview" not in c.enforced_in else "yes") if "live" in c.enforced_in else "-",
        ]
        rows.append("| " + " | ".join(_cell(x) for x in cells) + " |")
    return "\n".join(rows)


def render(readme_text: str) -> str:
    """`readme_text` with the controls section replaced by the generated table."""
    if START not in readme_text or END not in readme_text:
        raise ValueError(f"README has no {START} ... {END} markers")
    before, rest = readme_text.split(START, 1)
    _, after = rest.split(END, 1)
    return f"{before}{START}\n{table()}\n{END}{after}"


def main(argv: list[str]) -> int:
    check = "--check" in argv
    paths = [a for a in argv if not a.startswith("--")]
    path = Path(paths[0]) if paths else README
    current = path.read_text(encoding="utf-8")
    wanted = render(current)
    if check:
        if current != wanted:
            print(
                f"{path}: the controls section is out of date; run `python -m strongroom.policies.docs`",
                file=sys.stderr,
            )
            return 1
        return 0
    if current != wanted:
        path.write_text(wanted, encoding="utf-8")
        print(f"{path}: controls section rewritten ({len(CATALOG) + len(LIVE_ONLY)} controls)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
