#!/usr/bin/python3
"""Whether a BigBlueButton server may be (re)installed now: only while it holds no meeting, asked
of the server itself through its API (getMeetings, signed with its own secret)."""

import hashlib
import os
import re
import xml.etree.ElementTree as ElementTree  # nosec B405  # the host's own bbb-web answers
from dataclasses import dataclass

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.urls import open_url

DOCUMENTATION = r"""
module: bbb_meetings_guard
short_description: Refuse to touch a BigBlueButton server that holds meetings
description:
  - On a host without BigBlueButton (no I(bbb_conf)) it lets the play go on.
  - Otherwise it reads the server's API secret with C(bbb-conf --secret), calls the server's own
    C(getMeetings) (SHA-256 checksum) and fails, with the number of meetings, when the server
    holds any meeting that has not ended, whether or not anyone has joined it yet.
  - When the server cannot be asked (no secret, no answer, an answer with C(FAILED) or one it
    cannot read) it fails too, unless I(force) is set.
  - Changes nothing; the secret is neither logged nor returned.
options:
  api_url:
    description: The server's API base, ending in C(/api/); bbb-web on the host itself.
    type: str
    default: http://127.0.0.1:8090/bigbluebutton/api/
  bbb_conf:
    description: Path of bbb-conf; its absence means BigBlueButton is not installed.
    type: path
    default: /usr/bin/bbb-conf
  force:
    description: Go on when the server cannot be asked (never when it reports meetings).
    type: bool
    default: false
  timeout:
    description: Seconds for the API call.
    type: int
    default: 20
"""

RETURN = r"""
installed:
  description: Whether BigBlueButton is installed (bbb-conf exists).
  type: bool
meetings:
  description: Meetings the server holds; null when it could not be asked.
  type: int
"""

SECRET_LINE = re.compile(r"^\s*Secret:\s*(\S+)\s*$", re.MULTILINE)


@dataclass(frozen=True)
class Decision:
    go: bool
    message: str
    meetings: int | None = None


def checksum(call: str, query: str, secret: str) -> str:
    """BBB's API checksum: SHA-256 of the call's name, its query string and the secret."""
    return hashlib.sha256(f"{call}{query}{secret}".encode()).hexdigest()


def read_secret(bbb_conf_output: str) -> str:
    """The secret from `bbb-conf --secret` (its `Secret: ...` line)."""
    found = SECRET_LINE.search(bbb_conf_output)
    if found is None:
        raise ValueError("bbb-conf --secret printed no secret")
    return found.group(1)


def held_meetings(answer: str) -> int:
    """The meetings a getMeetings answer lists that have not ended (endTime 0, as BBBLB counts
    them). A FAILED answer, or one that is not getMeetings XML, raises ValueError."""
    try:
        root = ElementTree.fromstring(answer)  # noqa: S314  # nosec B314  # our bbb-web
    except ElementTree.ParseError as exc:
        raise ValueError(f"the answer is not XML: {exc}") from exc
    code = root.findtext("returncode")
    if root.tag != "response" or code is None:
        raise ValueError("the answer is not a BigBlueButton API response")
    if code.strip() != "SUCCESS":
        key = (root.findtext("messageKey") or "").strip()
        message = (root.findtext("message") or "").strip()
        raise ValueError(f"the server answered {code.strip()}: {key} {message}".strip())
    count = 0
    for meeting in root.iterfind("meetings/meeting"):
        ended = (meeting.findtext("endTime") or "0").strip()
        if not ended.isdigit():
            raise ValueError(f"a meeting's endTime is not a number: {ended!r}")
        count += int(ended) == 0
    return count


def decide(installed: bool, answer: str | None, problem: str | None, force: bool) -> Decision:
    """Go or refuse. ANSWER: getMeetings' text, or None with PROBLEM saying why there is none."""
    if not installed:
        return Decision(True, "BigBlueButton is not installed on this host: nothing to protect")
    if answer is not None:
        try:
            meetings = held_meetings(answer)
        except ValueError as exc:
            problem = str(exc)
        else:
            if meetings:
                return Decision(
                    False,
                    f"refused: the server holds {meetings} meeting(s); try again when they have"
                    " ended (bbb_server_force does not override this)",
                    meetings,
                )
            return Decision(True, "the server holds no meetings", 0)
    if force:
        return Decision(True, f"the server could not be asked ({problem}); going on: forced")
    return Decision(
        False,
        f"refused: the server could not be asked whether meetings run ({problem}); set"
        " bbb_server_force=true to install anyway",
    )


def ask_server(module: AnsibleModule) -> tuple[str | None, str | None]:
    """getMeetings' answer and None, or None and what went wrong."""
    status, output, error = module.run_command([module.params["bbb_conf"], "--secret"])
    if status != 0:
        return None, f"bbb-conf --secret exited with {status}: {error.strip()[-200:]}"
    try:
        secret = read_secret(output)
    except ValueError as exc:
        return None, str(exc)
    module.no_log_values.add(secret)
    url = f"{module.params['api_url']}getMeetings?checksum={checksum('getMeetings', '', secret)}"
    try:
        with open_url(url, timeout=module.params["timeout"], validate_certs=True) as response:
            return response.read().decode("utf-8", "replace"), None
    except Exception as exc:  # any failure to get an answer is a reason to refuse
        return None, f"getMeetings failed: {type(exc).__name__}: {exc}"


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "api_url": {"type": "str", "default": "http://127.0.0.1:8090/bigbluebutton/api/"},
            "bbb_conf": {"type": "path", "default": "/usr/bin/bbb-conf"},
            "force": {"type": "bool", "default": False},
            "timeout": {"type": "int", "default": 20},
        },
        supports_check_mode=True,
    )
    installed = os.path.exists(module.params["bbb_conf"])
    answer, problem = ask_server(module) if installed else (None, None)
    decision = decide(installed, answer, problem, module.params["force"])
    result = {"changed": False, "installed": installed, "meetings": decision.meetings}
    if decision.go:
        module.exit_json(msg=decision.message, **result)
    module.fail_json(msg=decision.message, **result)


if __name__ == "__main__":
    main()
