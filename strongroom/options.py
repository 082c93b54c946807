"""Command-line options more than one command group shares (``strongroom`` and ``strongroom vault``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

StackOption = Annotated[
    str, typer.Option("--stack", "-s", help="Stack name: reads <stackConfigDir>/Pulumi.<stack>.yaml.")
]
ProjectDirOption = Annotated[
    Path,
    typer.Option(
        "--project-dir", "-C", help="Pulumi project directory (holds Pulumi.yaml).", show_default="cwd"
    ),
]
