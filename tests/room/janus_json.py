# SPDX-License-Identifier: BSD-2-Clause
"""Checks one Janus API answer (JSON) for the room tests' shell scripts.

usage: janus_json.py ANSWER EXPRESSION
EXPRESSION is Python over `j`, the parsed answer. If it is a comparison or
any other boolean, the exit status says whether it holds; otherwise its value
is printed (to pick an id out of an answer). A missing key, a wrong type or
text that is not JSON fails with the answer in the message.
"""
import json
import sys


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: janus_json.py ANSWER EXPRESSION")
    answer, expression = sys.argv[1], sys.argv[2]
    try:
        j = json.loads(answer)
    except json.JSONDecodeError as error:
        sys.exit(f"janus_json.py: not JSON ({error}): {answer!r}")
    try:
        value = eval(expression, {"__builtins__": {"isinstance": isinstance, "int": int,
                                                   "str": str, "len": len, "any": any,
                                                   "all": all, "sorted": sorted, "list": list}},
                     {"j": j})
    except (KeyError, IndexError, TypeError) as error:
        sys.exit(f"janus_json.py: {expression} fails ({type(error).__name__}: {error}) "
                 f"on {answer}")
    if isinstance(value, bool):
        if not value:
            sys.exit(f"janus_json.py: {expression} is false for {answer}")
    else:
        print(value)


main()
