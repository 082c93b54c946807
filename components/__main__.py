"""Entry point of the component package (components/PulumiPlugin.yaml): Pulumi's Python host runs
`python <this folder> <engine address> ...`, which serves the components (components/provider.py)."""

import sys
from pathlib import Path

if __name__ == "__main__":
    # Run as `python components/`, this folder is first on sys.path and its modules (keys, settings, tags,
    # ...) would shadow top-level ones: import the package `components` from the folder above instead.
    here = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != here]
    sys.path.insert(0, str(here.parent))
    from strongroom.components.provider import main

    main()
