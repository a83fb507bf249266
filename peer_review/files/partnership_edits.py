"""The changes a coordinator makes to a roster on a form, made to the partnership file's data: the edited file
then goes through every check of the file and the same difference as `partnership load --update`.

Pure: a partnership file's data in, a copy with the change out. A change the file's rules would refuse for a
reason a form can say better (an email already in use, a trust's last reviewer) is refused here, in words
naming the trust and the person, with `field` the form field it is about.
"""

from __future__ import annotations

import copy
import re


class NotPossible(ValueError):
    def __init__(self, field: str, problem: str):
        super().__init__(problem)
        self.field, self.problem = field, problem


def add_trust(data: dict, name: str, ceo: dict, reviewer: dict, strands: list[str]) -> dict:
    """A trust joins with its CEO and a first reviewer, taking the strands in the framework's order (its CEO
    can change the order on the trust's scheduling page)."""
    if any(t["name"].casefold() == name.casefold() for t in data["trusts"]):
        raise NotPossible("trust_name", f"{name} is already in the partnership")
    _email_free(data, ceo["email"], "ceo_email")
    if reviewer["email"].lower() != ceo["email"].lower():
        _email_free(data, reviewer["email"], "reviewer_email")
    edited = copy.deepcopy(data)
    edited["trusts"].append(
        {
            "id": trust_key(name, {t["id"] for t in data["trusts"]}),
            "name": name,
            "ceo": ceo,
            "strand_order": list(strands),
            "reviewers": [reviewer],
        }
    )
    return edited


def add_reviewer(data: dict, trust: str, reviewer: dict) -> dict:
    entry = _trust(data, trust)
    ceo = entry.get("ceo", {})
    if reviewer["email"].lower() != ceo.get("email", "").lower():  # a CEO may review too
        _email_free(data, reviewer["email"], "email")
    elif ceo.get("name") != reviewer["name"]:
        raise NotPossible("name", f"{reviewer['email']} is {ceo['name']}'s email: give their name as {ceo['name']}")
    edited = copy.deepcopy(data)
    _trust(edited, trust)["reviewers"].append(reviewer)
    return edited


def add_colleague(data: dict, trust: str, colleague: dict) -> dict:
    """Someone of the trust its CEO may name to act for it on a review (the CEO's colleagues page)."""
    entry = _trust(data, trust)
    if colleague["email"].lower() == entry.get("ceo", {}).get("email", "").lower():
        raise NotPossible("email", "That is your own email address: name a colleague, not yourself")
    _email_free(data, colleague["email"], "email")
    edited = copy.deepcopy(data)
    _trust(edited, trust).setdefault("colleagues", []).append(colleague)
    return edited


def add_moderator(data: dict, moderator: dict) -> dict:
    _email_free(data, moderator["email"], "email")
    edited = copy.deepcopy(data)
    edited["moderators"].append(moderator)
    return edited


def replace_ceo(data: dict, trust: str, ceo: dict) -> dict:
    """The trust has a new CEO; the one before leaves the partnership unless they are one of its reviewers."""
    entry = _trust(data, trust)
    if entry["ceo"]["email"].lower() == ceo["email"].lower():
        raise NotPossible("email", f"{entry['ceo']['name']} is already the CEO of {entry['name']}")
    reviewer = next((r for r in entry["reviewers"] if r["email"].lower() == ceo["email"].lower()), None)
    if reviewer is None:
        _email_free(data, ceo["email"], "email")
    elif reviewer["name"] != ceo["name"]:
        raise NotPossible(
            "name", f"{ceo['email']} is {reviewer['name']}'s email: give their name as {reviewer['name']}"
        )
    edited = copy.deepcopy(data)
    _trust(edited, trust)["ceo"] = ceo
    return edited


def remove_person(data: dict, email: str, role: str) -> dict:
    """Someone stops being one of a trust's reviewers, a moderator or a survey respondent (the last of their
    roles: then they leave the partnership)."""
    edited = copy.deepcopy(data)
    if role == "reviewer":
        entry = next(
            (t for t in edited["trusts"] if any(r["email"].lower() == email.lower() for r in t["reviewers"])), None
        )
        if entry is None:
            raise NotPossible("email", f"{email} is not a reviewer in this partnership")
        if len(entry["reviewers"]) == 1:
            raise NotPossible(
                "email",
                f"{entry['reviewers'][0]['name']} is the only reviewer from {entry['name']}: add another reviewer "
                "from the trust first",
            )
        entry["reviewers"] = [r for r in entry["reviewers"] if r["email"].lower() != email.lower()]
    elif role == "moderator":
        kept = [m for m in edited["moderators"] if m["email"].lower() != email.lower()]
        if len(kept) == len(edited["moderators"]):
            raise NotPossible("email", f"{email} is not a moderator in this partnership")
        if not kept:
            raise NotPossible(
                "email",
                "Every review has an external moderator: add another moderator before this one leaves",
            )
        edited["moderators"] = kept
    elif role == "respondent":
        kept = [r for r in edited.get("respondents", []) if r["email"].lower() != email.lower()]
        if len(kept) == len(edited.get("respondents", [])):
            raise NotPossible("email", f"{email} is not a survey respondent in this partnership")
        edited["respondents"] = kept
    else:
        raise NotPossible("role", "Select the role they give up")
    return edited


def remove_trust(data: dict, trust: str) -> dict:
    """A trust leaves, with its people (its survey respondents too)."""
    entry = _trust(data, trust)
    if len(data["trusts"]) <= 2:
        raise NotPossible("trust", f"A partnership needs at least two trusts: {entry['name']} cannot leave")
    edited = copy.deepcopy(data)
    edited["trusts"] = [t for t in edited["trusts"] if t["id"] != trust]
    edited["respondents"] = [r for r in edited.get("respondents", []) if r.get("trust") != trust]
    for other in edited["trusts"]:
        if trust in other.get("conflicts", []):
            other["conflicts"] = [c for c in other["conflicts"] if c != trust]
    return edited


def trust_key(name: str, taken: set[str]) -> str:
    """A trust's key (its id in the file) made from its name: lower case words joined by hyphens."""
    base = re.sub(r"[^a-z0-9]+", "-", name.casefold()).strip("-")[:50].strip("-") or "trust"
    key, n = base, 2
    while key in taken:
        key, n = f"{base}-{n}", n + 1
    return key


def _trust(data: dict, key: str) -> dict:
    entry = next((t for t in data["trusts"] if t["id"] == key), None)
    if entry is None:
        raise NotPossible("trust", "Select a trust of this partnership")
    return entry


def _email_free(data: dict, email: str, field: str) -> None:
    """Refuse an email someone in the partnership already has, naming them and where they are."""
    wanted = email.lower()
    places = [(data["coordinator"], "as its coordinator")]
    places += [(m, "as a moderator") for m in data["moderators"]]
    for trust in data["trusts"]:
        places += [(trust["ceo"], f"as the CEO of {trust['name']}")] if "ceo" in trust else []
        places += [(r, f"as a reviewer from {trust['name']}") for r in trust["reviewers"]]
        places += [(c, f"as a colleague at {trust['name']}") for c in trust.get("colleagues", [])]
    places += [(r, "as a survey respondent") for r in data.get("respondents", [])]
    for contact, where in places:
        if contact["email"].lower() == wanted:
            raise NotPossible(field, f"{contact['name']} already uses this email address in the partnership, {where}")
