"""`rasa data validate`, failing on every warning but one that does not apply here.

Rasa warns that a response "is not used in any story or rule" when an action utters it; in
this project the conversation action utters most responses, so that warning is expected, and
tests/test_domain.py checks instead that every response is used by a rule or an action.
"""
from __future__ import annotations

import re
import subprocess
import sys

EXPECTED = re.compile(r"The utterance '\w+' is not used in any story or rule")


def main() -> int:
    result = subprocess.run([sys.executable, "-m", "rasa", "data", "validate"],
                            capture_output=True, text=True)
    output = result.stdout + result.stderr
    warnings = [line for line in output.splitlines()
                if "UserWarning" in line and not EXPECTED.search(line)]
    for line in warnings:
        print(line.strip())
    if result.returncode != 0 or warnings:
        print(output[-3000:] if result.returncode != 0 else "", file=sys.stderr)
        print(f"validate: {len(warnings)} warning(s), exit {result.returncode}")
        return 1
    print("validate: training data and domain are consistent")
    return 0


if __name__ == "__main__":
    sys.exit(main())
