"""What a simulated host does beside its evidence index, so that a newcomer sees it after `demo`: it
attaches two small generated files (a PDF and a Word document) to the first two evidence items, builds the
visit's timetable (each day a welcome, a learning walk and a document scrutiny side by side, pupil and staff
voice, and feedback on the last day), and tells the team; and the team talks before the findings are written
(`team_talks`). All of it goes through the same use cases as the web.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from peer_review.service import access, discussion, evidence_files, timetable
from peer_review.store.people import trust_of
from peer_review.store.records import latest_lines
from peer_review.store.reviews import get_review

if TYPE_CHECKING:
    from peer_review.store.db import Session


def _pdf(title: str, lines: list[str]) -> bytes:
    """A one-page PDF (matplotlib, which the evaluation's charts use already)."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8.27, 11.69))  # A4
    figure.text(0.1, 0.92, title, fontsize=16, weight="bold")
    for i, line in enumerate(lines):
        figure.text(0.1, 0.86 - i * 0.03, line, fontsize=11)
    out = io.BytesIO()
    figure.savefig(out, format="pdf", metadata={"Creator": "peer-review demo", "CreationDate": None})
    return out.getvalue()


def _word(title: str, lines: list[str]) -> bytes:
    from docx import Document

    document = Document()
    document.add_heading(title, level=1)
    for line in lines:
        document.add_paragraph(line)
    document.core_properties.author = "peer-review demo"
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def prepare_visit(session: Session, review_id: int, items: list[dict], host_email: str) -> None:
    """The host's files for its first two evidence items (as the index `items` will list them), the visit's
    timetable, and the email telling the team."""
    viewer = access.viewer_for(session, host_email)
    review = get_review(session, review_id)
    host = trust_of(session, review).name
    lines = [f"Line {line.number}: {line.title}" for line in latest_lines(session, review)]
    if items:
        first = items[0]["title"]
        evidence_files.attach(
            session,
            viewer,
            review.id,
            1,
            f"{first}.pdf",
            _pdf(first, [host, review.strand_title, "", "Prepared for the review team (fictional demo data).", *lines]),
            personal_data=False,
        )
    if len(items) > 1:
        second = items[1]["title"]
        evidence_files.attach(
            session,
            viewer,
            review.id,
            2,
            f"{second}.docx",
            _word(second, [host, review.strand_title, "Prepared for the review team (fictional demo data).", *lines]),
            personal_data=False,
        )
    team = [m for m in timetable.team_of(session, review.id) if m.accepted]
    if not team:
        return
    days = timetable.visit_of(review, team).days
    everyone = tuple(str(m.id) for m in team)
    school = f"{host}, head office"
    for number, day in enumerate(days, start=1):
        plan = [
            ("9:00", "9:45", "meeting", "Boardroom", "The CEO and the director of education", everyone),
            ("10:00", "11:30", "learning_walk", "Main building", "The head of school", everyone[:1]),
            ("10:00", "11:30", "document_scrutiny", "Library", "The trust business manager", everyone[1:] or everyone),
            ("13:00", "13:45", "pupil_voice" if number == 1 else "staff_voice", "Room 12", "The deputy head", everyone),
        ]
        if number == len(days):
            plan.append(("15:00", "15:45", "feedback", "Boardroom", "The CEO", everyone))
        for start, end, activity, room, people, reviewers in plan:
            timetable.add_session(
                session,
                viewer,
                review.id,
                timetable.SessionForm(
                    day=day.isoformat(),
                    start=start,
                    end=end,
                    activity=activity,
                    school=school,
                    room=room,
                    host_people=people,
                    reviewers=reviewers,
                ),
            )
    timetable.tell_team(session, viewer, review.id)


def team_talks(session: Session, review_id: int, peer_email: str, moderator_email: str | None) -> None:
    """Before the first peer records findings: they ask the host about line 1 (the team and the host read
    it) and say to the team alone how they mean to share the work; the moderator answers the team."""
    lines = latest_lines(session, get_review(session, review_id))
    peer = access.viewer_for(session, peer_email)
    discussion.post(
        session,
        peer,
        review_id,
        lines[0].number if lines else None,
        "team_and_host",
        "Thank you for the visit. Could you send the minutes where the trust board agreed this line's priorities? "
        "We would like to cite them.",
    )
    discussion.post(
        session,
        peer,
        review_id,
        None,
        "team_only",
        "I will draft the findings for line 1 first; shall we compare notes before the moderator sees them?",
    )
    if moderator_email:
        discussion.post(
            session,
            access.viewer_for(session, moderator_email),
            review_id,
            None,
            "team_only",
            "Please do: cite the evidence by its number (E1, E2...), so that I can check each finding against it.",
        )
