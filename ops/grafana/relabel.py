"""Generate one instance's Grafana dashboard from another's: Grafana's "duplicate & relabel", as a script.

    python ops/grafana/relabel.py            # alfred-home.json → alfred-biz.json
    python ops/grafana/relabel.py --check    # exit 1 if alfred-biz.json is not what the script generates

The home dashboard is the one edited by hand. Every value that names the source instance is rewritten for the
target: the ``instance="home"`` selector of each query, the uid, title, tags, description and links. A test
(tests/core/test_ops.py) fails when the committed biz dashboard differs from what this script generates.
"""

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
TITLES = {"home": "Alfred-Home", "biz": "Alfred-Biz"}


def relabel_text(text: str, source: str, target: str) -> str:
    text = re.sub(rf'instance\s*=\s*"{source}"', f'instance="{target}"', text)
    text = text.replace(TITLES[source], TITLES[target]).replace(f"alfred-{source}", f"alfred-{target}")
    return text


def relabel(value: Any, source: str, target: str) -> Any:
    if isinstance(value, str):
        return relabel_text(value, source, target)
    if isinstance(value, list):
        return [relabel(item, source, target) for item in value]
    if isinstance(value, dict):
        relabelled = {key: relabel(item, source, target) for key, item in value.items()}
        if relabelled.get("tags") == value.get("tags") and isinstance(value.get("tags"), list):
            relabelled["tags"] = [target if tag == source else tag for tag in value["tags"]]
        if "links" in value and isinstance(value["links"], list):
            # The source dashboard links to the target; the generated one links back.
            relabelled["links"] = [
                {**link, "title": TITLES[source], "url": f"/d/alfred-{source}"}
                if link.get("url") == f"/d/alfred-{target}"
                else link
                for link in relabelled["links"]
            ]
        return relabelled
    return value


def generated(source: str = "home", target: str = "biz") -> str:
    dashboard = json.loads((HERE / f"alfred-{source}.json").read_text())
    result = relabel(dashboard, source, target)
    result["description"] = (
        f"{TITLES[target]} (app alfred-{target}-eu). Generated from alfred-{source}.json by ops/grafana/relabel.py: "
        "edit that file and run the script."
    )
    return json.dumps(result, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--source", default="home")
    parser.add_argument("--target", default="biz")
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    options = parser.parse_args(argv)
    text = generated(options.source, options.target)
    path = HERE / f"alfred-{options.target}.json"
    if options.check:
        if not path.is_file() or path.read_text() != text:
            print(f"{path.name} is out of date: run python ops/grafana/relabel.py", file=sys.stderr)
            return 1
        return 0
    path.write_text(text)
    print(f"wrote {path.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
